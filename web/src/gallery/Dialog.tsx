import { useEffect, useRef } from 'react';

/** A small modal dialog: focus moves in and back, Escape and the backdrop close it, Tab stays inside. */
export function Dialog({ title, onClose, children, testId }: { title: string; onClose: () => void; children: React.ReactNode; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    return () => prev?.focus();
  }, []);
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
    } else if (e.key === 'Tab') {
      const f = Array.from(ref.current?.querySelectorAll<HTMLElement>('button, a[href], input, select, textarea') ?? []).filter(
        (el) => !(el as HTMLButtonElement).disabled,
      );
      if (f.length === 0) return;
      const first = f[0];
      const last = f[f.length - 1];
      const inside = f.includes(document.activeElement as HTMLElement);
      if (e.shiftKey && (document.activeElement === first || !inside)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  const id = `dlg-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="card small-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={id}
        tabIndex={-1}
        ref={ref}
        onKeyDown={onKey}
        onClick={(e) => e.stopPropagation()}
        data-testid={testId}
      >
        <div className="row spread">
          <h2 id={id}>{title}</h2>
          <button type="button" className="btn small" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}
