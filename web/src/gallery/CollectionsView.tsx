import { useState } from 'react';
import { api, exportUrl, type Collection } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';

/** The boards: create, open, rename, share, download and delete collections. */
export function CollectionsView({
  collections,
  onChanged,
  onOpen,
  onShare,
}: {
  collections: Collection[];
  onChanged: () => Promise<void>;
  onOpen: (c: Collection) => void;
  onShare: (c: Collection) => void;
}) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [newName, setNewName] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);

  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await onChanged();
      return true;
    } catch (err) {
      setError(messageOf(err, 'That did not work. Try again.'));
      return false;
    }
  };

  return (
    <div>
      <form
        className="toolbar"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run(() => api.createCollection(name))) setName('');
        }}
      >
        <input type="text" aria-label="New collection name" placeholder="New collection…" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="btn primary" disabled={!name.trim()}>
          Create collection
        </button>
      </form>
      <Banner kind="error">{error}</Banner>
      {collections.length === 0 ? (
        <div className="card empty">
          <p>No collections yet. Create one, then add assets to it from the gallery (select them, then “Add to collection”).</p>
        </div>
      ) : (
        <ul className="boards" aria-label="Collections">
          {collections.map((c) => (
            <li key={c.id} className="board card" data-testid="collection-card" data-collection-id={c.id}>
              <button type="button" className="board-open" onClick={() => onOpen(c)} aria-label={`Open collection ${c.name}`}>
                {c.coverUrl ? <img src={c.coverUrl} alt="" loading="lazy" /> : <span className="board-empty" aria-hidden="true">▦</span>}
              </button>
              {renaming === c.id ? (
                <form
                  className="row tight"
                  onSubmit={async (e) => {
                    e.preventDefault();
                    if (await run(() => api.updateCollection(c.id, { name: newName }))) setRenaming(null);
                  }}
                >
                  <input type="text" aria-label="Collection name" maxLength={100} value={newName} onChange={(e) => setNewName(e.target.value)} autoFocus />
                  <button type="submit" className="btn small primary">
                    Save
                  </button>
                  <button type="button" className="btn small" onClick={() => setRenaming(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <div className="board-title">
                  <strong>{c.name}</strong> <span className="muted">{c.count === 1 ? '1 item' : `${c.count} items`}</span>
                </div>
              )}
              <div className="actions">
                <button
                  type="button"
                  className="btn small"
                  onClick={() => {
                    setRenaming(c.id);
                    setNewName(c.name);
                  }}
                >
                  Rename
                </button>
                <button type="button" className="btn small" onClick={() => onShare(c)}>
                  Share
                </button>
                {c.count > 0 && (
                  <a className="btn small" href={exportUrl({ collection: c.id })} download>
                    Download zip
                  </a>
                )}
                {confirming === c.id ? (
                  <span className="confirm" role="group" aria-label={`Confirm deleting ${c.name}`}>
                    <button type="button" className="btn small danger" onClick={() => void run(() => api.deleteCollection(c.id))}>
                      Delete collection
                    </button>
                    <button type="button" autoFocus className="btn small" onClick={() => setConfirming(null)}>
                      Keep
                    </button>
                  </span>
                ) : (
                  <button type="button" className="btn small danger-ghost" onClick={() => setConfirming(c.id)} aria-label={`Delete ${c.name}…`}>
                    Delete…
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <p className="hint">Deleting a collection keeps its assets in the gallery.</p>
    </div>
  );
}
