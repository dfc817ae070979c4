import { useState, type FormEvent } from 'react';
import { api, type Me } from '../lib/api';
import { Banner } from '../components/Banner';
import { messageOf } from '../lib/useAction';

/** Single sign-on in Account (SPEC §12.1): the link with Unlink, or Link (asking for the password). */
export function SsoCard({ me, label, linkedNow, onChanged }: { me: Me; label: string; linkedNow: boolean; onChanged: () => void }) {
  const [asking, setAsking] = useState(false);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [success, setSuccess] = useState<string | null>(linkedNow ? 'Single sign-on is linked to this account.' : null);

  const link = async (e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    if (me.hasPassword && !password) return setError('Enter your password to link single sign-on.');
    setBusy(true);
    try {
      const r = await api.linkSSO(me.hasPassword ? password : undefined);
      window.location.assign(r.url); // to the identity provider; it comes back to /?ssoLinked=1
    } catch (err) {
      setError(messageOf(err, 'Single sign-on could not be linked.'));
      setBusy(false);
    }
  };
  const unlink = async () => {
    if (!window.confirm('Unlink single sign-on? You will sign in with your password.')) return;
    setError(null);
    setBusy(true);
    try {
      await api.unlinkSSO();
      setSuccess('Single sign-on unlinked.');
      onChanged();
    } catch (err) {
      setError(messageOf(err, 'Single sign-on could not be unlinked.'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={link} aria-busy={busy} data-testid="sso-card">
      <h2>Single sign-on</h2>
      <Banner kind="error">{error}</Banner>
      <Banner kind="success">{success}</Banner>
      {me.sso ? (
        <>
          <p>
            Linked to <strong className="break">{me.sso.issuer}</strong> since {new Date(me.sso.linkedAt).toLocaleDateString()}.
          </p>
          {!me.hasPassword && <p className="muted">Set a password below before unlinking: it is then how you sign in.</p>}
          <button type="button" className="btn danger-ghost" onClick={unlink} disabled={busy || !me.hasPassword}>
            Unlink single sign-on
          </button>
        </>
      ) : (
        <>
          <p className="muted">Link this account to your identity provider to sign in with “{label}”.</p>
          {asking && me.hasPassword && (
            <div className="field">
              <label htmlFor="sso-link-password">Your password</label>
              <input id="sso-link-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
            </div>
          )}
          {asking || !me.hasPassword ? (
            <button type="submit" className="btn primary" disabled={busy}>
              {busy ? 'Opening…' : 'Link single sign-on'}
            </button>
          ) : (
            <button type="button" className="btn" onClick={() => setAsking(true)}>
              Link single sign-on…
            </button>
          )}
        </>
      )}
    </form>
  );
}
