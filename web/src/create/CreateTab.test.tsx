import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, configure, fireEvent, render as rtlRender, screen, waitFor } from '@testing-library/react';
import type { ReactElement } from 'react';
import { JobsProvider } from '../lib/jobs';
import { CreateTab } from './CreateTab';
import type { Generation, Model } from '../lib/api';

// Create and History read the person's jobs from the provider the app puts around the tabs.
const render = (ui: ReactElement) => rtlRender(ui, { wrapper: JobsProvider });

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
  reference: { field: 'image_url', min: 1, max: 1, multiple: false },
  params: [],
};
const multi: Model = { ...kontext, id: 'fal-ai/multi/edit', name: 'Multi', reference: { field: 'image_urls', min: 1, max: 3, multiple: true } };
const kling: Model = { ...kontext, id: 'fal-ai/kling/i2v', name: 'Kling', task: 'image-to-video', output: 'video', reference: { field: 'image_url', min: 1, max: 1, multiple: false } };

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

// The machine running the tests may be busy: allow slower renders than the default second.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 20_000 });

type Route = (url: string, init: RequestInit) => unknown;
let routes: Record<string, Route>;
let fetchMock: ReturnType<typeof vi.fn>;

function reply(status: number, body: unknown) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

class FakeEventSource {
  static last: FakeEventSource | null = null;
  static count = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readyState = 0;
  closed = false;
  listeners: Record<string, ((e: MessageEvent) => void)[]> = {};
  constructor(
    public url: string,
    public init?: EventSourceInit,
  ) {
    FakeEventSource.last = this;
    FakeEventSource.count++;
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    (this.listeners[type] ??= []).push(fn);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(g: Generation) {
    act(() => this.listeners.generation?.forEach((fn) => fn({ data: JSON.stringify(g) } as MessageEvent)));
  }
}

beforeEach(() => {
  routes = {
    'GET /api/models': () => ({ models: [schnell, kontext, multi, kling] }),
    'GET /api/generations?active=1': () => ({ generations: [] }),
    'GET /api/generations': () => ({ generations: [] }),
    'GET /api/presets': () => ({ presets: [] }),
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
  FakeEventSource.count = 0;
  vi.stubGlobal('EventSource', FakeEventSource);
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
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    expect(generateButton().disabled).toBe(true);
    expect(screen.getByTestId('generate-hint').textContent).toContain('fal API key');
    fireEvent.click(screen.getByRole('button', { name: 'Go to Account' }));
    expect(go).toHaveBeenCalled();
  });

  it('groups models by task, with a custom model id option', async () => {
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
    const groups = Array.from(document.querySelectorAll('#model optgroup')).map((g) => g.getAttribute('label'));
    expect(groups).toEqual(['Text to image', 'Image editing', 'Image to video', 'Other']);
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: '__custom__' } });
    expect(screen.getByLabelText('Custom model id')).toBeTruthy();
  });

  it('sends the defaults and what the user set, and Ctrl+Enter submits', async () => {
    routes['POST /api/generations'] = () => reply(202, { generation: gen() });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
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
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
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
    await screen.findByRole('option', { name: 'FLUX.1 Kontext' }, { timeout: 5000 });
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

  it('follows progress live on the one event stream, then shows the persisted result and the notice', async () => {
    routes['POST /api/generations'] = () => reply(202, { generation: gen() });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    fireEvent.click(generateButton());
    expect((await screen.findByTestId('generation-status')).textContent).toBe('Queued');
    expect(screen.getByText('Position in queue: 2')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    const es = FakeEventSource.last!;
    expect(es.url).toBe('/api/events');
    expect(es.init?.withCredentials).toBe(true);
    es.emit(gen({ status: 'running', queuePosition: null, logs: [{ time: '', message: 'step 1/4' }], updatedAt: new Date(Date.now() + 500).toISOString() }));
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
    es.emit(gen({ status: 'succeeded', notice: 'saved locally instead', assets: [asset], completedAt: new Date().toISOString(), updatedAt: new Date(Date.now() + 1000).toISOString() }));
    expect(es.closed).toBe(false); // one stream for every job: it stays open
    expect(FakeEventSource.count).toBe(1);
    expect(screen.getByTestId('generation-status').textContent).toBe('Done');
    expect(screen.getByTestId('result-media').getAttribute('src')).toBe('/media/a1');
    expect(screen.getByText(/saved locally instead/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('polls when the stream is refused, and shows the server error', async () => {
    routes['GET /api/generations?active=1'] = () => ({ generations: [gen({ status: 'running', queuePosition: null })] });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    // The running job is resumed on load.
    expect((await screen.findByTestId('generation-status')).textContent).toBe('Generating');
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const failed = gen({ status: 'failed', error: { code: 'content_blocked', message: 'Blocked by provider safety/content policy: nsfw' }, updatedAt: new Date(Date.now() + 1000).toISOString() });
      routes['GET /api/generations?active=1'] = () => ({ generations: [] });
      routes['GET /api/generations'] = () => ({ generations: [failed] });
      const es = FakeEventSource.last!;
      es.readyState = 2; // refused (e.g. 429): the browser gives up
      act(() => es.onerror?.());
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3100);
      });
      expect((await screen.findByRole('alert')).textContent).toBe('Blocked by provider safety/content policy: nsfw');
      expect(screen.getByTestId('generation-status').textContent).toBe('Failed');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(10_000);
      });
      expect(FakeEventSource.count).toBe(2); // the stream is tried again
    } finally {
      vi.useRealTimers();
    }
  });

  it('cancels a running generation', async () => {
    routes['GET /api/generations?active=1'] = () => ({ generations: [gen({ status: 'running' })] });
    routes['POST /api/generations/g1/cancel'] = () => ({ generation: gen({ status: 'canceled', updatedAt: new Date(Date.now() + 1000).toISOString() }), cancel: { outcome: 'canceled', message: 'Canceled before it ran.' } });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByTestId('generation-status'); // the running job is shown
    fireEvent.click(screen.getAllByRole('button', { name: 'Cancel' })[0]);
    await waitFor(() => expect(screen.getByTestId('generation-status').textContent).toBe('Canceled'));
    expect(screen.getByText('Canceled before it ran.')).toBeTruthy();
  });

  it('adds a gallery image as a reference, switching to a model that takes one', async () => {
    const { rerender } = render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
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
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
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

const later = (ms: number) => new Date(Date.now() + ms).toISOString();
const image = (id: string, generationId: string) => ({
  id,
  generationId,
  model: schnell.id,
  prompt: 'a cat',
  kind: 'image' as const,
  url: `/media/${id}`,
  contentType: 'image/png',
  bytes: 10,
  width: 1,
  height: 1,
  storage: 'local' as const,
  params: {},
  createdAt: '',
});

describe('CreateTab for power users', () => {
  it('lists every job in the panel, follows them on one stream, and a new submit hides none', async () => {
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 - s * 1000).toISOString();
    routes['GET /api/generations?active=1'] = () => ({
      generations: [gen({ id: 'g3', prompt: 'three', createdAt: at(1) }), gen({ id: 'g2', prompt: 'two', status: 'running', queuePosition: null, createdAt: at(2) })],
    });
    routes['GET /api/generations'] = () => ({
      generations: [gen({ id: 'g3', prompt: 'three', createdAt: at(1) }), gen({ id: 'g2', prompt: 'two', status: 'running', queuePosition: null, createdAt: at(2) }), gen({ id: 'g1', prompt: 'one', status: 'succeeded', queuePosition: null, createdAt: at(3), completedAt: at(2), costUsd: 0.012 } as Partial<Generation>)],
    });
    routes['POST /api/generations'] = () => reply(202, { generation: gen({ id: 'g4', prompt: 'four', createdAt: later(0) }) });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await waitFor(() => expect(screen.getAllByTestId('job')).toHaveLength(3), { timeout: 5000 });
    expect(screen.getAllByTestId('job').map((j) => j.getAttribute('data-generation-id'))).toEqual(['g3', 'g2', 'g1']);
    expect(screen.getByText('#2 in queue')).toBeTruthy();
    expect(screen.getByText('$0.012')).toBeTruthy();
    expect(screen.getByText(/2 running/)).toBeTruthy();
    // The newest is shown; choosing another shows it.
    await waitFor(() => expect(screen.getByTestId('generation-status').getAttribute('data-generation-id')).toBe('g3'));
    fireEvent.click(screen.getByRole('button', { name: /^Show\s*Generating\s*two$/ }));
    expect(screen.getByTestId('generation-status').getAttribute('data-generation-id')).toBe('g2');

    // One stream carries every job's changes; outputs appear as they arrive.
    const es = FakeEventSource.last!;
    es.emit(gen({ id: 'g2', prompt: 'two', status: 'saving', queuePosition: null, createdAt: at(2), updatedAt: later(100), assets: [image('a2', 'g2')] }));
    const row = screen.getAllByTestId('job').find((j) => j.getAttribute('data-generation-id') === 'g2')!;
    expect(row.getAttribute('data-status')).toBe('saving');
    expect(row.querySelector('.job-thumb img')?.getAttribute('src')).toBe('/media/a2');

    // A new submit shows itself and keeps the running ones listed.
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'four' } });
    fireEvent.click(generateButton());
    await waitFor(() => expect(screen.getAllByTestId('job')).toHaveLength(4));
    expect(screen.getByTestId('generation-status').getAttribute('data-generation-id')).toBe('g4');
    expect(FakeEventSource.count).toBe(1);
  });

  it('runs variations as one group', async () => {
    routes['POST /api/generations'] = (_u, init) => {
      const body = JSON.parse(init.body as string);
      const gens = [0, 1, 2].map((i) => gen({ id: `v${i}`, group: 'grp', params: { seed: 7 + i }, createdAt: later(i) }));
      return reply(202, { generation: gens[0], generations: gens, group: 'grp', error: null, echo: body });
    };
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    fireEvent.change(screen.getByLabelText('Variations'), { target: { value: '3' } });
    fireEvent.change(screen.getByLabelText('Seeds'), { target: { value: 'random' } });
    fireEvent.click(screen.getByRole('button', { name: 'Generate ×3' }));
    await waitFor(() => expect(posted()).not.toBeNull());
    expect(posted().variations).toEqual({ count: 3, seeds: 'random' });
    const group = await screen.findByTestId('job-group');
    expect(group.textContent).toContain('Variations · 3');
    expect(group.querySelectorAll('[data-testid="job"]')).toHaveLength(3);
    expect(group.textContent).toContain('seed 9');
  });

  it('saves, applies, renames and deletes presets', async () => {
    const saved = { id: 'p1', name: 'Squares', model: schnell.id, params: { image_size: 'square_hd', num_images: 3 }, createdAt: '', updatedAt: '' };
    let created: unknown = null;
    routes['POST /api/presets'] = (_u, init) => {
      created = JSON.parse(init.body as string);
      return reply(201, { preset: saved });
    };
    routes['PATCH /api/presets/p1'] = () => reply(409, { error: { code: 'name_taken', message: 'You already have a preset named "Wide".' } });
    routes['DELETE /api/presets/p1'] = () => reply(204, undefined);
    vi.stubGlobal('confirm', () => true);
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' }, { timeout: 5000 });
    fireEvent.change(screen.getByLabelText(/Size/), { target: { value: 'square_hd' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save as preset' }));
    fireEvent.change(screen.getByLabelText('New preset name'), { target: { value: 'Squares' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('status')).textContent).toContain('Saved “Squares”');
    expect(created).toEqual({ name: 'Squares', model: schnell.id, params: { image_size: 'square_hd', num_images: 1 } });

    // Applying restores the model and its settings.
    fireEvent.change(screen.getByLabelText(/Size/), { target: { value: 'landscape_4_3' } });
    fireEvent.change(screen.getByLabelText('Preset'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Preset'), { target: { value: 'p1' } });
    expect((screen.getByLabelText(/Size/) as HTMLSelectElement).value).toBe('square_hd');
    expect((screen.getByLabelText(/Images/) as HTMLInputElement).value).toBe('3');

    // A taken name is explained; delete removes it.
    fireEvent.click(screen.getByRole('button', { name: 'Rename' }));
    fireEvent.change(screen.getByLabelText('New name'), { target: { value: 'Wide' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save name' }));
    expect((await screen.findByText(/already have a preset named/)).textContent).toContain('Wide');
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByRole('option', { name: 'Squares' })).toBeNull());
  });

  it('animates a result image: an image-to-video model with that image as the reference', async () => {
    routes['GET /api/generations?active=1'] = () => ({ generations: [] });
    routes['GET /api/generations'] = () => ({ generations: [gen({ status: 'succeeded', queuePosition: null, assets: [image('a1', 'g1')], completedAt: later(0) })] });
    routes['POST /api/uploads'] = () => reply(201, { url: 'https://v3.fal.media/files/a1.png' });
    routes['POST /api/generations'] = () => reply(202, { generation: gen({ id: 'g9', model: kling.id }) });
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: /^Show\s*Done\s*a cat$/ }, { timeout: 5000 }));
    fireEvent.click(await screen.findByRole('button', { name: 'Animate' }));
    await waitFor(() => expect((screen.getByLabelText('Model') as HTMLSelectElement).value).toBe(kling.id));
    expect((screen.getByAltText('Reference 1') as HTMLImageElement).getAttribute('src')).toBe('/media/a1');
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'slow zoom' } });
    fireEvent.click(generateButton());
    await waitFor(() => expect(posted()).not.toBeNull());
    expect(posted()).toEqual({ model: kling.id, prompt: 'slow zoom', params: { image_url: 'https://v3.fal.media/files/a1.png' } });
  });

  it('takes several dropped files where the model takes a list, up to its count', async () => {
    let n = 0;
    routes['POST /api/uploads'] = () => reply(201, { url: `https://v3.fal.media/files/d${++n}.png` });
    globalThis.URL.createObjectURL = () => 'blob:preview';
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'Multi' }, { timeout: 5000 });
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'fal-ai/multi/edit' } });
    const file = (name: string) => new File([new Uint8Array([137, 80, 78, 71])], name, { type: 'image/png' });
    const files = [file('1.png'), file('2.png'), file('3.png'), file('4.png')];
    // Dropped anywhere on the form, not only on the drop zone.
    fireEvent.drop(screen.getByLabelText('Prompt'), { dataTransfer: { files, types: ['Files'], getData: () => '' } });
    await screen.findByRole('button', { name: 'Remove reference 3' });
    expect(screen.queryByRole('button', { name: 'Remove reference 4' })).toBeNull();
    expect(screen.getByRole('alert').textContent).toContain('Only 3 more reference images fit');
  });

  it('takes one of the outputs dragged from the jobs panel as a reference', async () => {
    let sent: unknown = null;
    routes['POST /api/uploads'] = (_u, init) => {
      sent = JSON.parse(init.body as string);
      return reply(201, { url: 'https://v3.fal.media/files/own.png' });
    };
    render(<CreateTab user={withKey} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 Kontext' }, { timeout: 5000 });
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'fal-ai/flux-pro/kontext' } });
    const payload = JSON.stringify({ id: 'a7', url: '/media/a7', kind: 'image' });
    fireEvent.drop(screen.getByTestId('reference-dropzone'), {
      dataTransfer: { files: [], types: ['application/x-falstudio-asset'], getData: (t: string) => (t === 'application/x-falstudio-asset' ? payload : '') },
    });
    await screen.findByRole('button', { name: 'Remove reference 1' });
    expect(sent).toEqual({ assetId: 'a7' });
    expect((screen.getByAltText('Reference 1') as HTMLImageElement).getAttribute('src')).toBe('/media/a7');
  });
});
