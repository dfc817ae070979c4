import { useEffect, useId, useRef, useState } from 'react';

/** A read-only link with a Copy button; the link is selected on focus so it can be copied by hand too. */
export function CopyField({ label, value, hint }: { label: string; value: string; hint?: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'ok' | 'failed' | null>(null);
  useEffect(() => {
    if (!copied) return;
    const t = window.setTimeout(() => setCopied(null), 2500);
    return () => window.clearTimeout(t);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('ok');
    } catch {
      // No clipboard permission (plain http, old browser): select it for Ctrl+C instead.
      input.current?.select();
      setCopied('failed');
    }
  };
  return (
    <div className="field copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="row tight">
        <input id={id} ref={input} type="text" readOnly value={value} onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
        <button type="button" className="btn" onClick={() => void copy()}>
          {copied === 'ok' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <small className="hint" aria-live="polite">
        {copied === 'ok' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Press Ctrl+C (⌘C) to copy the selected link.' : hint}
      </small>
    </div>
  );
}
