import { useEffect, useState } from 'react';
import { api, type Asset } from '../lib/api';
import { getAssetUrl } from '../lib/assets';
import { messageOf } from '../lib/useAction';
import './ImageChooser.css';

/** One of the person's library images, picked by id (the studio uploads it when needed). */
export interface Picked {
  id: string;
  url: string;
}

/**
 * A grid of the person's recent library images to pick from, as toggle buttons (keyboard and
 * screen-reader friendly). Used where the API takes asset ids — Compare's references, a cast
 * member's extra pictures — rather than fal storage URLs as Create's References do.
 */
export function ImageChooser({
  label,
  picked,
  max,
  onChange,
  limit = 24,
}: {
  label: string;
  picked: Picked[];
  max: number;
  onChange: (p: Picked[]) => void;
  limit?: number;
}) {
  const [images, setImages] = useState<Asset[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api
      .assets({ kind: 'image', limit })
      .then((r) => live && setImages(r.assets.filter((a) => a.kind === 'image')))
      .catch((err) => live && setError(messageOf(err, 'Your images could not be loaded.')));
    return () => {
      live = false;
    };
  }, [limit]);
  const full = picked.length >= max;
  return (
    <div className="image-chooser" role="group" aria-label={label}>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {images === null && !error && <p className="hint">Loading your images…</p>}
      {images?.length === 0 && <p className="hint">No images in your library yet.</p>}
      <div className="chooser-grid">
        {images?.map((a, i) => {
          const on = picked.some((p) => p.id === a.id);
          return (
            <button
              key={a.id}
              type="button"
              className={`thumb chooser-item${on ? ' on' : ''}`}
              aria-pressed={on}
              disabled={!on && full}
              aria-label={`Image ${i + 1}: ${a.prompt || a.id}`}
              onClick={() => onChange(on ? picked.filter((p) => p.id !== a.id) : [...picked, { id: a.id, url: getAssetUrl(a) }])}
            >
              <img src={getAssetUrl(a)} alt="" loading="lazy" />
            </button>
          );
        })}
      </div>
      <p className="hint" aria-live="polite">
        {picked.length} of at most {max} chosen
      </p>
    </div>
  );
}
