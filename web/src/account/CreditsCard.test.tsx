import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AccountTab } from './AccountTab';

afterEach(() => vi.unstubAllGlobals());

const user = { id: 1, email: 'a@b.co', hasFalKey: true, role: 'member' as const };

describe('Account', () => {
  it('explains that credits need an ADMIN key and that generating still works', async () => {
    // Only the credits call answers this way; the Account tab's other cards read other URLs.
    const fetch = vi.fn(async (url: string) =>
      url === '/api/me/fal-credits'
        ? new Response(
            JSON.stringify({
              error: {
                code: 'fal_admin_key_required',
                message: 'fal credit checks require an ADMIN fal API key. Your current key can run models but cannot read billing balance.',
              },
            }),
            { status: 422 },
          )
        : new Response(JSON.stringify({ error: { code: 'not_found', message: 'Not found.' } }), { status: 404 }),
    );
    vi.stubGlobal('fetch', fetch);
    render(<AccountTab user={user} onUser={() => {}} onLoggedOut={() => {}} />);
    expect(screen.getByTestId('account-email').textContent).toBe('a@b.co');
    const note = await screen.findByText(/require an ADMIN fal API key/);
    expect(note.textContent).toContain('still works');
    expect(note.getAttribute('role')).toBe('status'); // informative, not an error
    fireEvent.click(await screen.findByRole('button', { name: 'Refresh balance' }));
    await waitFor(() => expect((screen.getByRole('button', { name: 'Refresh balance' }) as HTMLButtonElement).disabled).toBe(false));
    expect(fetch.mock.calls.filter(([u]) => u === '/api/me/fal-credits').length).toBe(2);
    expect(screen.getByText(/require an ADMIN fal API key/)).toBeTruthy();
  });

  it('shows the balance', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url === '/api/me/fal-credits'
          ? new Response(JSON.stringify({ balance: 24.5, currency: 'USD' }), { status: 200 })
          : new Response(JSON.stringify({ error: { code: 'not_found', message: 'Not found.' } }), { status: 404 }),
      ),
    );
    render(<AccountTab user={user} onUser={() => {}} onLoggedOut={() => {}} />);
    expect((await screen.findByTestId('balance')).textContent).toMatch(/24\.50/);
  });

  it('changes the password: checks length and match, then clears the fields', async () => {
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetch);
    render(<AccountTab user={{ ...user, hasFalKey: false }} onUser={() => {}} onLoggedOut={() => {}} />);
    fireEvent.change(screen.getByLabelText('Current password'), { target: { value: 'old password' } });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByRole('alert')).textContent).toContain('at least 8');
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a new password' } });
    fireEvent.change(screen.getByLabelText('Confirm new password'), { target: { value: 'a new password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByText(/Password changed/)).textContent).toContain('other sessions');
    // The spending card reads usage too: pick the password call.
    const calls = fetch.mock.calls as unknown as [string, RequestInit][];
    const [url, init] = calls.find(([u]) => u === '/api/me/password') ?? ['', {}];
    expect(url).toBe('/api/me/password');
    expect(JSON.parse(init.body as string)).toEqual({ currentPassword: 'old password', newPassword: 'a new password' });
    expect((screen.getByLabelText('New password') as HTMLInputElement).value).toBe('');
  });
});
