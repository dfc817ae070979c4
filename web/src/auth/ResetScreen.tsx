import { useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { MIN_PASSWORD, passwordTooShort } from '../lib/password';

/** /reset#token=…: set a new password with a one-time link an admin made. */
export function ResetScreen({ token, onDone }: { token: string; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (passwordTooShort(password)) return setError(`The password must be at least ${MIN_PASSWORD} characters long.`);
    if (new TextEncoder().encode(password).length > 72) return setError('The password must be at most 72 bytes long.');
    if (password !== confirm) return setError('The passwords do not match.');
    setBusy(true);
    try {
      await api.resetPassword(token, password);
      setDone(true);
    } catch (err) {
      setError(messageOf(err, 'The password could not be set. Try again.'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="center-screen auth-bg">
      <form className="card auth-card" onSubmit={submit} noValidate aria-busy={busy}>
        <div className="brand big">
          <span className="logo" aria-hidden="true">◆</span> fal-studio
        </div>
        <h1 className="auth-title">Set a new password</h1>
        {!token ? (
          <Banner kind="error">This reset link is incomplete. Open the whole link you were sent, or ask the studio's admin for a new one.</Banner>
        ) : done ? (
          <>
            <Banner kind="success">Your password is set. Every earlier session was logged out; log in with the new password.</Banner>
            <button className="btn primary wide" type="button" onClick={onDone}>
              Go to log in
            </button>
          </>
        ) : (
          <>
            <p className="muted">This link works once. Choose a password you do not use anywhere else.</p>
            <Banner kind="error">{error}</Banner>
            <div className="field">
              <label htmlFor="reset-password">New password</label>
              <input
                id="reset-password"
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                aria-describedby="reset-hint"
                autoFocus
              />
              <small id="reset-hint" className="hint">
                At least {MIN_PASSWORD} characters.
              </small>
            </div>
            <div className="field">
              <label htmlFor="reset-confirm">Confirm new password</label>
              <input id="reset-confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
            </div>
            <button className="btn primary wide" type="submit" disabled={busy}>
              {busy ? 'Setting password…' : 'Set password'}
            </button>
          </>
        )}
      </form>
    </div>
  );
}
