import { useState } from 'react';
import { api, type Asset } from '../lib/api';
import { getThumbUrl } from '../lib/assets';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { Dialog } from './Dialog';

/**
 * Stitch the selected clips into one MP4 (SPEC §15.7): order them by dragging (or with the
 * up/down buttons), set the crossfade, start the job; it shows in the jobs panel like any other.
 */
export function StitchDialog({ clips, onClose, onStarted }: { clips: Asset[]; onClose: () => void; onStarted: () => void }) {
  const [order, setOrder] = useState(clips);
  const [fade, setFade] = useState(0);
  const [dragging, setDragging] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const move = (from: number, to: number) =>
    setOrder((cur) => {
      if (to < 0 || to >= cur.length || from === to) return cur;
      const next = [...cur];
      const [x] = next.splice(from, 1);
      next.splice(to, 0, x);
      return next;
    });
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.stitch(
        order.map((a) => a.id),
        fade,
      );
      onStarted();
    } catch (err) {
      setError(messageOf(err, 'The stitch could not start.'));
      setBusy(false);
    }
  };

  return (
    <Dialog className="modal small-modal" labelledBy="stitch-title" onClose={onClose}>
      <div className="stitch">
        <h2 id="stitch-title">Stitch {order.length} clips</h2>
        <p className="muted small">Drag to set the order. Every clip is fitted into the first clip’s size.</p>
        <ol className="stitch-list" data-testid="stitch-list">
          {order.map((a, i) => (
            <li
              key={`${a.id}-${i}`}
              draggable
              onDragStart={() => setDragging(i)}
              onDragOver={(e) => e.preventDefault()}
              onDrop={() => {
                if (dragging !== null) move(dragging, i);
                setDragging(null);
              }}
              data-testid="stitch-item"
              data-asset-id={a.id}
            >
              {getThumbUrl(a) ? <img src={getThumbUrl(a) ?? ''} alt="" width={64} height={36} /> : <span className="thumb-fallback" aria-hidden="true" />}
              <span className="stitch-name">{a.prompt || a.id}</span>
              <button type="button" className="btn small" onClick={() => move(i, i - 1)} disabled={i === 0} aria-label={`Move clip ${i + 1} earlier`}>
                ↑
              </button>
              <button type="button" className="btn small" onClick={() => move(i, i + 1)} disabled={i === order.length - 1} aria-label={`Move clip ${i + 1} later`}>
                ↓
              </button>
            </li>
          ))}
        </ol>
        <label className="field">
          Crossfade: {fade.toFixed(1)} s
          <input type="range" min={0} max={2} step={0.1} value={fade} onChange={(e) => setFade(Number(e.target.value))} data-testid="crossfade" />
        </label>
        <Banner kind="error">{error}</Banner>
        <div className="actions">
          <button type="button" className="btn primary" onClick={() => void start()} disabled={busy} data-testid="stitch-start">
            Stitch
          </button>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
        </div>
      </div>
    </Dialog>
  );
}
