import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type Me, type User } from '../lib/api';
import { takeSSOResult } from '../lib/sso';
import { SsoCard } from './SsoCard';
import { Banner } from '../components/Banner';
import { UsageCard } from './UsageCard';
import { DeleteAccountCard } from './DeleteAccountCard';
import { AgentsCard } from './AgentsCard';
import { NotificationsCard } from './NotificationsCard';
import { disablePush } from '../lib/push';
import { UserError, useAction, messageOf } from '../lib/useAction';
import { MIN_PASSWORD, passwordTooShort } from '../lib/password';

export function FalKeyForm({ user, onUser }: { user: User; onUser: (u: User) => void }) {
  const [key, setKey] = useState('');
  const action = useAction(async (fn: () => Promise<string>) => fn(), { fallback: 'The key could not be saved.', success: (msg) => msg });
  const { busy, error, success } = action;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!key.trim()) return action.fail('Paste your fal API key first.');
    await action.run(async () => {
      const r = await api.saveFalKey(key.trim());
      setKey('');
      onUser(r.user);
      return 'Key saved. It is stored encrypted and never shown again.';
    });
  };
  const remove = async () => {
    if (!window.confirm('Remove your saved fal API key? You will not be able to generate until you save one again.')) return;
    await action.run(async () => {
      try {
        const r = await api.removeFalKey();
        onUser(r.user);
      } catch (err) {
        throw new UserError(messageOf(err, 'The key could not be removed.'));
      }
      return 'Key removed.';
    });
  };

  return (
    <form className="card" onSubmit={save} aria-busy={busy}>
      <h2>fal API key</h2>
      <p className="muted">
        Status:{' '}
        <strong data-testid="key-status">{user.hasFalKey ? 'a key is saved' : 'no key saved'}</strong>. Create a key at
        fal.ai → Account → Keys. Every generation runs on your own key and account.
      </p>
      <Banner kind="error">{error}</Banner>
      <Banner kind="success">{success}</Banner>
      <div className="field">
        <label htmlFor="fal-key">{user.hasFalKey ? 'Replace fal API key' : 'fal API key'}</label>
        <input
          id="fal-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder={user.hasFalKey ? '•••••••• (saved — paste a new one to replace it)' : 'key_id:key_secret'}
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
      </div>
      <div className="row">
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save key'}
        </button>
        {user.hasFalKey && (
          <button className="btn danger-ghost" type="button" onClick={remove} disabled={busy}>
            Remove key
          </button>
        )}
      </div>
    </form>
  );
}

function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'USD' }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

function CreditsCard({ user }: { user: User }) {
  const [state, setState] = useState<{ balance?: string; error?: ApiError | null; busy: boolean }>({ busy: false });
  const refresh = useCallback(async () => {
    setState({ busy: true });
    try {
      const r = await api.credits();
      setState({ busy: false, balance: formatMoney(r.balance, r.currency) });
    } catch (err) {
      setState({ busy: false, error: err instanceof ApiError ? err : new ApiError(0, 'error', 'Could not read the balance.') });
    }
  }, []);
  // Read the balance once when the card appears with a key saved; Refresh reads it again.
  useEffect(() => {
    if (user.hasFalKey) void refresh();
    else setState({ busy: false });
  }, [user.hasFalKey, refresh]);
  return (
    <div className="card">
      <h2>fal credits</h2>
      {!user.hasFalKey ? (
        <p className="muted">Save a fal API key to check your balance.</p>
      ) : (
        <>
          <div className="balance" aria-live="polite">
            {state.busy ? <span className="skeleton line" /> : state.balance ? <strong data-testid="balance">{state.balance}</strong> : <span className="muted">—</span>}
          </div>
          {state.error &&
            (state.error.code === 'fal_admin_key_required' ? (
              <Banner kind="info">
                {state.error.message} Generating images and videos still works with your key; only the balance needs a key
                with billing access (ADMIN scope or a billing permission). You can see your balance on fal.ai under Billing.
              </Banner>
            ) : (
              <Banner kind="error">{state.error.message}</Banner>
            ))}
          <button className="btn" type="button" onClick={() => void refresh()} disabled={state.busy} aria-busy={state.busy}>
            Refresh balance
          </button>
        </>
      )}
    </div>
  );
}

