import { useImperativeHandle, useRef, useState, type ClipboardEvent, type DragEvent, type RefObject } from 'react';
import { api } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { ASSET_DRAG_TYPE } from './JobsPanel';

export interface Ref {
  url: string; // the fal storage URL the model receives
  preview?: string; // a local object URL or the studio's own media URL; never a provider URL
}

/** Lets the Create form hand over images pasted elsewhere (e.g. into the prompt). */
export interface ReferencesHandle {
  add: (files: File[]) => Promise<void>;
  /** Adds a drop: files, or one of the person's outputs dragged from the jobs panel. */
  drop: (data: DataTransfer) => Promise<void>;
}

const MAX_BYTES = 20 * 1024 * 1024;

/**
 * Reference images: choose, drop or paste files (several at once when the model takes a list),
 * or drop an output from the jobs panel. The model's count is enforced here; a model that takes
 * one image swaps it for the new one.
 */
export function References({
  refs,
  min,
  max,
  multiple,
  onChange,
  handle,
}: {
  refs: Ref[];
  min: number;
  max: number;
  multiple: boolean;
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
    // A model that takes one image: a new one replaces it once uploaded.
    const single = !multiple && max === 1;
    const room = single ? 1 - busy : max - latest.current.length - busy;
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
        const ref = { url: r.url, preview: URL.createObjectURL(f) };
        if (single) latest.current.forEach((old) => old.preview?.startsWith('blob:') && URL.revokeObjectURL(old.preview));
        const next = single ? [ref] : [...latest.current, ref];
        latest.current = next;
        onChange(next);
      } catch (err) {
        setError(messageOf(err, 'The upload failed.'));
      } finally {
        setBusy((b) => b - 1);
      }
    }
  };
  const addAsset = async (id: string, preview: string) => {
    setError(null);
    const single = !multiple && max === 1;
    if (!single && latest.current.length + busy >= max) return setError(`This model takes at most ${max} reference image${max > 1 ? 's' : ''}. Remove one first.`);
    setBusy((b) => b + 1);
    try {
      const r = await api.uploadAsset(id);
      const next = single ? [{ url: r.url, preview }] : [...latest.current, { url: r.url, preview }];
      latest.current = next;
      onChange(next);
    } catch (err) {
      setError(messageOf(err, 'The image could not be used as a reference.'));
    } finally {
      setBusy((b) => b - 1);
    }
  };
  const drop = async (data: DataTransfer) => {
    const own = data.getData(ASSET_DRAG_TYPE);
    if (own) {
      try {
        const a = JSON.parse(own) as { id: string; url: string; kind: string };
        if (a.kind !== 'image') return setError('Only images can be used as references.');
        return addAsset(a.id, a.url);
      } catch {
        return setError('Drop an image file or one of your images.');
      }
    }
    return add(Array.from(data.files));
  };
  useImperativeHandle(handle, () => ({ add, drop }));

  const remove = (r: Ref) => {
    if (r.preview?.startsWith('blob:')) URL.revokeObjectURL(r.preview);
    onChange(refs.filter((x) => x !== r));
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation(); // handled here, not again by the Create form
    setOver(false);
    void drop(e.dataTransfer);
  };
  const onPaste = (e: ClipboardEvent) => {
    const files = Array.from(e.clipboardData.files);
    if (files.length) {
      e.preventDefault();
      e.stopPropagation(); // handled here, not again by the Create form
      void add(files);
    }
  };

  const label = multiple && max > 1 ? `Reference images (${min > 1 ? `${min} to ${max}` : `up to ${max}`})` : 'Reference image';
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
          {refs.length + busy < max ? `or drop / paste ${multiple && max > 1 ? 'images' : 'an image'} here` : max === 1 ? 'drop another to replace it' : `${max} of ${max} added`}
        </span>
        <input
          ref={input}
          type="file"
          accept="image/*"
          multiple={multiple && max > 1}
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
