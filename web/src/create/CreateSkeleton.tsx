// The Create form's place while the models load: fixed height, no result card yet. The real form
// and the result card replace it together, so nothing that was on screen moves (CLS on a phone
// was 0.467 when the parameters arrived and pushed everything down).
export function CreateSkeleton() {
  return (
    <div className="create-grid" aria-busy="true">
      <div className="card form-card form-skeleton" role="status" aria-label="Loading models">
        <h2>Create</h2>
        <div className="skeleton line" />
        <div className="skeleton block" />
        <div className="skeleton params-block" />
        <div className="skeleton line short" />
      </div>
    </div>
  );
}
