import { useEffect, useState } from 'react';
import { api, type AdminUser, type Share } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { dateTime } from './format';

/**
 * A person's live share links, for an admin to take one down (e.g. of a disabled account, whose
 * links are only suspended). The links themselves are never shown: only their hashes are kept.
 */
export function UserShares({ u, onClose }: { u: AdminUser; onClose: () => void }) {
  const [shares, setShares] = useState<Share[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.admin
      .userShares(u.id)
      .then((r) => live && setShares(r.shares))
      .catch((err) => live && setError(messageOf(err, 'The share links could not be loaded.')));
    return () => {
      live = false;
    };
  }, [u.id]);

  const takeDown = async (s: Share) => {
    setBusy(s.id);
    setError(null);
    setNotice(null);
    try {
      await api.admin.revokeShare(s.id);
      setShares((cur) => (cur ?? []).filter((x) => x.id !== s.id));
      setNotice('The link was taken down; it no longer opens.');
    } catch (err) {
      setError(messageOf(err, 'The link could not be taken down. Try again.'));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="inline-panel" data-testid="user-shares">
      <strong>Share links of {u.email}</strong>
      {u.disabled && <p className="hint">Suspended while the account is disabled; they open again if it is enabled.</p>}
      <Banner kind="error">{error}</Banner>
      <Banner kind="success">{notice}</Banner>
      {shares === null && !error && <div className="skeleton line" aria-busy="true" />}
      {shares && shares.length === 0 && <p className="muted">No live share links.</p>}
      {shares && shares.length > 0 && (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">Shares</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shares.map((s) => (
              <tr key={s.id} data-testid="user-share">
                <td data-label="Shares">
                  {s.kind === 'collection' ? 'Collection' : 'Asset'} <code>{s.targetId}</code>
                </td>
                <td data-label="Created">{dateTime(s.createdAt)}</td>
                <td data-label="Expires">{s.expiresAt ? dateTime(s.expiresAt) : <span className="muted">never</span>}</td>
                <td data-label="Actions">
                  <button
                    type="button"
                    className="btn small danger-ghost"
                    disabled={busy === s.id}
                    onClick={() => void takeDown(s)}
                    aria-label={`Take down the link to ${s.kind} ${s.targetId}`}
                  >
                    Take down
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" className="btn small" onClick={onClose}>
        Done
      </button>
    </div>
  );
}
