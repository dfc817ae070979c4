import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { TrashView, ago, retentionWords } from './TrashView';
import { AssetDetail } from './AssetDetail';
import type { Asset } from '../lib/api';

const asset = (id: string, over: Partial<Asset> = {}): Asset => ({
  id,
  generationId: 'g',
  model: 'fal-ai/flux/dev',
  prompt: `prompt ${id}`,
  kind: 'image',
  url: `/media/${id}`,
  contentType: 'image/png',
  bytes: 2048,
  width: 64,
  height: 64,
  storage: 'local',
  params: {},
  createdAt: '2026-01-02T03:04:05Z',
  trashedAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
  purgeAt: '2026-02-01T03:04:05Z',
  ...over,
});

type Call = { url: string; method: string; body: unknown };
let calls: Call[];
let routes: (c: Call) => unknown;

beforeEach(() => {
  calls = [];
  vi.stubGlobal(
    'IntersectionObserver',
    class {
      observe() {}
      disconnect() {}
    },
  );
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const c = { url, method: init.method ?? 'GET', body: init.body ? JSON.parse(init.body as string) : undefined };
      calls.push(c);
      const out = routes(c);
      if (out === undefined) return new Response(null, { status: 204 });
      return new Response(JSON.stringify(out), { status: 200 });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

describe('Trash', () => {
  it('lists the trash with its times, restores one, deletes one for good and empties after naming the count', async () => {
    routes = (c) => {
      if (c.url.startsWith('/api/trash?')) return { assets: [asset('a'), asset('b'), asset('c')], nextCursor: null, retentionSeconds: 2592000 };
      if (c.url === '/api/trash/restore') return { restored: 1 };
      if (c.url === '/api/trash/purge') return { purged: 1 };
      if (c.url === '/api/trash/empty') return { purged: 1 };
      return undefined;
    };
    const restored = vi.fn();
    render(<TrashView retention={2592000} onRestored={restored} />);
    await waitFor(() => expect(screen.getAllByTestId('trash-item').length).toBe(3));
    expect(screen.getByText(/kept for 30 days/)).toBeTruthy();
    expect(screen.getAllByTestId('trash-item')[0].textContent).toMatch(/Deleted 3 hours ago · deleted for good on/);

    fireEvent.click(screen.getByRole('button', { name: 'Restore image: prompt a' }));
    await waitFor(() => expect(screen.getAllByTestId('trash-item').length).toBe(2));
    expect(calls.find((c) => c.url === '/api/trash/restore')?.body).toEqual({ assetIds: ['a'] });
    expect(restored).toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Delete for good image: prompt b' }));
    expect(calls.some((c) => c.url === '/api/trash/purge')).toBe(false); // asks first
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete for good' }));
    await waitFor(() => expect(screen.getAllByTestId('trash-item').length).toBe(1));
    expect(calls.find((c) => c.url === '/api/trash/purge')?.body).toEqual({ assetIds: ['b'] });

    fireEvent.click(screen.getByRole('button', { name: 'Empty trash' }));
    expect(screen.getByText('Delete 1 item for good?')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Yes, empty trash' }));
    await screen.findByText('The trash is empty.');
    expect(calls.some((c) => c.url === '/api/trash/empty' && c.method === 'POST')).toBe(true);
  });

  it('says how long ago and how long the trash keeps things', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    expect(ago('2026-01-09T23:59:30Z', now)).toBe('just now');
    expect(ago('2026-01-09T23:58:00Z', now)).toBe('2 minutes ago');
    expect(ago('2026-01-08T00:00:00Z', now)).toBe('2 days ago');
    expect(retentionWords(2592000)).toBe('30 days');
    expect(retentionWords(43200)).toBe('12 hours');
  });

  it('the detail moves to the trash without asking, shows its source and content credentials', async () => {
    routes = (c) => {
      if (c.url === '/api/assets/k/lineage') return { ancestors: [asset('p', { trashedAt: null, purgeAt: null })], children: [asset('kid')] };
      return undefined;
    };
    const del = vi.fn(async () => {});
    const kid = asset('k', { trashedAt: null, purgeAt: null, parent: { assetId: 'p', relation: 'edit' }, contentCredentials: { present: true } });
    render(
      <AssetDetail asset={kid} hasPrev={false} hasNext={false} onPrev={() => {}} onNext={() => {}} onClose={() => {}} onReuse={() => {}} onUseAsReference={() => {}} onDelete={del} trashOn />,
    );
    await screen.findByAltText('Source: prompt p');
    expect(screen.getByTestId('detail-children').querySelectorAll('img').length).toBe(1);
    expect(screen.getByTestId('detail-c2pa').textContent).toMatch(/C2PA/);
    expect(screen.getByRole('link', { name: 'Download original' }).getAttribute('href')).toBe('/media/k?download=1&original=1');
    fireEvent.click(screen.getByRole('button', { name: 'Move to trash' }));
    await waitFor(() => expect(del).toHaveBeenCalled());
  });

  it('says "source deleted" when the parent is missing', async () => {
    routes = () => ({ ancestors: [], children: [] });
    const orphan = asset('o', { trashedAt: null, purgeAt: null, parent: { assetId: 'gone', relation: 'upscale', missing: true } });
    render(
      <AssetDetail asset={orphan} hasPrev={false} hasNext={false} onPrev={() => {}} onNext={() => {}} onClose={() => {}} onReuse={() => {}} onUseAsReference={() => {}} onDelete={async () => {}} />,
    );
    expect((await screen.findByTestId('detail-parent')).textContent).toBe('source deleted');
  });
});
