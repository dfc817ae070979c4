import { describe, expect, it, vi, beforeEach } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { FalKeyForm } from './AccountTab';

beforeEach(() => vi.unstubAllGlobals());

describe('FalKeyForm', () => {
  it('is never prefilled, is a password field, and clears after saving', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ user: { id: 1, email: 'a@b.co', hasFalKey: true } }), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    const onUser = vi.fn();
    render(<FalKeyForm user={{ id: 1, email: 'a@b.co', hasFalKey: false, role: 'member' }} onUser={onUser} />);
    const input = screen.getByLabelText('fal API key') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(input.value).toBe('');
    fireEvent.change(input, { target: { value: 'id:secret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }));
    await waitFor(() => expect(onUser).toHaveBeenCalled());
    expect(input.value).toBe('');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/me/fal-key');
    expect(init.method).toBe('PUT');
    expect((await screen.findByRole('status')).textContent).toContain('Key saved');
  });

  it('shows that a key is saved without showing the key', () => {
    render(<FalKeyForm user={{ id: 1, email: 'a@b.co', hasFalKey: true, role: 'member' }} onUser={() => {}} />);
    expect(screen.getByTestId('key-status').textContent).toBe('a key is saved');
    expect((screen.getByLabelText('Replace fal API key') as HTMLInputElement).value).toBe('');
    expect(screen.getByRole('button', { name: 'Remove key' })).toBeTruthy();
  });
});
