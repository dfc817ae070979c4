import { useImperativeHandle, useRef, useState, type ClipboardEvent, type DragEvent, type RefObject } from 'react';
import { api, ApiError } from '../lib/api';

export interface Ref {
  url: string; // the fal storage URL the model receives
  preview?: string; // a local object URL or the studio's own media URL; never a provider URL
}

/** Lets the Create form hand over images pasted elsewhere (e.g. into the prompt). */
export interface ReferencesHandle {
  add: (files: File[]) => Promise<void>;
}

const MAX_BYTES = 20 * 1024 * 1024;

export function References({
  refs,
  min,
  max,
  onChange,
  handle,
}: {
  refs: Ref[];
  min: number;
  max: number;
  onChange: (r: Ref[]) => void;
  handle?: RefObject<ReferencesHandle | null>;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const latest = useRef(refs);
  latest.current = refs;

  const add = async (files: File[]) => {
    setError(null);
    const room = max - latest.current.length - busy;
    if (room <= 0) return setError(`This model takes at most ${max} reference image${max > 1 ? 's' : ''}. Remove one first.`);
    const images = files.filter((f) => f.type.startsWith('image/'));
    if (images.length === 0) return setError('Drop, paste or choose an image file.');
    if (images.length > room) setError(`Only ${room} more reference image${room > 1 ? 's fit' : ' fits'}; the rest were left out.`);
    for (const f of images.slice(0, room)) {
      if (f.size > MAX_BYTES) {
        setError(`${f.name} is larger than 20 MB.`);
        continue;
      }
      setBusy((b) => b + 1);
      try {
        const r = await api.uploadFile(f);
        const next = [...latest.current, { url: r.url, preview: URL.createObjectURL(f) }];
        latest.current = next;
        onChange(next);
      } catch (err) {
        setError(err instanceof ApiError ? err.message : 'The upload failed.');
      } finally {
        setBusy((b) => b - 1);
      }
    }
  };
  useImperativeHandle(handle, () => ({ add }));

  const remove = (r: Ref) => {
    if (r.preview?.startsWith('blob:')) URL.revokeObjectURL(r.preview);
    onChange(refs.filter((x) => x !== r));
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
      e.stopPropagation(); // handled here, not again by the Create form
      void add(files);
    }
  };

  const label = max > 1 ? `Reference images (${min > 1 ? `${min} to ${max}` : `up to ${max}`})` : 'Reference image';
  return (
    <div className="field">
      <span id="refs-label">{label}</span>
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
        role="group"
        aria-labelledby="refs-label"
        aria-describedby="refs-hint"
        data-testid="reference-dropzone"
      >
        {refs.map((r, i) => (
          <div className="thumb" key={r.url} data-testid="reference-thumb">
            {r.preview ? (
              <img src={r.preview} alt={`Reference ${i + 1}`} />
            ) : (
              <span className="thumb-placeholder" title="A reference image kept at fal">
                ref {i + 1}
              </span>
            )}
            <button type="button" className="thumb-x" aria-label={`Remove reference ${i + 1}`} onClick={() => remove(r)}>
              ✕
            </button>
          </div>
        ))}
        {busy > 0 && <div className="thumb skeleton" role="status" aria-label="Uploading" />}
        {refs.length + busy < max && (
          <button type="button" className="btn small" onClick={() => input.current?.click()}>
            Choose image…
          </button>
        )}
        <span className="hint" id="refs-hint">
          {refs.length + busy < max ? 'or drop / paste an image here' : `${max} of ${max} added`}
        </span>
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
