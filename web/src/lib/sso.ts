// Single sign-on in the UI (SPEC §12.1): the callback's result arrives in the address
// (/?ssoError=<code> or /?ssoLinked=1); it is read once and the address cleaned.

/** Each ssoError as a sentence for the sign-in screen. */
export const SSO_ERRORS: Record<string, string> = {
  state_invalid: 'The sign-in link expired or was opened in another browser. Try signing in again.',
  sso_failed: 'Single sign-on did not complete: the identity provider refused it or could not be checked. Try again.',
  sso_unavailable: 'Single sign-on is not available right now: the identity provider cannot be reached. Try again in a minute.',
  sso_email_missing: 'Your identity provider did not share an email address, which a new account needs. Ask its administrator.',
  account_exists:
    'An account with this email already exists. Sign in with your password, then link single sign-on in Account.',
  account_disabled: 'This account is disabled. Ask the studio’s admin to enable it again.',
  invite_required: 'This studio needs an invite to create an account. Open the invite link you were sent.',
  invite_invalid: 'This invite link is not valid: it was used, revoked or has expired, or it is meant for another email.',
  signup_closed: 'Sign-up is closed on this studio. Ask its owner for an account.',
  sso_not_registered: 'Single sign-on does not create accounts on this studio. Ask its owner for an account.',
  sso_already_linked: 'This single sign-on identity is already linked to another account.',
};

export function ssoErrorMessage(code: string): string {
  return SSO_ERRORS[code] ?? SSO_ERRORS.sso_failed;
}

let taken: { error: string | null; linked: boolean } | null = null;

/** The callback's result, read once from the address (which is then cleaned). */
export function takeSSOResult(): { error: string | null; linked: boolean } {
  if (taken) return taken;
  const url = new URL(window.location.href);
  const error = url.searchParams.get('ssoError');
  const linked = url.searchParams.get('ssoLinked') === '1';
  if (error !== null || linked) {
    url.searchParams.delete('ssoError');
    url.searchParams.delete('ssoLinked');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  taken = { error, linked };
  return taken;
}

/** Where the SSO button goes: the start, with the invite of an invite link. */
export function ssoStartURL(invite?: string | null): string {
  return '/api/auth/oidc/start' + (invite ? `?invite=${encodeURIComponent(invite)}` : '');
}
