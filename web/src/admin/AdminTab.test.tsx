import { describe, expect, it, vi, beforeEach } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AdminTab } from './AdminTab';
import type { AdminUser, Invite } from '../lib/api';

type Handler = (init: RequestInit | undefined, url: string) => { status: number; body?: unknown };

// route answers fetches by "METHOD path" (the query string ignored) and records them.
function route(handlers: Record<string, Handler>) {
  const calls: { key: string; url: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const key = `${init?.method ?? 'GET'} ${url.split('?')[0]}`;
      calls.push({ key, url, body: init?.body ? JSON.parse(init.body as string) : undefined });
      const h = handlers[key];
      const r = h ? h(init, url) : { status: 404, body: { error: { code: 'not_found', message: 'nope' } } };
      return r.status === 204 ? new Response(null, { status: 204 }) : new Response(JSON.stringify(r.body), { status: r.status });
    }),
  );
  return calls;
}

const me = { id: 1, email: 'owner@example.com', hasFalKey: true, role: 'admin' as const };
const user = (id: number, email: string, extra: Partial<AdminUser> = {}): AdminUser => ({
  id,
  email,
  role: 'member',
  disabled: false,
  hasFalKey: false,
  createdAt: '2026-11-01T10:00:00Z',
  lastSeenAt: null,
  generations: 3,
  assets: 5,
  bytes: 5 * 1024 * 1024,
  spentThisMonthUsd: 0,
  monthlyBudgetUsd: null,
  ...extra,
});
const status = { 'GET /api/status': () => ({ status: 200, body: { ok: true, signupMode: 'invite' } }) };

beforeEach(() => vi.unstubAllGlobals());

