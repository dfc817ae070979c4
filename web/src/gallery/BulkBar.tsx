import { useState } from 'react';
import { api, exportUrl, power, type Asset, type CastKind, type Collection } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { StitchDialog } from './StitchDialog';
import { useFFmpeg } from './VideoTools';

/** Actions on the selected assets: favourite, add to a collection, download a zip, delete. */
export function BulkBar({
  ids,
  total,
  collections,
  onSelectAll,
  onClear,
  onFavorited,
  onAdded,
  onDeleted,
  onCollectionCreated,
  trashOn = false,
  selectedAssets = [],
}: {
  /** Deletes go to the trash at once (the caller offers Undo); off: confirm first. */
  trashOn?: boolean;
  ids: string[];
  /** The selected assets that are loaded (Stitch takes the videos among them). */
  selectedAssets?: Asset[];
  total: number;
  collections: Collection[];
  onSelectAll: () => void;
  onClear: () => void;
  onFavorited: (ids: string[]) => void;
  onAdded: (collectionId: string, ids: string[]) => Promise<void>;
  onDeleted: (ids: string[]) => void;
  onCollectionCreated: () => Promise<void>;
}) {
  const [target, setTarget] = useState('');
  const [newName, setNewName] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stitching, setStitching] = useState(false);
  const ffmpeg = useFFmpeg();
  const videos = selectedAssets.filter((a) => a.kind === 'video');
  const stitchReason =
    ffmpeg === false
      ? 'This studio has no ffmpeg installed, so it cannot join videos.'
      : videos.length < 2 || videos.length !== ids.length
        ? 'Select 2 to 20 videos (and nothing else) to stitch them.'
        : videos.length > 20
          ? 'At most 20 clips can be stitched at once.'
          : '';
  const [castName, setCastName] = useState('');
  const [castKind, setCastKind] = useState<CastKind>('person');

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setMsg(null);
    try {
      await fn();
    } catch (err) {
      setError(messageOf(err, 'That did not work. Try again.'));
    } finally {
      setBusy(false);
    }
  };
  const add = () =>
    run(async () => {
      let id = target;
      if (id === '__new') {
        const r = await api.createCollection(newName);
        id = r.collection.id;
        await onCollectionCreated();
        setTarget(id);
        setNewName('');
      }
      const r = await api.addToCollection(id, ids);
      await onAdded(id, ids);
      setMsg(`Added to “${r.collection.name}”.`);
    });

  return (
    <div className="bulkbar" role="toolbar" aria-label="Selected assets" data-testid="bulk-bar">
      <strong aria-live="polite" data-testid="selected-count">
        {ids.length} selected
      </strong>
      {ids.length < total && (
        <button type="button" className="btn small" onClick={onSelectAll}>
          Select all loaded ({total})
        </button>
      )}
      <button type="button" className="btn small" onClick={onClear}>
        Clear <span className="muted">(Esc)</span>
      </button>
      <span className="bulk-sep" aria-hidden="true" />
      <button
        type="button"
        className="btn small"
        disabled={busy}
        onClick={() =>
          run(async () => {
            const r = await api.bulkFavorite(ids, true);
            onFavorited(ids);
            setMsg(`${r.updated} marked as favourites.`);
          })
        }
      >
        ★ Favourite
      </button>
      <label className="field inline">
        <span className="sr-only">Collection</span>
        <select aria-label="Add to collection" value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">Add to collection…</option>
          {collections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
          <option value="__new">New collection…</option>
        </select>
      </label>
      {target === '__new' && (
        <input type="text" aria-label="New collection name" placeholder="Name" maxLength={100} value={newName} onChange={(e) => setNewName(e.target.value)} />
      )}
      <button type="button" className="btn small" disabled={busy || !target || (target === '__new' && !newName.trim())} onClick={() => void add()}>
        Add
      </button>
      <button type="button" className="btn small" disabled={busy || stitchReason !== ''} title={stitchReason || 'Join the selected clips into one video'} onClick={() => setStitching(true)}>
        Stitch…
      </button>
      {stitchReason && videos.length > 0 && <span className="muted small" data-testid="stitch-reason">{stitchReason}</span>}
      {stitching && (
        <StitchDialog
          clips={videos}
          onClose={() => setStitching(false)}
          onStarted={() => {
            setStitching(false);
            setMsg('Stitching: the new video appears in the jobs panel and then in the gallery.');
          }}
        />
      )}
      <input type="text" aria-label="New cast member name" placeholder="Cast name" maxLength={40} value={castName} onChange={(e) => setCastName(e.target.value)} />
      <select aria-label="Cast member kind" value={castKind} onChange={(e) => setCastKind(e.target.value as CastKind)}>
        <option value="person">Person</option>
        <option value="pet">Pet</option>
        <option value="product">Product</option>
        <option value="style">Style</option>
      </select>
      <button
        type="button"
        className="btn small"
        disabled={busy || !castName.trim() || ids.length > 8}
        title={ids.length > 8 ? 'A cast member has at most 8 pictures' : undefined}
        onClick={() =>
          run(async () => {
            const r = await power.createCast({ name: castName.trim(), kind: castKind, assetIds: ids });
            setCastName('');
            setMsg(`@${r.cast.name} joined the cast.`);
          })
        }
      >
        New cast member
      </button>
      <a className="btn small" href={exportUrl({ ids })} download>
        Download zip
      </a>
      {trashOn ? (
        <button
          type="button"
          className="btn small danger-ghost"
          disabled={busy}
          onClick={() =>
            run(async () => {
              await api.bulkDelete(ids);
              onDeleted(ids);
            })
          }
        >
          Move to trash
        </button>
      ) : !confirming ? (
        <button type="button" className="btn small danger-ghost" onClick={() => setConfirming(true)}>
          Delete…
        </button>
      ) : (
        <span className="confirm" role="group" aria-label="Confirm delete">
          <span>
            Delete {ids.length} forever?
          </span>
          <button
            type="button"
            className="btn small danger"
            disabled={busy}
            onClick={() =>
              run(async () => {
                await api.bulkDelete(ids);
                setConfirming(false);
                onDeleted(ids);
              })
            }
          >
            Yes, delete {ids.length}
          </button>
          <button type="button" autoFocus className="btn small" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </span>
      )}
      {msg && (
        <span className="bulk-msg" role="status">
          {msg}
        </span>
      )}
      {error && (
        <span className="bulk-err" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
