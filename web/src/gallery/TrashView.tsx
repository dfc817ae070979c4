import { useCallback, useState } from 'react';
import { api, type Asset } from '../lib/api';
import { getAssetUrl, getThumbUrl } from '../lib/assets';
import { messageOf } from '../lib/useAction';
import { usePagedList } from '../lib/usePagedList';
import { Banner } from '../components/Banner';

/** "3 minutes ago", "2 days ago": how long ago a time was. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const unit = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'} ago`;
  if (s < 60) return 'just now';
  if (s < 3600) return unit(Math.floor(s / 60), 'minute');
  if (s < 86400) return unit(Math.floor(s / 3600), 'hour');
  return unit(Math.floor(s / 86400), 'day');
}

/** How long the trash keeps things, in words ("30 days", "12 hours"). */
export function retentionWords(seconds: number): string {
  if (seconds >= 86400 && seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds >= 3600) return `${Math.round(seconds / 3600)} hours`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} minutes`;
  return `${seconds} seconds`;
}

/**
 * The Trash (SPEC §13.1): what was deleted, newest first, until it is purged. Each item can be
 * restored or deleted for good; a selection both; "Empty trash" deletes everything after a
 * confirmation naming how many items go.
 */
export function TrashView({ retention, onRestored }: { retention: number; onRestored: () => void }) {
  const page = useCallback((cursor: string | null) => api.trash(cursor, 50).then((r) => ({ items: r.assets, nextCursor: r.nextCursor })), []);
  const { items, setItems, cursor, loading, error, setError, more, sentinel } = usePagedList<Asset>(page, 'The trash could not be loaded.');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirm, setConfirm] = useState<'empty' | 'selected' | string | null>(null);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);

  const drop = (ids: string[]) => {
    setItems((cur) => cur.filter((a) => !ids.includes(a.id)));
    setSelected((cur) => new Set([...cur].filter((id) => !ids.includes(id))));
  };
  const run = async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setMsg(null);
    try {
      setMsg(await fn());
    } catch (err) {
      setError(messageOf(err, 'That did not work. Try again.'));
    } finally {
      setBusy(false);
      setConfirm(null);
    }
  };
  const restore = (ids: string[]) =>
    run(async () => {
      const r = await api.restore(ids);
      drop(ids);
      onRestored();
      return r.restored === 1 ? 'Restored 1 item.' : `Restored ${r.restored} items.`;
    });
  const purge = (ids: string[]) =>
    run(async () => {
      const r = await api.purge(ids);
      drop(ids);
      return r.purged === 1 ? 'Deleted 1 item for good.' : `Deleted ${r.purged} items for good.`;
    });
  const empty = () =>
    run(async () => {
      const r = await api.emptyTrash();
      setItems([]);
      setSelected(new Set());
      return r.purged === 1 ? 'Deleted 1 item for good.' : `Deleted ${r.purged} items for good.`;
    });
  const toggle = (id: string) =>
    setSelected((cur) => {
      const next = new Set(cur);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const count = `${items.length}${cursor ? '+' : ''} item${items.length === 1 && !cursor ? '' : 's'}`;
  return (
    <section aria-labelledby="trash-title" data-testid="trash-view">
      <div className="row spread trash-head">
        <div>
          <h2 id="trash-title">Trash</h2>
          <p className="muted">
            {retention > 0 ? `Deleted items are kept for ${retentionWords(retention)}, then deleted for good.` : 'The trash is off: deletes are immediate.'}
          </p>
        </div>
        {items.length > 0 &&
          (confirm === 'empty' ? (
            <span className="confirm" role="group" aria-label="Confirm empty trash">
              <span>Delete {count} for good?</span>
              <button type="button" className="btn small danger" disabled={busy} onClick={() => void empty()}>
                Yes, empty trash
              </button>
              <button type="button" autoFocus className="btn small" onClick={() => setConfirm(null)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" className="btn small danger-ghost" onClick={() => setConfirm('empty')}>
              Empty trash
            </button>
          ))}
      </div>
      <Banner kind="error">{error}</Banner>
      <Banner kind="success">{msg}</Banner>
      {selected.size > 0 && (
        <div className="bulkbar" role="toolbar" aria-label="Selected items in the trash" data-testid="trash-bulk">
          <strong aria-live="polite">{selected.size} selected</strong>
          <button type="button" className="btn small" disabled={busy} onClick={() => void restore([...selected])}>
            Restore
          </button>
          {confirm === 'selected' ? (
            <span className="confirm" role="group" aria-label="Confirm delete for good">
              <span>Delete {selected.size} for good?</span>
              <button type="button" className="btn small danger" disabled={busy} onClick={() => void purge([...selected])}>
                Yes, delete {selected.size}
              </button>
              <button type="button" autoFocus className="btn small" onClick={() => setConfirm(null)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" className="btn small danger-ghost" onClick={() => setConfirm('selected')}>
              Delete for good…
            </button>
          )}
          <button type="button" className="btn small" onClick={() => setSelected(new Set())}>
            Clear
          </button>
        </div>
      )}
      {!loading && items.length === 0 && !error ? (
        <div className="card empty">
          <p>The trash is empty.</p>
        </div>
      ) : (
        <ul className="trash-list">
          {items.map((a) => {
            const what = `${a.kind}: ${a.prompt || a.model}`;
            return (
              <li key={a.id} className="card trash-item" data-testid="trash-item" data-asset-id={a.id}>
                <input type="checkbox" aria-label={`Select ${what}`} checked={selected.has(a.id)} onChange={() => toggle(a.id)} />
                {a.kind === 'image' ? (
                  <img src={getThumbUrl(a) ?? getAssetUrl(a)} alt={a.prompt || 'Deleted image'} loading="lazy" />
                ) : (
                  <span className="trash-kind" aria-hidden="true">
                    {a.kind === 'video' ? '▶' : '♪'}
                  </span>
                )}
                <div className="trash-text">
                  <p className="prompt">{a.prompt || <em className="muted">No prompt</em>}</p>
                  <p className="muted small">
                    {a.trashedAt && <>Deleted {ago(a.trashedAt)}</>}
                    {a.purgeAt && <> · deleted for good on {new Date(a.purgeAt).toLocaleString()}</>}
                  </p>
                </div>
                <div className="trash-actions">
                  <button type="button" className="btn small" disabled={busy} onClick={() => void restore([a.id])} aria-label={`Restore ${what}`}>
                    Restore
                  </button>
                  {confirm === a.id ? (
                    <span className="confirm" role="group" aria-label="Confirm delete for good">
                      <button type="button" className="btn small danger" disabled={busy} onClick={() => void purge([a.id])}>
                        Yes, delete for good
                      </button>
                      <button type="button" autoFocus className="btn small" onClick={() => setConfirm(null)}>
                        Keep
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="btn small danger-ghost" onClick={() => setConfirm(a.id)} aria-label={`Delete for good ${what}`}>
                      Delete for good
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <div ref={sentinel} className="sentinel" />
      {cursor && !loading && (
        <div className="center">
          <button className="btn" type="button" onClick={more}>
            Load more
          </button>
        </div>
      )}
    </section>
  );
}

/** The toast after a delete: "Moved to trash" with Undo, for a few seconds. */
export interface ToastState {
  text: string;
  undo?: () => Promise<void>;
}

export function Toast({ toast, onDone }: { toast: ToastState; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="toast" role="status" data-testid="toast">
      <span>{error ?? toast.text}</span>
      {toast.undo && !error && (
        <button
          type="button"
          className="btn small"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            toast
              .undo?.()
              .then(onDone)
              .catch((err) => {
                setError(messageOf(err, 'Undo did not work; restore it from the Trash.'));
                setBusy(false);
              });
          }}
        >
          Undo
        </button>
      )}
      <button type="button" className="btn small" aria-label="Dismiss" onClick={onDone}>
        ✕
      </button>
    </div>
  );
}
