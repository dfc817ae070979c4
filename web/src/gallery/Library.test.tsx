import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render as rtlRender, screen, waitFor } from '@testing-library/react';
import type { ReactElement } from 'react';
import { JobsProvider } from '../lib/jobs';
import { GalleryTab } from './GalleryTab';
import { HistoryView } from './HistoryView';
import { SharePage, shareTokenFromPath } from './SharePage';
import type { Asset, Generation } from '../lib/api';

// Create and History read the person's jobs from the provider the app puts around the tabs.
const render = (ui: ReactElement) => rtlRender(ui, { wrapper: JobsProvider });

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
  favorite: false,
  collectionIds: [],
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
      if (out === 404) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'Not found.' } }), { status: 404 });
      if (out === undefined) return new Response(null, { status: 204 });
      return new Response(JSON.stringify(out), { status: 200 });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

const noop = () => {};
const four = [asset('a'), asset('b'), asset('c'), asset('d')];

function gallery(assets: Asset[] = four, extra: (c: Call) => unknown = () => null) {
  routes = (c) => {
    const x = extra(c);
    if (x !== null) return x;
    if (c.url.startsWith('/api/assets?')) return { assets, nextCursor: null };
    if (c.url === '/api/collections') return { collections: [{ id: 'k1', name: 'Boards', count: 0, coverUrl: null, createdAt: '', updatedAt: '' }] };
    if (c.url === '/api/shares') return { shares: [{ id: 's1', url: null, kind: 'asset', targetId: 'a', createdAt: '2026-01-01T00:00:00Z', expiresAt: null }] };
    if (c.url === '/api/models') return { models: [] };
    return {};
  };
  render(<GalleryTab onReuse={noop} onUseAsReference={noop} onGoCreate={noop} />);
}

const selected = () => screen.getAllByTestId('asset-card').map((el) => el.getAttribute('data-selected') === 'true');

describe('library gallery', () => {
  it('selects with click and shift-click ranges, selects all loaded, and Escape clears', async () => {
    gallery();
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(4));
    fireEvent.click(screen.getAllByTestId('select-asset')[3]);
    fireEvent.click(screen.getAllByTestId('asset-card')[1], { shiftKey: true });
    expect(selected()).toEqual([false, true, true, true]);
    expect(screen.getByTestId('selected-count').textContent).toBe('3 selected');
    // With a selection, a plain click toggles instead of opening the detail view.
    fireEvent.click(screen.getAllByTestId('asset-card')[2]);
    expect(selected()).toEqual([false, true, false, true]);
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Select all loaded (4)' }));
    expect(selected()).toEqual([true, true, true, true]);
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(screen.queryByTestId('bulk-bar')).toBeNull();
    expect(selected()).toEqual([false, false, false, false]);
  });

  it('bulk-deletes only after confirming, and downloads the selection as a zip', async () => {
    gallery(four, (c) => (c.url === '/api/assets/bulk-delete' ? { deleted: 2 } : null));
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(4));
    fireEvent.click(screen.getAllByTestId('select-asset')[0]);
    fireEvent.click(screen.getAllByTestId('select-asset')[1], { shiftKey: true });
    expect(screen.getByRole('link', { name: 'Download zip' }).getAttribute('href')).toBe('/api/export.zip?ids=a,b');
    fireEvent.click(screen.getByRole('button', { name: 'Delete…' }));
    expect(calls.some((c) => c.url === '/api/assets/bulk-delete')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete 2' }));
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(2));
    expect(calls.find((c) => c.url === '/api/assets/bulk-delete')?.body).toEqual({ assetIds: ['a', 'b'] });
  });

  it('adds a selection to a collection and favourites it', async () => {
    gallery(four, (c) => {
      if (c.url === '/api/collections/k1/assets') return { collection: { id: 'k1', name: 'Boards', count: 2 } };
      if (c.url === '/api/assets/bulk-favorite') return { updated: 2 };
      return null;
    });
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(4));
    fireEvent.click(screen.getAllByTestId('select-asset')[2]);
    fireEvent.click(screen.getAllByTestId('select-asset')[3]);
    await waitFor(() => expect(screen.getAllByRole('option', { name: 'Boards' }).length).toBe(2));
    fireEvent.change(screen.getByLabelText('Add to collection'), { target: { value: 'k1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await screen.findByText('Added to “Boards”.');
    expect(calls.find((c) => c.url === '/api/collections/k1/assets')?.body).toEqual({ assetIds: ['c', 'd'] });
    fireEvent.click(screen.getByRole('button', { name: '★ Favourite' }));
    await screen.findByText('2 marked as favourites.');
    expect(screen.getAllByTestId('favorite-asset').map((b) => b.getAttribute('aria-pressed'))).toEqual(['false', 'false', 'true', 'true']);
  });

  it('detail view: f toggles the favourite, Delete asks first, membership and share state show', async () => {
    gallery([asset('a', { collectionIds: ['k1'] }), asset('b')], (c) => (c.url === '/api/assets/a/favorite' ? { asset: asset('a', { favorite: true, collectionIds: ['k1'] }) } : null));
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(2));
    fireEvent.click(screen.getAllByTestId('asset-card')[0]);
    const dialog = screen.getByRole('dialog');
    await waitFor(() => expect(screen.getByTestId('detail-collections').textContent).toBe('Boards'));
    await waitFor(() => expect(screen.getByTestId('detail-shares').textContent).toBe('shared by 1 link'));
    fireEvent.keyDown(dialog, { key: 'f' });
    await waitFor(() => expect(screen.getByRole('button', { name: '★ Favourite' }).getAttribute('aria-pressed')).toBe('true'));
    expect(calls.some((c) => c.url === '/api/assets/a/favorite' && c.method === 'PUT')).toBe(true);
    fireEvent.keyDown(dialog, { key: 'Delete' });
    expect(screen.getByRole('button', { name: 'Yes, delete' })).toBeTruthy();
    expect(calls.some((c) => c.method === 'DELETE' && c.url === '/api/assets/a')).toBe(false);
    fireEvent.keyDown(dialog, { key: 'ArrowRight' });
    expect(screen.getByTestId('detail-media').getAttribute('src')).toBe('/media/b');
  });

  it('sends the filters with the query', async () => {
    gallery();
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(4));
    fireEvent.click(screen.getByRole('button', { name: '★ Favourites' }));
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-01' } });
    await waitFor(() => expect(calls.some((c) => c.url === '/api/assets?favorite=1&from=2026-11-01&limit=30')).toBe(true));
  });
});

