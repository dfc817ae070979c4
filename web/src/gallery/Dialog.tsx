import { useEffect, useRef, type KeyboardEvent, type ReactNode, type RefObject } from 'react';

/** What Tab moves between inside a dialog (disabled controls are skipped). */
const FOCUSABLE = 'button, a[href], input, select, textarea, video[controls], audio[controls], [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog, the one of the studio: focus moves in and back, the page behind does not
 * scroll, Escape and the backdrop close it, Tab stays inside. With a title it draws its own
 * heading and close button; without one it is labelled by labelledBy, a heading its children draw
 * (the asset detail's own layout). onKey gets the other keys (the detail's arrows and shortcuts).
 */
export function Dialog({
  title,
  labelledBy,
  onClose,
  onKey,
  className = 'card small-dialog',
  dialogRef,
  testId,
  children,
}: {
  title?: string;
  labelledBy?: string;
  onClose: () => void;
  onKey?: (e: KeyboardEvent<HTMLDivElement>) => void;
  className?: string;
  /** The dialog element, for a caller that keeps focus inside when it swaps its own controls. */
  dialogRef?: RefObject<HTMLDivElement | null>;
  testId?: string;
  children: ReactNode;
}) {
  const own = useRef<HTMLDivElement | null>(null);
  const ref = dialogRef ?? own;
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    const overflow = document.body.style.overflow;
    document.body.style.overflow = 'hidden';
    return () => {
      document.body.style.overflow = overflow;
      prev?.focus();
    };
    // On open and close only: the element is the same for the dialog's life.
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
    } else if (e.key === 'Tab') {
      const f = Array.from(ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? []).filter((el) => !(el as HTMLButtonElement).disabled);
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
    } else {
      onKey?.(e);
    }
  };
  const titleId = title ? `dlg-${title.replace(/\W+/g, '-').toLowerCase()}` : undefined;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className={className}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId ?? labelledBy}
        tabIndex={-1}
        ref={ref}
        onKeyDown={onKeyDown}
        onClick={(e) => e.stopPropagation()}
        data-testid={testId}
      >
        {title && (
          <div className="row spread">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="btn small" onClick={onClose} aria-label="Close">
              ✕
            </button>
          </div>
        )}
        {children}
      </div>
    </div>
  );
}
