import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { JobsPanel, groupJobs } from './JobsPanel';
import type { Generation } from '../lib/api';

const g = (id: string, over: Partial<Generation> = {}): Generation => ({
  id,
  model: 'fal-ai/flux/schnell',
  prompt: id,
  params: {},
  status: 'running',
  queuePosition: null,
  logs: [],
  error: null,
  notice: null,
  assets: [],
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  completedAt: null,
  group: null,
  ...over,
});

describe('JobsPanel', () => {
  it('groups the variations of one submit, oldest variation first', () => {
    const t = (s: number) => new Date(1_000_000 + s * 1000).toISOString();
    const jobs = [g('c', { group: 'x', createdAt: t(3) }), g('solo', { createdAt: t(2.5) }), g('b', { group: 'x', createdAt: t(2) }), g('a', { group: 'x', createdAt: t(1) })];
    expect(groupJobs(jobs).map((l) => l.map((j) => j.id))).toEqual([['a', 'b', 'c'], ['solo']]);
  });

  it('shows status, queue position, failure, and cancels only what can be canceled', () => {
    const cancel = vi.fn();
    const select = vi.fn();
    render(
      <JobsPanel
        jobs={[
          g('q', { status: 'queued', queuePosition: 3 }),
          g('f', { status: 'failed', error: { code: 'content_blocked', message: 'Blocked.' } }),
          g('s', { status: 'saving' }),
        ]}
        selectedId="f"
        onSelect={select}
        onCancel={cancel}
        live
      />,
    );
    expect(screen.getByText('#3 in queue')).toBeTruthy();
    expect(screen.getByText('Blocked.')).toBeTruthy();
    expect(screen.getByText('2 running')).toBeTruthy();
    const cancels = screen.getAllByRole('button', { name: /^Cancel/ });
    expect(cancels).toHaveLength(1); // saving cannot be canceled, failed is over
    fireEvent.click(cancels[0]);
    expect(cancel).toHaveBeenCalledWith('q');
    expect(screen.getByRole('button', { name: /^Show\s*Failed\s*f$/ }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: /^Show\s*Saving to your library\s*s$/ }));
    expect(select).toHaveBeenCalledWith('s');
  });

  it('says "Waiting for fal…" instead of a stale queue position while fal calls back (webhooks)', () => {
    render(<JobsPanel jobs={[g('q', { status: 'queued', queuePosition: 3 })]} selectedId={null} onSelect={() => {}} onCancel={() => {}} live waitingForFal />);
    expect(screen.getByText('Waiting for fal…')).toBeTruthy();
    expect(screen.queryByText('#3 in queue')).toBeNull();
  });

  it('renders nothing without jobs', () => {
    const { container } = render(<JobsPanel jobs={[]} selectedId={null} onSelect={() => {}} onCancel={() => {}} live />);
    expect(container.innerHTML).toBe('');
  });
});
