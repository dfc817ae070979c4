import { useEffect, useState } from 'react';
import { api, ApiError, type PublicShare } from '../lib/api';

/** The public, read-only page of a share link (/s/{token}): no session, only the shared media. */
export function SharePage({ token }: { token: string }) {
  const [share, setShare] = useState<PublicShare | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .publicShare(token)
      .then(setShare)
      .catch((err) =>
        setError(err instanceof ApiError && err.status === 404 ? 'This link has expired, was revoked, or never existed.' : 'The shared page could not be loaded.'),
      );
  }, [token]);

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
            {share.assets.length === 0 && <div className="card empty">Nothing is shared here any more.</div>}
            <ul className="share-grid" aria-label="Shared media">
              {share.assets.map((a) => (
                <li key={a.id} className="card share-item" data-testid="shared-asset">
                  {a.kind === 'video' ? (
                    <video src={a.url} controls playsInline preload="metadata" />
                  ) : a.kind === 'audio' ? (
                    <audio src={a.url} controls />
                  ) : (
                    <img src={a.url} alt={a.prompt || 'Shared image'} width={a.width ?? undefined} height={a.height ?? undefined} />
                  )}
                  <p className="prompt">{a.prompt || <em className="muted">No prompt</em>}</p>
                  <p className="hint">
                    {a.model} · <time dateTime={a.createdAt}>{new Date(a.createdAt).toLocaleDateString()}</time>
                  </p>
                </li>
              ))}
            </ul>
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
