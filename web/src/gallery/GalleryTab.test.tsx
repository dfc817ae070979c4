import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { GalleryTab } from './GalleryTab';
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
  width: 1024,
  height: 768,
  storage: 'local',
  params: { image_size: 'square_hd', seed: 7 },
  createdAt: '2026-01-02T03:04:05Z',
  ...over,
});

let observers: { cb: IntersectionObserverCallback; el: Element | null }[] = [];
class FakeIO {
  constructor(public cb: IntersectionObserverCallback) {}
  observe(el: Element) {
    observers.push({ cb: this.cb, el });
  }
  disconnect() {
    observers = observers.filter((o) => o.cb !== this.cb);
  }
}

let pages: Record<string, { assets: Asset[]; nextCursor: string | null }>;
let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  observers = [];
  vi.stubGlobal('IntersectionObserver', FakeIO);
  pages = {};
  fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    if (init.method === 'DELETE') return new Response(null, { status: 204 });
    const u = new URL(url, 'http://x');
    const key = `${u.searchParams.get('kind') ?? ''}|${u.searchParams.get('q') ?? ''}|${u.searchParams.get('cursor') ?? ''}`;
    return new Response(JSON.stringify(pages[key] ?? { assets: [], nextCursor: null }), { status: 200 });
  });
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => vi.unstubAllGlobals());

const noop = () => {};

