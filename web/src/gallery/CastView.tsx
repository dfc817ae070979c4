import { useCallback, useEffect, useState } from 'react';
import { api, power, type CastMember } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { ImageChooser, type Picked } from '../components/ImageChooser';

const MAX_PICTURES = 8; // a member's pictures (SPEC §14)

/**
 * Library → Cast (SPEC §14): the person's members and those others share, each with its first
 * picture and kind. A new member is made from the gallery's selection; the owner shares,
 * unshares or deletes one; "Show assets" filters the gallery by it.
 */
export function CastView({ onShowAssets }: { onShowAssets: (m: CastMember) => void }) {
  const [cast, setCast] = useState<CastMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [me, setMe] = useState<number | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
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
                    <button type="button" className="btn small" aria-expanded={editing === m.id} onClick={() => setEditing(editing === m.id ? null : m.id)}>
                      Edit
                    </button>
                    <button type="button" className="btn small" onClick={() => void act(() => power.updateCast(m.id, { shared: !m.shared }))}>
                      {m.shared ? 'Stop sharing' : 'Share'}
                    </button>
                    <button type="button" className="btn small danger-ghost" onClick={() => void act(() => power.deleteCast(m.id))}>
                      Delete
                    </button>
                  </>
                )}
              </div>
              {editing === m.id && <CastEditor member={m} onSave={(patch) => act(() => power.updateCast(m.id, patch))} />}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** The owner's editor: description, the pictures' order (move earlier), removal and additions. */
function CastEditor({
  member,
  onSave,
}: {
  member: CastMember;
  onSave: (patch: { description?: string; imageIds?: string[]; addAssetIds?: string[] }) => Promise<void>;
}) {
  const [description, setDescription] = useState(member.description);
  const [adding, setAdding] = useState(false);
  const [picked, setPicked] = useState<Picked[]>([]);
  const room = MAX_PICTURES - member.images.length;
  const ids = member.images.map((im) => im.id);
  const move = (i: number) => {
    const next = [...ids];
    [next[i - 1], next[i]] = [next[i], next[i - 1]];
    void onSave({ imageIds: next });
  };
  return (
    <div className="cast-editor">
      <label className="field">
        <span>Description of @{member.name}</span>
        <textarea rows={2} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <button type="button" className="btn small" onClick={() => void onSave({ description })}>
        Save description
      </button>
      <ol className="cast-pictures">
        {member.images.map((im, i) => (
          <li key={im.id}>
            <img src={im.url} alt={`Picture ${i + 1} of @${member.name}`} />
            <button type="button" className="btn small" disabled={i === 0} onClick={() => move(i)} aria-label={`Move picture ${i + 1} earlier`}>
              ←
            </button>
            <button
              type="button"
              className="btn small danger-ghost"
              disabled={ids.length <= 1}
              onClick={() => void onSave({ imageIds: ids.filter((x) => x !== im.id) })}
              aria-label={`Remove picture ${i + 1}`}
            >
              ×
            </button>
          </li>
        ))}
      </ol>
      {room > 0 ? (
        <button type="button" className="btn small" aria-expanded={adding} onClick={() => setAdding(!adding)}>
          {adding ? 'Cancel adding' : 'Add pictures'}
        </button>
      ) : (
        <p className="hint">@{member.name} has the most pictures a member keeps ({MAX_PICTURES}); remove one to add another.</p>
      )}
      {adding && room > 0 && (
        <div className="cast-add">
          <ImageChooser label={`Pictures to add to @${member.name}`} picked={picked} max={room} onChange={setPicked} />
          <button
            type="button"
            className="btn small primary"
            disabled={picked.length === 0}
            onClick={() =>
              void onSave({ addAssetIds: picked.map((p) => p.id) }).then(() => {
                setPicked([]);
                setAdding(false);
              })
            }
          >
            Add {picked.length || ''} picture{picked.length === 1 ? '' : 's'}
          </button>
        </div>
      )}
    </div>
  );
}
