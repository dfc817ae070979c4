import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type OIDCStatus, type SignupMode, type User } from '../lib/api';
import { ssoErrorMessage, ssoStartURL } from '../lib/sso';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { MIN_PASSWORD, passwordTooShort } from '../lib/password';

/** An invite code as typed or pasted: the bare token, or the whole invite link. */
export function inviteFromInput(v: string): string {
  const t = v.trim();
  const m = t.match(/[?&#]invite=([^&#\s]+)/);
  return m ? decodeURIComponent(m[1]) : t;
}

export function AuthScreen({
  onAuthenticated,
  notice,
  invite,
  signupMode,
  oidc,
  ssoError,
}: {
  onAuthenticated: (u: User) => void;
  notice?: string | null;
  /** From an invite link (/#invite=…): the screen opens on sign-up with it filled in. */
  invite?: string | null;
  signupMode?: SignupMode | null;
  /** Single sign-on (SPEC §12.1): its button, and whether the password form is shown. */
  oidc?: OIDCStatus | null;
  /** The ssoError the callback redirected with, shown as a sentence. */
  ssoError?: string | null;
}) {
  const sso = oidc?.enabled ? oidc : null;
  // With password sign-in off the form hides behind a small "Administrator sign-in" link.
  const [adminForm, setAdminForm] = useState(false);
  const showPasswordForm = !sso || sso.passwordLogin || adminForm;
  const [mode, setMode] = useState<'login' | 'signup'>(invite ? 'signup' : 'login');
  const [inviteCode, setInviteCode] = useState(invite ?? '');
  const [inviteInfo, setInviteInfo] = useState<{ ok: boolean; email: string | null; message?: string } | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [success, setSuccess] = useState<string | null>(null);
  const [closed, setClosed] = useState(false); // sign-up is closed on this studio

  // Check the invite of a link once, so a stale link says so before anyone types a password.
  useEffect(() => {
    if (!invite) return;
    let live = true;
    api
      .checkInvite(invite)
      .then((r) => {
        if (!live) return;
        setInviteInfo({ ok: true, email: r.invite.email });
        if (r.invite.email) setEmail(r.invite.email);
      })
      .catch((err) => {
        if (live) setInviteInfo({ ok: false, email: null, message: err instanceof ApiError ? err.message : undefined });
      });
    return () => {
      live = false;
    };
  }, [invite]);
  const boundEmail = inviteInfo?.ok && inviteCode === invite ? inviteInfo.email : null;
  const needsInvite = signupMode === 'invite' || signupMode === 'closed';
  const showInvite = mode === 'signup' && (needsInvite || inviteCode !== '' || !!invite);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSuccess(null);
    if (!email.trim()) return setError('Enter your email address.');
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) return setError('Enter a valid email address, like name@example.com.');
    if (passwordTooShort(password)) return setError(`The password must be at least ${MIN_PASSWORD} characters long.`);
    if (new TextEncoder().encode(password).length > 72) return setError('The password must be at most 72 bytes long.');
    if (mode === 'signup' && password !== confirm) return setError('The passwords do not match.');
    setBusy(true);
    try {
      const code = inviteFromInput(inviteCode);
      const r = mode === 'signup' ? await api.signup(email, password, code || undefined) : await api.login(email, password);
      setSuccess(mode === 'signup' ? 'Account created. Welcome!' : 'Logged in.');
      onAuthenticated(r.user);
    } catch (err) {
      setError(messageOf(err, 'Something went wrong. Try again.'));
      if (err instanceof ApiError && (err.code === 'signup_closed' || err.code === 'invite_required')) setClosed(true);
    } finally {
      setBusy(false);
    }
  };

  const switchMode = (m: 'login' | 'signup') => {
    setMode(m);
    setError(null);
    setSuccess(null);
    setConfirm('');
  };

  return (
    <div className="center-screen auth-bg">
      <form className="card auth-card" onSubmit={submit} noValidate aria-busy={busy}>
        <h1 className="brand big">
          <span className="logo" aria-hidden="true">◆</span> fal-studio
        </h1>
        <p className="muted">Generate images and videos with fal.ai — and keep every result.</p>
        {ssoError && (
          <Banner kind="error">
            <span data-testid="sso-error">{ssoErrorMessage(ssoError)}</span>
          </Banner>
        )}
        {sso && (
          <div className="sso-block">
            <a className="btn primary wide sso-button" href={ssoStartURL(inviteFromInput(inviteCode) || invite)} data-testid="sso-button">
              {sso.label || 'Sign in with SSO'}
            </a>
            {sso.passwordLogin && <p className="muted or-line">or with your email and password</p>}
            {!sso.passwordLogin && !adminForm && (
              <button type="button" className="link admin-signin" onClick={() => setAdminForm(true)}>
                Administrator sign-in
              </button>
            )}
          </div>
        )}
        {showPasswordForm && (
        <>
        <div className="segmented" role="tablist" aria-label="Log in or sign up">
          <button type="button" role="tab" aria-selected={mode === 'login'} className={mode === 'login' ? 'active' : ''} onClick={() => switchMode('login')}>
            Log in
          </button>
          <button type="button" role="tab" aria-selected={mode === 'signup'} className={mode === 'signup' ? 'active' : ''} onClick={() => switchMode('signup')}>
            Sign up
          </button>
        </div>
        <Banner kind="info">{notice}</Banner>
        {mode === 'signup' && invite && inviteInfo?.ok && (
          <Banner kind="success">
            You are invited to this studio{inviteInfo.email ? ` as ${inviteInfo.email}` : ''}. Choose a password to create your account.
          </Banner>
        )}
        {mode === 'signup' && invite && inviteInfo && !inviteInfo.ok && (
          <Banner kind="warning">{inviteInfo.message ?? 'This invite link is not valid. Ask for a new one.'}</Banner>
        )}
        {mode === 'signup' && needsInvite && !inviteCode && (
          <Banner kind="info">
            {signupMode === 'invite' ? 'Sign-up on this studio needs an invite.' : 'Sign-up on this studio is closed.'} Open the invite link
            you were sent, or paste it below.
          </Banner>
        )}
        {error && (
          <Banner kind="error">
            {error}
            {closed && mode === 'signup' && (
              <>
                {' '}
                <button type="button" className="link" onClick={() => switchMode('login')}>
                  Log in instead
                </button>
              </>
            )}
          </Banner>
        )}
        <Banner kind="success">{success}</Banner>
        <div className="field">
          <label htmlFor="auth-email">Email</label>
          <input
            id="auth-email"
            type="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
            autoFocus={!boundEmail}
            readOnly={mode === 'signup' && !!boundEmail}
            aria-describedby={mode === 'signup' && boundEmail ? 'email-bound-hint' : undefined}
          />
          {mode === 'signup' && boundEmail && (
            <small id="email-bound-hint" className="hint">
              The invite is for this address.
            </small>
          )}
        </div>
        <div className="field">
          <label htmlFor="auth-password">Password</label>
          <input
            id="auth-password"
            type="password"
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            minLength={MIN_PASSWORD}
            required
            aria-describedby="pw-hint"
          />
          <small id="pw-hint" className="hint">
            At least {MIN_PASSWORD} characters.
          </small>
        </div>
        {mode === 'signup' && (
          <div className="field">
            <label htmlFor="auth-confirm">Confirm password</label>
            <input id="auth-confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required />
          </div>
        )}
        {showInvite && (
          <div className="field">
            <label htmlFor="auth-invite">Invite code</label>
            <input
              id="auth-invite"
              type="text"
              autoComplete="off"
              spellCheck={false}
              value={inviteCode}
              onChange={(e) => setInviteCode(e.target.value)}
              placeholder="From your invite link"
            />
          </div>
        )}
        <button className="btn primary wide" type="submit" disabled={busy}>
          {busy ? (mode === 'signup' ? 'Creating account…' : 'Logging in…') : mode === 'signup' ? 'Create account' : 'Log in'}
        </button>
        </>
        )}
      </form>
    </div>
  );
}
