import { useCallback, useState } from 'react';
import { api, ApiError, type PublicShare } from '../lib/api';
import { usePagedList } from '../lib/usePagedList';
import { UserError } from '../lib/useAction';

type SharedAsset = PublicShare['assets'][number];

/**
 * The public, read-only page of a share link (/s/{token}): no session, only the shared media.
 * A shared collection comes in pages (the server sends 50 at a time); the next loads as the end
 * of the list scrolls into view, or with "Load more".
 */
export function SharePage({ token }: { token: string }) {
  const [share, setShare] = useState<Pick<PublicShare, 'kind' | 'name'> | null>(null);
  const page = useCallback(
    async (cursor: string | null) => {
      try {
        const p = await api.publicShare(token, cursor);
        setShare({ kind: p.kind, name: p.name });
        return { items: p.assets, nextCursor: p.nextCursor ?? null };
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) throw new UserError('This link has expired, was revoked, or never existed.');
        throw err;
      }
    },
    [token],
  );
  const { items, cursor, loading, error, more, sentinel } = usePagedList<SharedAsset>(page, 'The shared page could not be loaded.');

  return (
    <div className="app share-page">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">◆</span> fal-studio
        </div>
        <span className="muted">Shared with you{share?.name ? ` · ${share.name}` : ''}</span>
      </header>
      <main className="content">
        {error && (
          <div className="card empty" role="alert">
            {error}
          </div>
        )}
        {!share && !error && <div className="spinner" aria-label="Loading" />}
        {share && (
          <>
            {share.name && <h1 className="share-title">{share.name}</h1>}
            {items.length === 0 && !loading && <div className="card empty">Nothing is shared here any more.</div>}
            <ul className="share-grid" aria-label="Shared media">
              {items.map((a) => (
                <li key={a.id} className="card share-item" data-testid="shared-asset">
                  {a.kind === 'video' ? (
                    <video src={a.url} controls playsInline preload="metadata" />
                  ) : a.kind === 'audio' ? (
                    <audio src={a.url} controls />
                  ) : (
                    <img src={a.url} alt={a.prompt || 'Shared image'} width={a.width ?? undefined} height={a.height ?? undefined} />
                  )}
                  {a.aiGenerated !== false && (
                    <span className="ai-label" data-testid="ai-label">
                      AI-generated
                    </span>
                  )}
                  <p className="prompt">{a.prompt || <em className="muted">No prompt</em>}</p>
                  <p className="hint">
                    {a.model} · <time dateTime={a.createdAt}>{new Date(a.createdAt).toLocaleDateString()}</time>
                  </p>
                </li>
              ))}
            </ul>
            <div ref={sentinel} className="sentinel" />
            {cursor && !loading && (
              <div className="center">
                <button className="btn" type="button" onClick={more}>
                  Load more
                </button>
              </div>
            )}
          </>
        )}
      </main>
    </div>
  );
}

/** The share token when the page is a share link, else null. */
export function shareTokenFromPath(path: string): string | null {
  const m = path.match(/^\/s\/([A-Za-z0-9_-]{20,100})\/?$/);
  return m ? m[1] : null;
}
