import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, configure, render, screen } from '@testing-library/react';
import { JobsProvider, useJobs } from '../lib/jobs';
import { HistoryView } from './HistoryView';
import type { Generation } from '../lib/api';

configure({ asyncUtilTimeout: 5000 });

const gen = (id: string, over: Partial<Generation> = {}): Generation => ({
  id,
  model: 'fal-ai/flux/dev',
  prompt: `p ${id}`,
  params: {},
  status: 'running',
  queuePosition: null,
  logs: [{ message: 'Step 1 of 4', time: '2026-01-01T00:00:01Z' }],
  error: null,
  notice: null,
  assets: [],
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:01Z',
  completedAt: null,
  ...over,
});

class FakeEventSource {
  static all: FakeEventSource[] = [];
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readyState = 0;
  closed = false;
  listeners: Record<string, ((e: MessageEvent) => void)[]> = {};
  constructor(public url: string) {
    FakeEventSource.all.push(this);
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

let urls: string[];
beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  urls = [];
  FakeEventSource.all = [];
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      urls.push(url);
      const body = url.startsWith('/api/generations?status') || url === '/api/generations?limit=20' ? { generations: [gen('g3', { status: 'queued', logs: [] }), gen('g1'), gen('g0', { status: 'succeeded', logs: [] })], nextCursor: null } : { generations: [] };
      return new Response(JSON.stringify(body), { status: 200 });
    }),
  );
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

// Another view that shows jobs (Create's panel) beside the history.
function OtherView() {
  const { jobs } = useJobs();
  return <p data-testid="other">{jobs.length} jobs</p>;
}

describe('HistoryView', () => {
  it('follows unfinished jobs on the person’s one event stream, never asking for each job', async () => {
    const { unmount } = render(
      <JobsProvider>
        <HistoryView />
        <OtherView />
      </JobsProvider>,
    );
    const running = await screen.findByText('Step 1 of 4');
    expect(running.closest('[data-testid="history-item"]')?.getAttribute('data-status')).toBe('running');
    expect(FakeEventSource.all).toHaveLength(1); // one stream for both views
    const es = FakeEventSource.all[0];
    expect(es.url).toBe('/api/events');
    act(() => es.onopen?.());

    es.emit(gen('g1', { logs: [{ message: 'Step 3 of 4', time: '2026-01-01T00:00:03Z' }], updatedAt: '2026-01-01T00:00:03Z' }));
    await screen.findByText('Step 3 of 4');
    es.emit(gen('g1', { status: 'succeeded', logs: [], assets: [], updatedAt: '2026-01-01T00:00:05Z', completedAt: '2026-01-01T00:00:05Z' }));
    await act(async () => {});
    expect(screen.getAllByTestId('history-item').map((li) => li.getAttribute('data-status'))).toEqual(['queued', 'succeeded', 'succeeded']);
    // An older state arriving late never rolls the job back.
    es.emit(gen('g1', { logs: [{ message: 'Step 2 of 4', time: '2026-01-01T00:00:02Z' }], updatedAt: '2026-01-01T00:00:02Z' }));
    expect(screen.queryByText('Step 2 of 4')).toBeNull();

    // Time passes with a job still queued: nothing polls a job of its own (the old loop asked
    // for every active job every 1.5 s).
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(urls.filter((u) => /^\/api\/generations\/[^/?]+$/.test(u))).toEqual([]);
    expect(urls.filter((u) => u.startsWith('/api/generations?status') || u === '/api/generations?limit=20')).toHaveLength(1);

    unmount();
    expect(es.closed).toBe(true); // the last view that showed jobs closed the stream
  });
});
