import { useRef, useState, type ClipboardEvent, type DragEvent } from 'react';
import { api, ApiError } from '../lib/api';

export interface Ref {
  url: string;
  preview?: string; // a local object URL or the studio's own media URL; never a provider URL
}

const MAX_BYTES = 20 * 1024 * 1024;

export function References({ refs, max, onChange }: { refs: Ref[]; max: number; onChange: (r: Ref[]) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);

  const add = async (files: File[]) => {
    setError(null);
    const room = max - refs.length;
    if (room <= 0) return setError(`This model takes at most ${max} reference image${max > 1 ? 's' : ''}.`);
    const picked = files.filter((f) => f.type.startsWith('image/')).slice(0, room);
    if (picked.length === 0) return setError('Drop or paste an image file.');
    let next = refs;
    for (const f of picked) {
      if (f.size > MAX_BYTES) {
        setError(`${f.name} is larger than 20 MB.`);
        continue;
      }
      setBusy((b) => b + 1);
      try {
        const r = await api.uploadFile(f);
        next = [...next, { url: r.url, preview: URL.createObjectURL(f) }];
        onChange(next);
      } catch (err) {
        setError(err instanceof ApiError ? err.message : 'The upload failed.');
      } finally {
        setBusy((b) => b - 1);
      }
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void add(Array.from(e.dataTransfer.files));
  };
  const onPaste = (e: ClipboardEvent) => {
    const files = Array.from(e.clipboardData.files);
    if (files.length) {
      e.preventDefault();
      void add(files);
    }
  };

  return (
    <div className="field">
      <span>
        Reference image{max > 1 ? `s (up to ${max})` : ''}
      </span>
      <div
        className={over ? 'dropzone over' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        onPaste={onPaste}
        tabIndex={0}
        aria-label="Reference images: drop, paste or choose files"
      >
        {refs.map((r, i) => (
          <div className="thumb" key={r.url}>
            {r.preview ? (
              <img src={r.preview} alt={`Reference ${i + 1}`} />
            ) : (
              <span className="thumb-placeholder" title="A reference image kept at fal">
                ref {i + 1}
              </span>
            )}
            <button type="button" className="thumb-x" aria-label={`Remove reference ${i + 1}`} onClick={() => onChange(refs.filter((x) => x !== r))}>
              ✕
            </button>
          </div>
        ))}
        {busy > 0 && <div className="thumb skeleton" aria-label="Uploading" />}
        {refs.length < max && (
          <button type="button" className="btn small" onClick={() => input.current?.click()}>
            Choose image…
          </button>
        )}
        <span className="hint">or drop / paste here</span>
        <input
          ref={input}
          type="file"
          accept="image/*"
          multiple={max > 1}
          hidden
          data-testid="reference-input"
          onChange={(e) => {
            void add(Array.from(e.target.files ?? []));
            e.target.value = '';
          }}
        />
      </div>
      {error && (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
