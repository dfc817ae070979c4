import { useCallback, useEffect, useState } from 'react';
import { api, power, type CastMember } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';

/**
 * Library → Cast (SPEC §14): the person's members and those others share, each with its first
 * picture and kind. A new member is made from the gallery's selection; the owner shares,
 * unshares or deletes one; "Show assets" filters the gallery by it.
 */
export function CastView({ onShowAssets }: { onShowAssets: (m: CastMember) => void }) {
  const [cast, setCast] = useState<CastMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [me, setMe] = useState<number | null>(null);
  useEffect(() => {
    api
      .me()
      .then((r) => setMe(r.user.id))
      .catch(() => setMe(null));
  }, []);
  const load = useCallback(() => {
    power
      .cast()
      .then((r) => setCast(r.cast))
      .catch((err) => setError(messageOf(err, 'The cast could not be loaded.')));
  }, []);
  useEffect(load, [load]);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      load();
    } catch (err) {
      setError(messageOf(err, 'That did not work.'));
    }
  };
  if (cast === null) return <p className="hint">Loading the cast…</p>;
  return (
    <div className="cast-view">
      <Banner kind="error">{error}</Banner>
      {cast.length === 0 && (
        <div className="empty">
          <p>No cast yet. Select pictures in Assets and choose “New cast member” to add a person, pet, product or style you can use as @name.</p>
        </div>
      )}
      <ul className="cast-grid">
        {cast.map((m) => {
          const mine = m.owner.id === me;
          return (
            <li key={m.id} className="card cast-card">
              {m.images[0] && <img src={m.images[0].url} alt={`@${m.name}`} />}
              <strong>@{m.name}</strong>
              <span className="hint">
                {m.kind} · {m.images.length} picture{m.images.length === 1 ? '' : 's'}
                {mine ? (m.shared ? ' · shared' : '') : ` · shared by ${m.owner.email}`}
              </span>
              <div className="row">
                <button type="button" className="btn small" onClick={() => onShowAssets(m)}>
                  Show assets
                </button>
                {mine && (
                  <>
                    <button type="button" className="btn small" onClick={() => void act(() => power.updateCast(m.id, { shared: !m.shared }))}>
                      {m.shared ? 'Stop sharing' : 'Share'}
                    </button>
                    <button type="button" className="btn small danger-ghost" onClick={() => void act(() => power.deleteCast(m.id))}>
                      Delete
                    </button>
                  </>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
