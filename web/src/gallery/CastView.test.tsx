import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configure, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { CastView } from './CastView';
import type { CastMember } from '../lib/api';

configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 20_000 });

const member = (n: number): CastMember => ({
  id: 'c1',
  name: 'Mia',
  kind: 'person',
  description: '',
  shared: false,
  owner: { id: 1, email: 'a@b.co' },
  images: Array.from({ length: n }, (_, i) => ({ id: `ci${i}`, url: `/api/cast/c1/images/ci${i}` })),
  createdAt: '',
  updatedAt: '',
});
const img = (id: string) => ({ id, generationId: null, model: '', prompt: `picture ${id}`, kind: 'image', url: `/media/${id}`, contentType: 'image/png', bytes: 1, width: 1, height: 1, storage: 'local', params: {}, createdAt: '' });

function reply(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
let fetchMock: ReturnType<typeof vi.fn>;
let pictures = 7;
beforeEach(() => {
  pictures = 7;
  fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    const path = `${init.method ?? 'GET'} ${url.split('?')[0]}`;
    if (path === 'GET /api/me') return reply(200, { user: { id: 1, email: 'a@b.co', hasFalKey: true, role: 'member' } });
    if (path === 'GET /api/cast') return reply(200, { cast: [member(pictures)] });
    if (path === 'GET /api/assets') return reply(200, { assets: [img('a1'), img('a2')], nextCursor: null });
    if (path === 'PATCH /api/cast/c1') {
      pictures += (JSON.parse(init.body as string).addAssetIds ?? []).length;
      return reply(200, { cast: member(pictures) });
    }
    return reply(404, { error: { code: 'not_found', message: path } });
  });
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => vi.unstubAllGlobals());

describe('CastView editor', () => {
  it('adds pictures from recent images up to the member limit of 8', async () => {
    render(<CastView onShowAssets={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add pictures' }));
    const first = await screen.findByRole('button', { name: 'Image 1: picture a1' });
    fireEvent.click(first);
    // One more fits (7 of 8): the other image cannot be picked too.
    expect((screen.getByRole('button', { name: 'Image 2: picture a2' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Add 1 picture' }));
    await waitFor(() => expect(fetchMock.mock.calls.some(([u, i]) => u === '/api/cast/c1' && (i as RequestInit).method === 'PATCH')).toBe(true));
    const call = fetchMock.mock.calls.find(([u, i]) => u === '/api/cast/c1' && (i as RequestInit).method === 'PATCH');
    expect(JSON.parse((call?.[1] as RequestInit).body as string)).toEqual({ addAssetIds: ['a1'] });
    // Full now: the editor says so instead of offering more.
    expect(await screen.findByText(/has the most pictures a member keeps \(8\)/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Add pictures' })).toBeNull();
  });
});
