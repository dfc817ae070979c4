import { useState } from 'react';
import { Banner } from '../components/Banner';
import { messageOf } from '../lib/useAction';
import { sharedApi, type SharedUpload } from './shared';

// SharedBanner shows what was shared to the studio that Create did not take as a reference:
// a video (Import to Gallery), or an image when it could not become one (no fal key yet).
export function SharedBanner({ uploads, message, onDone }: { uploads: SharedUpload[]; message: string | null; onDone: () => void }) {
  const [imported, setImported] = useState<Record<string, boolean>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const importOne = async (u: SharedUpload) => {
    setBusy(true);
    setError(null);
    try {
      await sharedApi.importToGallery(u.id);
      setImported((m) => ({ ...m, [u.id]: true }));
    } catch (err) {
      setError(messageOf(err, 'The file could not be imported.'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card shared-banner" aria-label="Shared to the studio" data-testid="shared-banner">
      {message && <p>{message}</p>}
      <Banner kind="error">{error}</Banner>
      <ul className="plain-list">
        {uploads.map((u) => (
          <li key={u.id} className="row">
            {u.kind === 'video' ? (
              <video src={u.url} muted playsInline preload="metadata" className="shared-thumb" aria-label={u.name ?? 'Shared video'} />
            ) : (
              <img src={u.url} alt={u.name ?? 'Shared image'} className="shared-thumb" />
            )}
            <span className="grow">{u.name ?? (u.kind === 'video' ? 'Shared video' : 'Shared image')}</span>
            {imported[u.id] ? (
              <span role="status">Imported to the Gallery.</span>
            ) : (
              <button className="btn small" type="button" disabled={busy} onClick={() => void importOne(u)}>
                Import to Gallery
              </button>
            )}
          </li>
        ))}
      </ul>
      <button className="btn small" type="button" onClick={onDone}>
        Dismiss
      </button>
    </section>
  );
}
