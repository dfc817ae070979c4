import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { CreateTab } from './CreateTab';
import type { Generation, Model } from '../lib/api';

const schnell: Model = {
  id: 'fal-ai/flux/schnell',
  name: 'FLUX.1 [schnell]',
  task: 'text-to-image',
  output: 'image',
  description: 'fast',
  promptRequired: true,
  reference: null,
  params: [
    { name: 'image_size', label: 'Size', type: 'enum', options: ['square_hd', 'landscape_4_3'], default: 'landscape_4_3' },
    { name: 'num_images', label: 'Images', type: 'integer', min: 1, max: 4, default: 1 },
    { name: 'seed', label: 'Seed', type: 'seed' },
    { name: 'negative_prompt', label: 'Negative prompt', type: 'string' },
  ],
};
const kontext: Model = {
  id: 'fal-ai/flux-pro/kontext',
  name: 'FLUX.1 Kontext',
  task: 'image-edit',
  output: 'image',
  description: 'edit',
  promptRequired: true,
  reference: { field: 'image_url', min: 1, max: 1 },
  params: [],
};
const multi: Model = { ...kontext, id: 'fal-ai/multi/edit', name: 'Multi', reference: { field: 'image_urls', min: 1, max: 3 } };

const gen = (over: Partial<Generation> = {}): Generation => ({
  id: 'g1',
  model: schnell.id,
  prompt: 'a cat',
  params: {},
  status: 'queued',
  queuePosition: 2,
  logs: [],
  error: null,
  notice: null,
  assets: [],
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  completedAt: null,
  ...over,
});

type Route = (url: string, init: RequestInit) => unknown;
let routes: Record<string, Route>;
let fetchMock: ReturnType<typeof vi.fn>;

function reply(status: number, body: unknown) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

class FakeEventSource {
  static last: FakeEventSource | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(
    public url: string,
    public init?: EventSourceInit,
  ) {
    FakeEventSource.last = this;
  }
  close() {
    this.closed = true;
  }
  emit(g: Generation) {
    act(() => this.onmessage?.({ data: JSON.stringify(g) } as MessageEvent));
  }
}

beforeEach(() => {
  routes = {
    'GET /api/models': () => ({ models: [schnell, kontext, multi] }),
    'GET /api/generations?active=1': () => ({ generations: [] }),
  };
  fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    const key = `${init.method ?? 'GET'} ${url}`;
    const r = routes[key];
    if (!r) return reply(404, { error: { code: 'not_found', message: `no route ${key}` } });
    const out = r(url, init);
    return out instanceof Response ? out : reply(200, out);
  });
  vi.stubGlobal('fetch', fetchMock);
  FakeEventSource.last = null;
});
afterEach(() => vi.unstubAllGlobals());

const withKey = { id: 1, email: 'a@b.co', hasFalKey: true, role: 'member' as const };
const generateButton = () => screen.getByRole('button', { name: 'Generate' }) as HTMLButtonElement;
const posted = () => {
  const call = fetchMock.mock.calls.find(([u, i]) => u === '/api/generations' && (i as RequestInit)?.method === 'POST');
  return call ? JSON.parse((call[1] as RequestInit).body as string) : null;
};