describe('AdminTab people', () => {
  it('lists accounts with usage, filters by email, and disables one', async () => {
    const users = [user(1, 'owner@example.com', { role: 'admin' }), user(2, 'ann@example.com'), user(3, 'bob@example.com')];
    const calls = route({
      ...status,
      'GET /api/admin/users': () => ({ status: 200, body: { users } }),
      'PATCH /api/admin/users/2': () => ({ status: 200, body: { user: { ...users[1], disabled: true } } }),
    });
    render(<AdminTab me={me} onMeChanged={() => {}} />);
    expect(await screen.findByText('ann@example.com')).toBeTruthy();
    expect(screen.getAllByText(/3 gen · 5 files · 5\.0 MB/)).toHaveLength(3);
    expect(screen.getByTestId('signup-mode').textContent).toContain('by invite only');
    fireEvent.change(screen.getByLabelText('Search accounts'), { target: { value: 'BOB' } });
    expect(screen.queryByText('ann@example.com')).toBeNull();
    fireEvent.change(screen.getByLabelText('Search accounts'), { target: { value: '' } });
    // No Disable or Delete on one's own row.
    const own = screen.getAllByTestId('user-row').find((r) => r.dataset.email === 'owner@example.com')!;
    expect(within(own).queryByRole('button', { name: 'Disable' })).toBeNull();
    const ann = screen.getAllByTestId('user-row').find((r) => r.dataset.email === 'ann@example.com')!;
    fireEvent.click(within(ann).getByRole('button', { name: 'Disable' }));
    expect(await screen.findByText(/ann@example.com is disabled and was logged out everywhere/)).toBeTruthy();
    expect(calls.find((c) => c.key === 'PATCH /api/admin/users/2')?.body).toEqual({ disabled: true });
    expect(within(ann).getByText('disabled')).toBeTruthy();
    expect(within(ann).getByRole('button', { name: 'Enable' })).toBeTruthy();
  });

  it('deletes only after the email is typed', async () => {
    const calls = route({
      ...status,
      'GET /api/admin/users': () => ({ status: 200, body: { users: [user(1, 'owner@example.com', { role: 'admin' }), user(2, 'ann@example.com')] } }),
      'DELETE /api/admin/users/2': () => ({ status: 204 }),
    });
    render(<AdminTab me={me} onMeChanged={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete ann@example.com' }));
    const confirm = screen.getByRole('button', { name: 'Delete account' }) as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    const typed = screen.getByLabelText('Type the email address to confirm');
    expect(document.activeElement).toBe(typed);
    fireEvent.change(typed, { target: { value: 'ann@example' } });
    expect(confirm.disabled).toBe(true);
    fireEvent.change(typed, { target: { value: 'Ann@Example.com' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);
    expect(await screen.findByText(/ann@example.com and everything it stored were deleted/)).toBeTruthy();
    expect(calls.some((c) => c.key === 'DELETE /api/admin/users/2')).toBe(true);
    expect(screen.queryByText('ann@example.com')).toBeNull();
  });

  it('shows a reset link to copy, and the server refusing the last admin', async () => {
    route({
      ...status,
      'GET /api/admin/users': () => ({ status: 200, body: { users: [user(1, 'owner@example.com', { role: 'admin' }), user(2, 'ann@example.com')] } }),
      'POST /api/admin/users/2/password-reset': () => ({ status: 201, body: { url: 'http://x/reset#token=ABC', expiresAt: '2026-12-01T12:00:00Z' } }),
      'PATCH /api/admin/users/1': () => ({ status: 409, body: { error: { code: 'last_admin', message: "This is the studio's last admin." } } }),
    });
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<AdminTab me={me} onMeChanged={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Reset link for ann@example.com' }));
    const field = (await screen.findByLabelText('One-time reset link for ann@example.com')) as HTMLInputElement;
    expect(field.value).toBe('http://x/reset#token=ABC');
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('http://x/reset#token=ABC'));
    expect(await screen.findByText('Copied to the clipboard.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Role of owner@example.com'), { target: { value: 'member' } });
    expect((await screen.findByRole('alert')).textContent).toContain('last admin');
  });
});

describe('AdminTab share links', () => {
  it("lists a person's live links and takes one down", async () => {
    const users = [user(1, 'owner@example.com', { role: 'admin' }), user(2, 'ann@example.com', { disabled: true })];
    const shares = [
      { id: 's1', url: null, kind: 'collection', targetId: 'c1', createdAt: '2026-11-02T10:00:00Z', expiresAt: null },
      { id: 's2', url: null, kind: 'asset', targetId: 'a1', createdAt: '2026-11-01T10:00:00Z', expiresAt: '2026-12-31T10:00:00Z' },
    ];
    const calls = route({
      ...status,
      'GET /api/admin/users': () => ({ status: 200, body: { users } }),
      'GET /api/admin/users/2/shares': () => ({ status: 200, body: { shares } }),
      'DELETE /api/admin/shares/s2': () => ({ status: 204 }),
    });
    render(<AdminTab me={me} onMeChanged={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Share links of ann@example.com' }));
    await waitFor(() => expect(screen.getAllByTestId('user-share')).toHaveLength(2));
    expect(screen.getByText(/Suspended while the account is disabled/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Take down the link to asset a1' }));
    expect(await screen.findByText('The link was taken down; it no longer opens.')).toBeTruthy();
    expect(screen.getAllByTestId('user-share')).toHaveLength(1);
    expect(calls.some((c) => c.key === 'DELETE /api/admin/shares/s2')).toBe(true);
  });
});

describe('AdminTab invites', () => {
  it('creates an invite bound to an email, shows its link once, and revokes another', async () => {
    const existing: Invite[] = [
      { id: 7, email: null, createdAt: '2026-11-30T10:00:00Z', expiresAt: '2026-12-07T10:00:00Z', usedAt: null, usedBy: null, revoked: false, state: 'pending' },
      { id: 6, email: 'x@example.com', createdAt: '2026-11-20T10:00:00Z', expiresAt: '2026-11-27T10:00:00Z', usedAt: '2026-11-21T10:00:00Z', usedBy: 'x@example.com', revoked: false, state: 'used' },
      { id: 5, email: null, createdAt: '2026-11-01T10:00:00Z', expiresAt: '2026-11-02T10:00:00Z', usedAt: null, usedBy: null, revoked: false, state: 'expired' },
    ];
    const calls = route({
      ...status,
      'GET /api/admin/invites': () => ({ status: 200, body: { invites: existing } }),
      'POST /api/admin/invites': () => ({
        status: 201,
        body: { invite: { ...existing[0], id: 8, email: 'new@example.com' }, url: 'http://x/?invite=TOKEN8' },
      }),
      'DELETE /api/admin/invites/7': () => ({ status: 204 }),
    });
    render(<AdminTab me={me} onMeChanged={() => {}} />);
    fireEvent.click(screen.getByRole('tab', { name: 'Invites' }));
    expect(await screen.findByText('Used')).toBeTruthy();
    expect(screen.getByText('Expired')).toBeTruthy();
    expect(screen.getByText(/by x@example.com/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Email (optional)'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create invite link' }));
    expect((await screen.findByRole('alert')).textContent).toContain('valid email');
    fireEvent.change(screen.getByLabelText('Email (optional)'), { target: { value: 'new@example.com' } });
    fireEvent.change(screen.getByLabelText('Expires after'), { target: { value: '24' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create invite link' }));
    const link = (await screen.findByLabelText('Invite link for new@example.com')) as HTMLInputElement;
    expect(link.value).toBe('http://x/?invite=TOKEN8');
    expect(calls.find((c) => c.key === 'POST /api/admin/invites')?.body).toEqual({ email: 'new@example.com', expiresInHours: 24 });
    expect(screen.getAllByTestId('invite-row')).toHaveLength(4);
    const revokeButtons = screen.getAllByRole('button', { name: /Revoke invite/ });
    expect(revokeButtons).toHaveLength(2); // the two waiting ones; used and expired cannot be revoked
    fireEvent.click(screen.getByRole('button', { name: 'Revoke invite 7' }));
    await waitFor(() => expect(screen.getAllByText('Revoked')).toHaveLength(1));
  });
});

describe('AdminTab sections', () => {
  it('moves between sections with the arrow keys', async () => {
    route({ ...status, 'GET /api/admin/users': () => ({ status: 200, body: { users: [] } }), 'GET /api/admin/invites': () => ({ status: 200, body: { invites: [] } }) });
    render(<AdminTab me={me} onMeChanged={() => {}} />);
    const people = screen.getByRole('tab', { name: 'People' });
    fireEvent.keyDown(people, { key: 'ArrowRight' });
    const invites = screen.getByRole('tab', { name: 'Invites' });
    expect(invites.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(invites);
    expect(await screen.findByText('No invites yet.')).toBeTruthy();
    fireEvent.keyDown(invites, { key: 'ArrowLeft' });
    expect(screen.getByRole('tab', { name: 'People' }).getAttribute('aria-selected')).toBe('true');
  });
});

describe('AdminTab audit log', () => {
  it('pages older events on demand', async () => {
    const ev = (id: number, action: string) => ({
      id,
      time: '2026-12-01T10:00:00Z',
      actor: { id: 1, email: 'owner@example.com' },
      action,
      target: { type: 'user', id: '2' },
      ip: '127.0.0.1',
      detail: action === 'user.role' ? { from: 'member', to: 'admin' } : {},
    });
    route({
      ...status,
      'GET /api/admin/audit': (_i, url) =>
        url.includes('cursor=2')
          ? { status: 200, body: { events: [ev(1, 'user.signup')], nextCursor: null } }
          : { status: 200, body: { events: [ev(3, 'user.role'), ev(2, 'auth.login_failed')], nextCursor: '2' } },
    });
    render(<AdminTab me={me} onMeChanged={() => {}} />);
    fireEvent.click(screen.getByRole('tab', { name: 'Audit log' }));
    expect(await screen.findByText('Changed role')).toBeTruthy();
    expect(screen.getByText(/member → admin/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Load older events' }));
    expect(await screen.findByText('Signed up')).toBeTruthy();
    expect(screen.getAllByTestId('audit-event')).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'Load older events' })).toBeNull();
  });
});