describe('history', () => {
  const gen = (id: string, over: Partial<Generation> = {}): Generation => ({
    id,
    model: 'fal-ai/flux/dev',
    prompt: `p ${id}`,
    params: { seed: 3 },
    status: 'succeeded',
    queuePosition: null,
    logs: [],
    error: null,
    notice: null,
    assets: [],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    completedAt: null,
    ...over,
  });

  it('shows failures with their error and runs one again with the same settings', async () => {
    routes = (c) => {
      if (c.url.startsWith('/api/generations?')) {
        return { generations: [gen('f', { status: 'failed', error: { code: 'content_blocked', message: 'Blocked by provider safety' } }), gen('s')], nextCursor: null };
      }
      if (c.url === '/api/generations' && c.method === 'POST') return { generation: gen('new', { status: 'queued' }) };
      return {};
    };
    render(<HistoryView />);
    await screen.findByText('Blocked by provider safety');
    fireEvent.click(screen.getByRole('button', { name: 'Run again' }));
    await screen.findByText('Submitted again with the same settings.');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ model: 'fal-ai/flux/dev', prompt: 'p f', params: { seed: 3 } });
    fireEvent.click(screen.getByRole('button', { name: 'Failed' }));
    await waitFor(() => expect(calls.some((c) => c.url === '/api/generations?status=failed&limit=20')).toBe(true));
  });
});

describe('share page', () => {
  it('reads the token from the path only for share links', () => {
    expect(shareTokenFromPath('/s/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde')).toBe('AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde');
    expect(shareTokenFromPath('/')).toBeNull();
    expect(shareTokenFromPath('/s/x')).toBeNull();
  });

  it('shows the shared media, or says the link is gone', async () => {
    routes = (c) =>
      c.url === '/api/s/good-token-good-token-good'
        ? { kind: 'asset', name: null, expiresAt: null, assets: [{ id: 'a', kind: 'image', url: '/s/t/media/a', contentType: 'image/png', width: 4, height: 4, prompt: 'a fox', model: 'm', createdAt: '2026-01-01T00:00:00Z' }] }
        : 404;
    const { unmount } = render(<SharePage token="good-token-good-token-good" />);
    await screen.findByText('a fox');
    expect(screen.getByRole('img').getAttribute('src')).toBe('/s/t/media/a');
    expect(calls.some((c) => c.url === '/api/me')).toBe(false);
    unmount();
    render(<SharePage token="gone-token-gone-token-gone" />);
    await screen.findByText('This link has expired, was revoked, or never existed.');
  });

  it('follows a shared collection page by page', async () => {
    const shared = (id: string, prompt: string) => ({ id, kind: 'image', url: `/s/t/media/${id}`, contentType: 'image/png', width: 4, height: 4, prompt, model: 'm', createdAt: '2026-01-01T00:00:00Z' });
    routes = (c) =>
      c.url === '/api/s/coll-token-coll-token-coll'
        ? { kind: 'collection', name: 'Board', expiresAt: null, assets: [shared('a', 'first fox')], nextCursor: 'c/2' }
        : c.url === '/api/s/coll-token-coll-token-coll?cursor=c%2F2'
          ? { kind: 'collection', name: 'Board', expiresAt: null, assets: [shared('b', 'second fox')], nextCursor: null }
          : 404;
    render(<SharePage token="coll-token-coll-token-coll" />);
    await screen.findByText('first fox');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByText('second fox');
    expect(screen.getAllByTestId('shared-asset')).toHaveLength(2);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });
});
