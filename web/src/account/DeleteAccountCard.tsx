import { useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';

/** Deleting one's own account: everything it stored goes too, after the password is given. */
export function DeleteAccountCard({ onDeleted, email }: { onDeleted: () => void; email?: string | null }) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!password) return setError(email ? 'Type your email to confirm.' : 'Enter your password to confirm.');
    setBusy(true);
    try {
      // An account without a password (single sign-on) confirms with its email.
      await (email ? api.deleteMeByEmail(password) : api.deleteMe(password));
      onDeleted();
    } catch (err) {
      setError(messageOf(err, 'The account could not be deleted.'));
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-busy={busy}>
      <h2>Delete account</h2>
      <p className="muted">Deletes your account with every generation and stored file. It cannot be undone.</p>
      {!open ? (
        <button type="button" className="btn danger-ghost" onClick={() => setOpen(true)}>
          Delete my account…
        </button>
      ) : (
        <>
          <Banner kind="error">{error}</Banner>
          <div className="field">
            <label htmlFor="delete-password">{email ? `Type your email (${email})` : 'Your password'}</label>
            <input
              id="delete-password"
              type={email ? 'email' : 'password'}
              autoComplete={email ? 'off' : 'current-password'}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoFocus
            />
          </div>
          <div className="row">
            <button type="submit" className="btn danger" disabled={busy}>
              {busy ? 'Deleting…' : 'Delete my account and everything in it'}
            </button>
            <button type="button" className="btn" onClick={() => setOpen(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </>
      )}
    </form>
  );
}
