import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { StitchDialog } from './StitchDialog';
import type { Asset } from '../lib/api';

const clip = (id: string): Asset => ({
  id,
  generationId: 'g',
  model: 'fal-ai/veo3',
  prompt: `clip ${id}`,
  kind: 'video',
  url: `/media/${id}`,
  contentType: 'video/mp4',
  bytes: 2048,
  width: 320,
  height: 180,
  storage: 'local',
  params: {},
  createdAt: '2026-01-02T03:04:05Z',
});

let sent: unknown[] = [];
beforeEach(() => {
  sent = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_url: string, init: RequestInit = {}) => {
      sent.push(JSON.parse(String(init.body)));
      return new Response(JSON.stringify({ generation: { id: 'g1', status: 'queued' } }), { status: 202, headers: { 'Content-Type': 'application/json' } });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

it('orders the clips, sets the crossfade and starts one stitch', async () => {
  const started = vi.fn();
  render(<StitchDialog clips={[clip('a'), clip('b'), clip('c')]} onClose={() => {}} onStarted={started} />);
  fireEvent.click(screen.getByRole('button', { name: 'Move clip 3 earlier' }));
  fireEvent.click(screen.getByRole('button', { name: 'Move clip 1 later' }));
  fireEvent.change(screen.getByTestId('crossfade'), { target: { value: '1.5' } });
  fireEvent.click(screen.getByTestId('stitch-start'));
  await waitFor(() => expect(started).toHaveBeenCalled());
  expect(sent).toEqual([{ assetIds: ['c', 'a', 'b'], crossfadeSeconds: 1.5 }]);
});
