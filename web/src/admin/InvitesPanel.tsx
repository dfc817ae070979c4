import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, type Invite } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { CopyField } from './CopyField';
import { dateTime, relativeTime } from './format';

const EXPIRY: { hours: number; label: string }[] = [
  { hours: 24, label: '1 day' },
  { hours: 72, label: '3 days' },
  { hours: 168, label: '7 days' },
  { hours: 720, label: '30 days' },
];

const STATE_LABEL: Record<Invite['state'], string> = { pending: 'Waiting', used: 'Used', expired: 'Expired', revoked: 'Revoked' };
const STATE_PILL: Record<Invite['state'], string> = { pending: 'pill-queued', used: 'pill-succeeded', expired: '', revoked: 'pill-failed' };

export function InvitesPanel({ signupMode }: { signupMode: string | null }) {
  const [invites, setInvites] = useState<Invite[] | null>(null);
  const [email, setEmail] = useState('');
  const [hours, setHours] = useState(168);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ url: string; invite: Invite } | null>(null);

  const load = useCallback(async () => {
    try {
      setInvites((await api.admin.invites()).invites);
    } catch (err) {
      setError(messageOf(err, 'The invites could not be loaded.'));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const addr = email.trim();
    if (addr && !/^[^\s@]+@[^\s@]+$/.test(addr)) return setError('Enter a valid email address, or leave it empty for anyone with the link.');
    setBusy(true);
    try {
      const r = await api.admin.createInvite(addr, hours);
      setCreated(r);
      setEmail('');
      setInvites((cur) => [r.invite, ...(cur ?? [])]);
    } catch (err) {
      setError(messageOf(err, 'The invite could not be created.'));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (inv: Invite) => {
    setError(null);
    try {
      await api.admin.revokeInvite(inv.id);
      setInvites((cur) => (cur ?? []).map((x) => (x.id === inv.id ? { ...x, revoked: true, state: 'revoked' } : x)));
      if (created?.invite.id === inv.id) setCreated(null);
    } catch (err) {
      setError(messageOf(err, 'The invite could not be revoked.'));
    }
  };

  return (
    <div className="admin-stack">
      <form className="card" onSubmit={create} aria-busy={busy} noValidate>
        <h2>Invite someone</h2>
        <p className="muted">
          {signupMode === 'open'
            ? 'Anyone can sign up on this studio now; an invite link still works if you close sign-up later.'
            : 'Sign-up on this studio needs an invite. An invite link works once.'}
        </p>
        <Banner kind="error">{error}</Banner>
        <div className="invite-form">
          <div className="field">
            <label htmlFor="invite-email">Email (optional)</label>
            <input
              id="invite-email"
              type="email"
              autoComplete="off"
              placeholder="Anyone with the link"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-describedby="invite-email-hint"
            />
            <small id="invite-email-hint" className="hint">
              When given, only this address can use the invite.
            </small>
          </div>
          <div className="field">
            <label htmlFor="invite-expiry">Expires after</label>
            <select id="invite-expiry" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              {EXPIRY.map((x) => (
                <option key={x.hours} value={x.hours}>
                  {x.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <button type="submit" className="btn primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create invite link'}
        </button>
        {created && (
          <div className="inline-panel" data-testid="new-invite">
            <CopyField
              label={created.invite.email ? `Invite link for ${created.invite.email}` : 'Invite link'}
              value={created.url}
              hint={`Shown only now: copy it and send it yourself. Valid until ${dateTime(created.invite.expiresAt)}.`}
            />
          </div>
        )}
      </form>
      <div className="card">
        <h2>Invites</h2>
        {invites === null ? (
          <div className="skeleton line" aria-busy="true" />
        ) : invites.length === 0 ? (
          <p className="muted">No invites yet.</p>
        ) : (
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">For</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invites.map((inv) => (
                <tr key={inv.id} data-testid="invite-row">
                  <td data-label="For">{inv.email ?? <span className="muted">anyone with the link</span>}</td>
                  <td data-label="State">
                    <span className={`pill ${STATE_PILL[inv.state]}`}>{STATE_LABEL[inv.state]}</span>{' '}
                    <span className="hint">
                      {inv.state === 'used' && inv.usedBy
                        ? `by ${inv.usedBy}, ${relativeTime(inv.usedAt)}`
                        : inv.state === 'pending'
                          ? `expires ${relativeTime(inv.expiresAt)}`
                          : inv.state === 'expired'
                            ? relativeTime(inv.expiresAt)
                            : ''}
                    </span>
                  </td>
                  <td data-label="Created">
                    <span title={dateTime(inv.createdAt)}>{relativeTime(inv.createdAt)}</span>
                  </td>
                  <td data-label="Actions">
                    {inv.state === 'pending' && (
                      <button type="button" className="btn small danger-ghost" onClick={() => void revoke(inv)} aria-label={`Revoke invite ${inv.email ?? inv.id}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