/** Whether downloads and shared images carry the prompt in their XMP (SPEC §13.3). */
function FilesCard() {
  const [embed, setEmbed] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .preferences()
      .then((r) => setEmbed(r.preferences.embedPrompt))
      .catch(() => setError('Your file settings could not be loaded.'));
  }, []);
  const change = async (on: boolean) => {
    setError(null);
    const before = embed;
    setEmbed(on);
    try {
      const r = await api.setPreferences({ embedPrompt: on });
      setEmbed(r.preferences.embedPrompt);
    } catch (err) {
      setEmbed(before);
      setError(messageOf(err, 'The setting could not be saved.'));
    }
  };
  return (
    <div className="card">
      <h2>Downloaded files</h2>
      <p className="muted">
        Downloads, ZIP exports and shared images say they were made by AI, with the model and the date (XMP metadata; the pixels are never changed).
      </p>
      <Banner kind="error">{error}</Banner>
      <label className="check">
        <input type="checkbox" checked={embed ?? true} disabled={embed === null} onChange={(e) => void change(e.target.checked)} />
        Include the prompt in downloaded and shared files
      </label>
    </div>
  );
}

function PasswordCard({ hasPassword = true, onSet }: { hasPassword?: boolean; onSet?: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const action = useAction(
    async () => {
      await api.changePassword(hasPassword ? current : '', next);
      onSet?.();
      setCurrent('');
      setNext('');
      setConfirm('');
    },
    { fallback: 'The password could not be changed.', success: 'Password changed. Your other sessions were logged out.' },
  );
  const { busy, error, success } = action;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (passwordTooShort(next)) return action.fail(`The new password must be at least ${MIN_PASSWORD} characters long.`);
    if (next !== confirm) return action.fail('The new passwords do not match.');
    await action.run();
  };
  return (
    <form className="card" onSubmit={submit} aria-busy={busy}>
      <h2>{hasPassword ? 'Change password' : 'Set a password'}</h2>
      <Banner kind="error">{error}</Banner>
      <Banner kind="success">{success}</Banner>
      {!hasPassword && <p className="muted">This account signs in with single sign-on and has no password yet.</p>}
      {hasPassword && (
        <div className="field">
          <label htmlFor="current-password">Current password</label>
          <input id="current-password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </div>
      )}
      <div className="field">
        <label htmlFor="new-password">New password</label>
        <input id="new-password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} aria-describedby="new-password-hint" />
        <small id="new-password-hint" className="hint">At least {MIN_PASSWORD} characters.</small>
      </div>
      <div className="field">
        <label htmlFor="confirm-new-password">Confirm new password</label>
        <input id="confirm-new-password" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
      </div>
      <button className="btn" type="submit" disabled={busy}>
        {busy ? 'Saving…' : hasPassword ? 'Change password' : 'Set password'}
      </button>
    </form>
  );
}

export function AccountTab({ user, onUser, onLoggedOut }: { user: User; onUser: (u: User) => void; onLoggedOut: () => void }) {
  const [busy, setBusy] = useState(false);
  const [me, setMe] = useState<Me | null>(null);
  const [ssoLabel, setSsoLabel] = useState<string | null>(null);
  const [linkedNow] = useState(() => takeSSOResult().linked);
  const loadMe = useCallback(() => {
    api
      .me()
      .then(setMe)
      .catch(() => setMe(null));
  }, []);
  useEffect(() => {
    loadMe();
    api
      .status()
      .then((s) => setSsoLabel(s.oidc?.enabled ? s.oidc.label : null))
      .catch(() => setSsoLabel(null));
  }, [loadMe]);
  const logout = async () => {
    setBusy(true);
    // This browser's notifications must not reach whoever signs in next.
    await disablePush().catch(() => {});
    try {
      await api.logout();
    } catch {
      // the session is gone either way
    }
    onLoggedOut();
  };
  return (
    <div className="account-grid">
      <div className="card">
        <h2>Account</h2>
        <p>
          Signed in as <strong data-testid="account-email">{user.email}</strong>
        </p>
        <button className="btn" type="button" onClick={logout} disabled={busy}>
          Log out
        </button>
      </div>
      <FalKeyForm user={user} onUser={onUser} />
      <CreditsCard user={user} />
      <UsageCard />
      <FilesCard />
      <AgentsCard />
      <NotificationsCard />
      {me && ssoLabel !== null && <SsoCard me={me} label={ssoLabel} linkedNow={linkedNow} onChanged={loadMe} />}
      <PasswordCard key={me ? String(me.hasPassword) : 'pw'} hasPassword={me?.hasPassword ?? true} onSet={loadMe} />
      <DeleteAccountCard onDeleted={onLoggedOut} email={me && !me.hasPassword ? user.email : null} />
    </div>
  );
}