describe('GalleryTab', () => {
  it('leads an empty gallery to Create', async () => {
    const go = vi.fn();
    render(<GalleryTab onReuse={noop} onUseAsReference={noop} onGoCreate={go} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Create your first image' }));
    expect(go).toHaveBeenCalled();
  });

  it('shows previews in the grid: thumbnails for images, posters for videos, never the full files', async () => {
    pages['||'] = {
      assets: [
        asset('a', { thumbUrl: '/media/a/thumb' }),
        asset('v', { kind: 'video', url: '/media/v', contentType: 'video/mp4', thumbUrl: '/media/v/thumb' }),
        asset('old', { thumbUrl: null }),
      ],
      nextCursor: null,
    };
    render(<GalleryTab onReuse={noop} onUseAsReference={noop} onGoCreate={noop} />);
    await screen.findAllByTestId('asset-card');
    const imgs = [...document.querySelectorAll('img')].map((i) => i.getAttribute('src'));
    expect(imgs).toEqual(['/media/a/thumb', '/media/old']);
    const video = document.querySelector('video')!;
    expect(video.getAttribute('poster')).toBe('/media/v/thumb');
    expect(video.getAttribute('preload')).toBe('none');
  });

  it('shows images and videos from their persisted URLs and loads more on scroll', async () => {
    pages['||'] = { assets: [asset('a'), asset('v', { kind: 'video', url: '/media/v', contentType: 'video/mp4' })], nextCursor: 'c2' };
    pages['||c2'] = { assets: [asset('b')], nextCursor: null };
    render(<GalleryTab onReuse={noop} onUseAsReference={noop} onGoCreate={noop} />);
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(2));
    const video = document.querySelector('video')!;
    expect(video.getAttribute('preload')).toBe('metadata');
    expect(video.muted).toBe(true);
    expect(video.getAttribute('src')).toBe('/media/v#t=0.1');
    expect(document.querySelector('img')!.getAttribute('src')).toBe('/media/a');
    // The sentinel comes into view: the next page is appended.
    await waitFor(() => expect(observers.length).toBe(1));
    act(() => observers[0].cb([{ isIntersecting: true } as IntersectionObserverEntry], {} as IntersectionObserver));
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(3));
  });

  it('filters by kind and searches prompts (debounced)', async () => {
    pages['video||'] = { assets: [asset('v', { kind: 'video' })], nextCursor: null };
    pages['|sea|'] = { assets: [asset('s')], nextCursor: null };
    render(<GalleryTab onReuse={noop} onUseAsReference={noop} onGoCreate={noop} />);
    await screen.findByText(/gallery is empty/);
    fireEvent.click(screen.getByRole('button', { name: 'Videos' }));
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(1));
    fireEvent.click(screen.getByRole('button', { name: 'All' }));
    await screen.findByText(/gallery is empty/);
    fireEvent.change(screen.getByLabelText('Search prompts'), { target: { value: 'se' } });
    fireEvent.change(screen.getByLabelText('Search prompts'), { target: { value: 'sea' } });
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(1));
    const queries = fetchMock.mock.calls.map(([u]) => String(u)).filter((u) => u.includes('q='));
    expect(queries).toEqual(['/api/assets?q=sea&limit=30']); // one request for the settled text
  });

  it('opens a detail view: arrows move, Escape closes, actions work', async () => {
    pages['||'] = { assets: [asset('a'), asset('b')], nextCursor: null };
    const reuse = vi.fn();
    const useRef = vi.fn();
    render(<GalleryTab onReuse={reuse} onUseAsReference={useRef} onGoCreate={noop} />);
    await waitFor(() => expect(screen.getAllByTestId('asset-card')).toHaveLength(2));
    fireEvent.click(screen.getAllByTestId('asset-card')[0]);
    const dialog = screen.getByRole('dialog');
    expect(document.activeElement).toBe(dialog);
    expect(screen.getByText('prompt a', { selector: '.prompt' })).toBeTruthy();
    expect(screen.getByTestId('detail-size').textContent).toContain('1024×768');
    expect(screen.getByTestId('detail-size').textContent).toContain('2.0 KB');
    expect(screen.getByRole('link', { name: 'Download' }).getAttribute('href')).toBe('/media/a?download=1');
    fireEvent.keyDown(dialog, { key: 'ArrowRight' });
    expect(screen.getByTestId('detail-media').getAttribute('src')).toBe('/media/b');
    fireEvent.keyDown(dialog, { key: 'ArrowLeft' });
    expect(screen.getByTestId('detail-media').getAttribute('src')).toBe('/media/a');
    fireEvent.click(screen.getByRole('button', { name: 'Reuse settings' }));
    expect(reuse).toHaveBeenCalledWith(expect.objectContaining({ id: 'a' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('keeps focus inside the detail view', async () => {
    pages['||'] = { assets: [asset('a')], nextCursor: null };
    render(<GalleryTab onReuse={noop} onUseAsReference={noop} onGoCreate={noop} />);
    fireEvent.click(await screen.findByTestId('asset-card'));
    const dialog = screen.getByRole('dialog');
    const del = screen.getByRole('button', { name: 'Delete' });
    del.focus();
    fireEvent.keyDown(del, { key: 'Tab' });
    expect(dialog.contains(document.activeElement)).toBe(true);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close' })); // Previous/Next are disabled
    fireEvent.keyDown(document.activeElement!, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(del);
  });

  it('deletes after confirmation', async () => {
    pages['||'] = { assets: [asset('a')], nextCursor: null };
    render(<GalleryTab onReuse={noop} onUseAsReference={noop} onGoCreate={noop} />);
    fireEvent.click(await screen.findByTestId('asset-card'));
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(fetchMock.mock.calls.some(([, i]) => (i as RequestInit)?.method === 'DELETE')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }));
    await waitFor(() => expect(screen.queryByTestId('asset-card')).toBeNull());
    expect(fetchMock.mock.calls.some(([u, i]) => u === '/api/assets/a' && (i as RequestInit)?.method === 'DELETE')).toBe(true);
  });

  it('uses an image as a reference through the studio', async () => {
    pages['||'] = { assets: [asset('a')], nextCursor: null };
    fetchMock.mockImplementation(async (url: string) => {
      if (url === '/api/uploads') return new Response(JSON.stringify({ url: 'https://v3.fal.media/files/a.png' }), { status: 201 });
      return new Response(JSON.stringify(pages['||']), { status: 200 });
    });
    const useRef = vi.fn();
    render(<GalleryTab onReuse={noop} onUseAsReference={useRef} onGoCreate={noop} />);
    fireEvent.click(await screen.findByTestId('asset-card'));
    fireEvent.click(screen.getByRole('button', { name: 'Use as reference' }));
    await waitFor(() => expect(useRef).toHaveBeenCalledWith(expect.objectContaining({ id: 'a' }), 'https://v3.fal.media/files/a.png'));
    const call = fetchMock.mock.calls.find(([u]) => u === '/api/uploads')!;
    expect(JSON.parse((call[1] as RequestInit).body as string)).toEqual({ assetId: 'a' });
  });
});
