import { useEffect, useRef, useState } from 'react';
import { api, type Share } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { Dialog } from './Dialog';

const expiries: [string, number | null][] = [
  ['Never', null],
  ['1 day', 1],
  ['7 days', 7],
  ['30 days', 30],
];

/** Create, copy and revoke the public links of one asset or collection. */
export function ShareDialog({
  target,
  label,
  onClose,
  onChanged,
}: {
  target: { assetId?: string; collectionId?: string };
  label: string;
  onClose: () => void;
  onChanged?: (shares: Share[]) => void;
}) {
  const targetId = target.assetId ?? target.collectionId ?? '';
  const [shares, setShares] = useState<Share[] | null>(null);
  const [days, setDays] = useState('7');
  const [link, setLink] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const createBtn = useRef<HTMLButtonElement>(null);

  const reload = async () => {
    try {
      const r = await api.shares();
      const all = r.shares ?? [];
      setShares(all.filter((s) => s.targetId === targetId));
      onChanged?.(all);
    } catch (err) {
      setError(messageOf(err, 'The links could not be loaded.'));
    }
  };
  useEffect(() => {
    void reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [targetId]);

  const create = async () => {
    setBusy(true);
    setError(null);
    setMsg(null);
    try {
      const d = days === '' ? null : Number(days);
      const expiresAt = d ? new Date(Date.now() + d * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z') : null;
      const r = await api.createShare(target, expiresAt);
      setLink(new URL(r.share.url ?? '', window.location.origin).toString());
      await reload();
    } catch (err) {
      setError(messageOf(err, 'The link could not be created.'));
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setMsg('Link copied.');
    } catch {
      setMsg('Copy is not available here; select the link instead.');
    }
  };
  const revoke = async (s: Share) => {
    setError(null);
    try {
      await api.revokeShare(s.id);
      setMsg('Link revoked. It stopped working at once.');
      setLink(null);
      await reload();
      createBtn.current?.focus(); // the revoked row (and its button) is gone

    } catch (err) {
      setError(messageOf(err, 'The link could not be revoked.'));
    }
  };

  return (
    <Dialog title="Share" onClose={onClose} testId="share-dialog">
      <p className="hint">
        Anyone with the link sees {label} and its prompt, nothing else of yours. You can revoke it at any time.
      </p>
      <div className="row">
        <label className="field inline">
          <span>Expires after</span>
          <select value={days} onChange={(e) => setDays(e.target.value)}>
            {expiries.map(([l, d]) => (
              <option key={l} value={d === null ? '' : String(d)}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn primary" onClick={create} disabled={busy} ref={createBtn}>
          Create link
        </button>
      </div>
      {link && (
        <div className="row tight">
          <input type="text" readOnly value={link} aria-label="Share link" data-testid="share-link" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" className="btn" onClick={copy}>
            Copy link
          </button>
        </div>
      )}
      <Banner kind="success">{msg}</Banner>
      <Banner kind="error">{error}</Banner>
      <h3 className="subhead">Active links</h3>
      {shares === null ? (
        <p className="hint">Loading…</p>
      ) : shares.length === 0 ? (
        <p className="hint">No links yet.</p>
      ) : (
        <ul className="share-list">
          {shares.map((s) => (
            <li key={s.id} className="row spread">
              <span>
                Created <time dateTime={s.createdAt}>{new Date(s.createdAt).toLocaleDateString()}</time>
                {' · '}
                {s.expiresAt ? (s.expired ? 'expired' : `expires ${new Date(s.expiresAt).toLocaleDateString()}`) : 'never expires'}
              </span>
              <button type="button" className="btn small danger-ghost" onClick={() => void revoke(s)}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
