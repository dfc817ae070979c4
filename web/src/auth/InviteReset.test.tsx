import { describe, expect, it, vi, beforeEach } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AuthScreen, inviteFromInput } from './AuthScreen';
import { ResetScreen } from './ResetScreen';

beforeEach(() => vi.unstubAllGlobals());

function answer(map: Record<string, { status: number; body?: unknown }>) {
  const fn = vi.fn(async (url: string) => {
    const r = map[url] ?? { status: 500, body: {} };
    return r.status === 204 ? new Response(null, { status: 204 }) : new Response(JSON.stringify(r.body), { status: r.status });
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

describe('sign-up with an invite', () => {
  it('opens on sign-up with the invite filled in and the bound email fixed', async () => {
    const fetch = answer({
      '/api/auth/invite': { status: 200, body: { invite: { email: 'ann@example.com', expiresAt: '2026-12-08T00:00:00Z' } } },
      '/api/auth/signup': { status: 201, body: { user: { id: 2, email: 'ann@example.com', hasFalKey: false, role: 'member' } } },
    });
    const done = vi.fn();
    render(<AuthScreen onAuthenticated={done} invite="TOKEN123" signupMode="invite" />);
    expect(screen.getByRole('tab', { name: 'Sign up' }).getAttribute('aria-selected')).toBe('true');
    expect((screen.getByLabelText('Invite code') as HTMLInputElement).value).toBe('TOKEN123');
    expect(await screen.findByText(/You are invited to this studio as ann@example.com/)).toBeTruthy();
    const email = screen.getByLabelText('Email') as HTMLInputElement;
    expect(email.value).toBe('ann@example.com');
    expect(email.readOnly).toBe(true);
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough 1' } });
    fireEvent.change(screen.getByLabelText('Confirm password'), { target: { value: 'long enough 1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    const signup = fetch.mock.calls.find((c) => c[0] === '/api/auth/signup') as unknown as [string, RequestInit];
    expect(JSON.parse(signup[1].body as string)).toEqual({ email: 'ann@example.com', password: 'long enough 1', invite: 'TOKEN123' });
  });

  it('says when the invite link no longer works', async () => {
    answer({ '/api/auth/invite': { status: 400, body: { error: { code: 'invite_invalid', message: 'This invite link is not valid.' } } } });
    render(<AuthScreen onAuthenticated={() => {}} invite="OLD" signupMode="open" />);
    expect(await screen.findByText('This invite link is not valid.')).toBeTruthy();
  });

  it('asks for an invite when sign-up needs one, and accepts a pasted link', () => {
    render(<AuthScreen onAuthenticated={() => {}} signupMode="invite" />);
    fireEvent.click(screen.getByRole('tab', { name: 'Sign up' }));
    expect(screen.getByText(/needs an invite/)).toBeTruthy();
    expect(screen.getByLabelText('Invite code')).toBeTruthy();
    expect(inviteFromInput(' https://studio.example.com/#invite=ABC%2BD ')).toBe('ABC+D');
    expect(inviteFromInput('https://studio.example.com/?invite=OLD1')).toBe('OLD1');
    expect(inviteFromInput('PLAIN')).toBe('PLAIN');
  });

  it('shows no invite field on an open studio', () => {
    render(<AuthScreen onAuthenticated={() => {}} signupMode="open" />);
    fireEvent.click(screen.getByRole('tab', { name: 'Sign up' }));
    expect(screen.queryByLabelText('Invite code')).toBeNull();
  });
});

describe('ResetScreen', () => {
  it('checks the new password, sets it once, then leads to log in', async () => {
    const fetch = answer({ '/api/auth/reset': { status: 204 } });
    const done = vi.fn();
    render(<ResetScreen token="RESETTOKEN" onDone={done} />);
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect((await screen.findByRole('alert')).textContent).toContain('at least 8');
    expect(fetch).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a new passphrase' } });
    fireEvent.change(screen.getByLabelText('Confirm new password'), { target: { value: 'a new passphrase' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect(await screen.findByText(/Your password is set/)).toBeTruthy();
    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toEqual({ token: 'RESETTOKEN', newPassword: 'a new passphrase' });
    fireEvent.click(screen.getByRole('button', { name: 'Go to log in' }));
    expect(done).toHaveBeenCalled();
  });

  it("shows the server's refusal of a used link", async () => {
    answer({ '/api/auth/reset': { status: 400, body: { error: { code: 'reset_invalid', message: 'This reset link is not valid.' } } } });
    render(<ResetScreen token="USED" onDone={() => {}} />);
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a new passphrase' } });
    fireEvent.change(screen.getByLabelText('Confirm new password'), { target: { value: 'a new passphrase' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect((await screen.findByRole('alert')).textContent).toContain('This reset link is not valid.');
  });
});
