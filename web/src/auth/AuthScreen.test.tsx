import { describe, expect, it, vi, beforeEach } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AuthScreen } from './AuthScreen';

function mockFetch(status: number, body: unknown) {
  const fn = vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
  vi.stubGlobal('fetch', fn);
  return fn;
}

beforeEach(() => vi.unstubAllGlobals());

describe('AuthScreen', () => {
  it('checks the minimum length before calling the server', async () => {
    const fetch = mockFetch(200, {});
    render(<AuthScreen onAuthenticated={() => {}} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'a@b.co' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('at least 8 characters');
    expect(fetch).not.toHaveBeenCalled();
    expect(screen.getByText('At least 8 characters.')).toBeTruthy();
  });

  it('requires matching passwords on sign-up', async () => {
    const fetch = mockFetch(201, {});
    render(<AuthScreen onAuthenticated={() => {}} />);
    fireEvent.click(screen.getByRole('tab', { name: 'Sign up' }));
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'a@b.co' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough 1' } });
    fireEvent.change(screen.getByLabelText('Confirm password'), { target: { value: 'long enough 2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect((await screen.findByRole('alert')).textContent).toContain('do not match');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('submits on Enter and signs up', async () => {
    const fetch = mockFetch(201, { user: { id: 1, email: 'a@b.co', hasFalKey: false } });
    const done = vi.fn();
    render(<AuthScreen onAuthenticated={done} />);
    fireEvent.click(screen.getByRole('tab', { name: 'Sign up' }));
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'a@b.co' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough 1' } });
    fireEvent.change(screen.getByLabelText('Confirm password'), { target: { value: 'long enough 1' } });
    fireEvent.submit(screen.getByLabelText('Confirm password').closest('form')!);
    await waitFor(() => expect(done).toHaveBeenCalledWith({ id: 1, email: 'a@b.co', hasFalKey: false }));
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/auth/signup');
    expect(init.credentials).toBe('include');
    expect(JSON.parse(init.body as string)).toEqual({ email: 'a@b.co', password: 'long enough 1' });
  });

  it("shows the server's message", async () => {
    mockFetch(401, { error: { code: 'invalid_credentials', message: 'The email or password is incorrect.' } });
    render(<AuthScreen onAuthenticated={() => {}} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'a@b.co' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough 1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('The email or password is incorrect.');
  });

  it('says when sign-up is closed and offers to log in', async () => {
    mockFetch(403, { error: { code: 'signup_closed', message: 'Sign-up is closed on this studio. Ask its owner for an account.' } });
    render(<AuthScreen onAuthenticated={() => {}} />);
    fireEvent.click(screen.getByRole('tab', { name: 'Sign up' }));
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'a@b.co' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough 1' } });
    fireEvent.change(screen.getByLabelText('Confirm password'), { target: { value: 'long enough 1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Sign-up is closed');
    fireEvent.click(screen.getByRole('button', { name: 'Log in instead' }));
    expect(screen.getByRole('tab', { name: 'Log in' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.queryByLabelText('Confirm password')).toBeNull();
  });

  it('shows a busy state while the server answers', async () => {
    let answer: (r: Response) => void = () => {};
    vi.stubGlobal('fetch', vi.fn(() => new Promise<Response>((r) => (answer = r))));
    render(<AuthScreen onAuthenticated={() => {}} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'a@b.co' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough 1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const busy = await screen.findByRole('button', { name: 'Logging in…' });
    expect((busy as HTMLButtonElement).disabled).toBe(true);
    answer(new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'Too many attempts. Try again in a minute.' } }), { status: 429 }));
    expect((await screen.findByRole('alert')).textContent).toContain('Too many attempts');
    expect((screen.getByRole('button', { name: 'Log in' }) as HTMLButtonElement).disabled).toBe(false);
  });
});
