export function Banner({ kind, children }: { kind: 'error' | 'success' | 'info' | 'warning'; children: React.ReactNode }) {
  if (!children) return null;
  return (
    <div className={`banner banner-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