describe('CreateTab', () => {
  it('disables Generate without a fal key and links to Account', async () => {
    const go = vi.fn();
    render(<CreateTab user={{ ...withKey, hasFalKey: false }} preset={null} onGoAccount={go} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    expect(generateButton().disabled).toBe(true);
    expect(screen.getByTestId('generate-hint').textContent).toContain('fal API key');
    fireEvent.click(screen.getByRole('button', { name: 'Go to Account' }));
    expect(go).toHaveBeenCalled();
  });

  it('groups models by task, with a custom model id option', async () => {
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    const groups = Array.from(document.querySelectorAll('#model optgroup')).map((g) => g.getAttribute('label'));
    expect(groups).toEqual(['Text to image', 'Image editing', 'Other']);
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: '__custom__' } });
    expect(screen.getByLabelText('Custom model id')).toBeTruthy();
  });

  it('sends the defaults and what the user set, and Ctrl+Enter submits', async () => {
    routes['POST /api/generations'] = () => reply(202, { generation: gen() });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    expect((screen.getByLabelText(/Size/) as HTMLSelectElement).value).toBe('landscape_4_3');
    expect(generateButton().disabled).toBe(true); // a prompt is required
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: '  a cat  ' } });
    fireEvent.change(screen.getByLabelText(/Negative prompt/), { target: { value: 'blurry' } });
    fireEvent.keyDown(screen.getByLabelText('Prompt'), { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(posted()).not.toBeNull());
    expect(posted()).toEqual({
      model: 'fal-ai/flux/schnell',
      prompt: 'a cat',
      params: { image_size: 'landscape_4_3', num_images: 1, negative_prompt: 'blurry' },
    });
  });

  it('refuses a setting outside its range', async () => {
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    fireEvent.change(screen.getByLabelText(/Images/), { target: { value: '9' } });
    expect(generateButton().disabled).toBe(true);
    expect(screen.getByTestId('generate-hint').textContent).toBe('Images must be at most 4. ');
  });

  it('needs the minimum of reference images and sends one as a string, several as an array', async () => {
    let n = 0;
    routes['POST /api/uploads'] = () => reply(201, { url: `https://v3.fal.media/files/ref${++n}.png` });
    routes['POST /api/generations'] = () => reply(202, { generation: gen() });
    globalThis.URL.createObjectURL = () => 'blob:preview';
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 Kontext' });
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'fal-ai/flux-pro/kontext' } });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'make it blue' } });
    expect(generateButton().disabled).toBe(true);
    expect(screen.getByTestId('generate-hint').textContent).toContain('reference image');
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'a.png', { type: 'image/png' });
    fireEvent.change(screen.getByTestId('reference-input'), { target: { files: [file] } });
    await screen.findByRole('button', { name: 'Remove reference 1' });
    // The thumbnail is the local file, never the provider URL.
    expect((screen.getByAltText('Reference 1') as HTMLImageElement).src).toBe('blob:preview');
    expect(screen.queryByRole('button', { name: 'Choose image…' })).toBeNull(); // max 1
    fireEvent.click(generateButton());
    await waitFor(() => expect(posted()).not.toBeNull());
    expect(posted().params).toEqual({ image_url: 'https://v3.fal.media/files/ref1.png' });

    fetchMock.mockClear();
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'fal-ai/multi/edit' } });
    expect(screen.getByRole('button', { name: 'Remove reference 1' })).toBeTruthy(); // kept
    // Pasting an image into the prompt adds a reference too.
    fireEvent.paste(screen.getByLabelText('Prompt'), { clipboardData: { files: [file] } });
    await screen.findByRole('button', { name: 'Remove reference 2' });
    fireEvent.click(generateButton());
    await waitFor(() => expect(posted()).not.toBeNull());
    expect(posted().params).toEqual({ image_urls: ['https://v3.fal.media/files/ref1.png', 'https://v3.fal.media/files/ref2.png'] });
  });

  it('follows progress live, then shows the persisted result and the notice', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    routes['POST /api/generations'] = () => reply(202, { generation: gen() });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    fireEvent.click(generateButton());
    expect((await screen.findByTestId('generation-status')).textContent).toBe('Queued');
    expect(screen.getByText('Position in queue: 2')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    const es = FakeEventSource.last!;
    expect(es.url).toBe('/api/generations/g1/events');
    expect(es.init?.withCredentials).toBe(true);
    es.emit(gen({ status: 'running', queuePosition: null, logs: [{ time: '', message: 'step 1/4' }] }));
    expect(screen.getByTestId('generation-status').textContent).toBe('Generating');
    expect(screen.getByLabelText('Latest log lines').textContent).toContain('step 1/4');
    const asset = {
      id: 'a1',
      generationId: 'g1',
      model: schnell.id,
      prompt: 'a cat',
      kind: 'image' as const,
      url: '/media/a1',
      contentType: 'image/png',
      bytes: 10,
      width: 1,
      height: 1,
      storage: 'local' as const,
      params: {},
      createdAt: '',
    };
    es.emit(gen({ status: 'succeeded', notice: 'saved locally instead', assets: [asset], completedAt: new Date().toISOString() }));
    expect(es.closed).toBe(true);
    expect(screen.getByTestId('generation-status').textContent).toBe('Done');
    expect(screen.getByTestId('result-media').getAttribute('src')).toBe('/media/a1');
    expect(screen.getByText(/saved locally instead/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('falls back to polling when the stream fails, and shows the server error', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    routes['GET /api/generations?active=1'] = () => ({ generations: [gen({ status: 'running', queuePosition: null })] });
    routes['GET /api/generations/g1'] = () => ({
      generation: gen({ status: 'failed', error: { code: 'content_blocked', message: 'Blocked by provider safety/content policy: nsfw' } }),
    });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    // The running job is resumed on load.
    expect((await screen.findByTestId('generation-status')).textContent).toBe('Generating');
    act(() => FakeEventSource.last!.onerror?.());
    expect(FakeEventSource.last!.closed).toBe(true);
    expect((await screen.findByRole('alert')).textContent).toBe('Blocked by provider safety/content policy: nsfw');
    expect(screen.getByTestId('generation-status').textContent).toBe('Failed');
  });

  it('cancels a running generation', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    routes['GET /api/generations?active=1'] = () => ({ generations: [gen({ status: 'running' })] });
    routes['POST /api/generations/g1/cancel'] = () => ({ generation: gen({ status: 'canceled' }) });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.getByTestId('generation-status').textContent).toBe('Canceled'));
  });

  it('adds a gallery image as a reference, switching to a model that takes one', async () => {
    const { rerender } = render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    rerender(
      <CreateTab
        user={withKey}
        preset={{ model: schnell.id, prompt: 'x', params: {}, reference: 'https://v3.fal.media/r.png', referencePreview: '/media/a1', key: 1 }}
        onGoAccount={() => {}}
      />,
    );
    await screen.findByRole('button', { name: 'Remove reference 1' });
    expect((screen.getByLabelText('Model') as HTMLSelectElement).value).toBe('fal-ai/flux-pro/kontext');
    expect((screen.getByAltText('Reference 1') as HTMLImageElement).getAttribute('src')).toBe('/media/a1');
  });

  it('reuses settings from the gallery', async () => {
    const { rerender } = render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    rerender(
      <CreateTab
        user={withKey}
        preset={{ model: schnell.id, prompt: 'a dog', params: { image_size: 'square_hd', seed: 42 }, reference: null, key: 2 }}
        onGoAccount={() => {}}
      />,
    );
    await waitFor(() => expect((screen.getByLabelText('Prompt') as HTMLTextAreaElement).value).toBe('a dog'));
    expect((screen.getByLabelText(/Size/) as HTMLSelectElement).value).toBe('square_hd');
    expect((screen.getByLabelText('Seed') as HTMLInputElement).value).toBe('42');
  });
});
