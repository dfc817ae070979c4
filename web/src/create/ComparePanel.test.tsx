import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configure, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ComparePanel } from './ComparePanel';
import type { Asset, CastMember, Model } from '../lib/api';

configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 20_000 });

const schnell: Model = {
  id: 'fal-ai/flux/schnell',
  name: 'FLUX.1 [schnell]',
  task: 'text-to-image',
  output: 'image',
  description: 'fast',
  promptRequired: true,
  reference: null,
  params: [],
};
const dev: Model = { ...schnell, id: 'fal-ai/flux/dev', name: 'FLUX.1 [dev]' };
const kontext: Model = { ...schnell, id: 'fal-ai/flux-pro/kontext', name: 'Kontext', task: 'image-edit', reference: { field: 'image_url', min: 1, max: 1, multiple: false } };
const multi: Model = { ...kontext, id: 'fal-ai/multi/edit', name: 'Multi', reference: { field: 'image_urls', min: 0, max: 3, multiple: true } };

const asset = (id: string, prompt: string): Asset => ({
  id,
  generationId: 'g-' + id,
  model: schnell.id,
  prompt,
  kind: 'image',
  url: `/media/${id}`,
  contentType: 'image/png',
  bytes: 10,
  width: 1,
  height: 1,
  storage: 'local',
  params: {},
  createdAt: new Date().toISOString(),
});
const mia: CastMember = {
  id: 'c1',
  name: 'Mia',
  kind: 'person',
  description: 'red hair',
  shared: false,
  owner: { id: 1, email: 'a@b.co' },
  images: [{ id: 'ci1', url: '/api/cast/c1/images/ci1' }],
  createdAt: '',
  updatedAt: '',
};

function reply(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    const path = `${init.method ?? 'GET'} ${url.split('?')[0]}`;
    switch (path) {
      case 'GET /api/generations':
        return reply(200, { generations: [], nextCursor: null });
      case 'GET /api/cast':
        return reply(200, { cast: [mia] });
      case 'GET /api/assets':
        return reply(200, { assets: [asset('a1', 'a red fox'), asset('a2', 'a blue bird')], nextCursor: null });
      case 'POST /api/generations/estimate':
        return reply(200, { estimate: { usd: 0.01 }, budget: { monthlyUsd: null }, withinBudget: null });
      case 'POST /api/compare':
      case 'GET /api/compare/grp1':
        return reply(202, { group: 'grp1', prompt: 'a fox', generations: [] });
    }
    return reply(404, { error: { code: 'not_found', message: `no route ${path}` } });
  });
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => vi.unstubAllGlobals());

const compareButton = () => screen.getByRole('button', { name: /^Compare/ }) as HTMLButtonElement;
const pick = (label: string, id: string) => fireEvent.change(screen.getByLabelText(label), { target: { value: id } });

describe('ComparePanel references and cast', () => {
  it('sends references, cast and useDescription, and blocks columns whose model takes no references', async () => {
    render(<ComparePanel models={[schnell, dev, kontext, multi]} hasFalKey />);
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a fox' } });
    await waitFor(() => expect(compareButton().disabled).toBe(false));

    // Choose one reference from the recent images, with the keyboard-reachable toggle buttons.
    fireEvent.click(screen.getByRole('button', { name: 'Choose reference images…' }));
    const fox = await screen.findByRole('button', { name: 'Image 1: a red fox' });
    fireEvent.click(fox);
    expect(fox.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getAllByTestId('compare-reference')).toHaveLength(1);

    // Both text-to-image columns would be refused with no_reference_field: say so, disable.
    expect(screen.getByTestId('compare-ref-blocker').textContent).toContain('Columns 1, 2');
    expect(screen.getByTestId('compare-ref-note-0').textContent).toContain('takes no reference images');
    expect(compareButton().disabled).toBe(true);

    pick('Column 1', multi.id);
    pick('Column 2', kontext.id);
    expect(screen.queryByTestId('compare-ref-blocker')).toBeNull();
    expect(screen.getByTestId('compare-ref-note-0').textContent).toContain('takes references (up to 3)');
    expect(screen.getByTestId('compare-ref-note-1').textContent).toContain('takes references (up to 1)');

    // The cast chips are on, since the columns take references.
    const chip = await screen.findByRole('button', { name: '@Mia' });
    expect((chip as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(chip);
    fireEvent.click(screen.getByLabelText('Use description'));

    await waitFor(() => expect(compareButton().disabled).toBe(false));
    fireEvent.click(compareButton());
    await waitFor(() => expect(fetchMock.mock.calls.some(([u, i]) => u === '/api/compare' && (i as RequestInit).method === 'POST')).toBe(true));
    const call = fetchMock.mock.calls.find(([u, i]) => u === '/api/compare' && (i as RequestInit).method === 'POST');
    const body = JSON.parse((call?.[1] as RequestInit).body as string);
    expect(body).toMatchObject({
      prompt: 'a fox',
      runs: [{ model: multi.id }, { model: kontext.id }],
      referenceAssetIds: ['a1'],
      cast: ['c1'],
      useDescription: true,
    });
  });

  it('sends no reference fields without references, and asks for one where a model needs it', async () => {
    render(<ComparePanel models={[schnell, dev, kontext]} hasFalKey />);
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a fox' } });
    pick('Column 2', kontext.id);
    expect(await screen.findByText(/Column 2 \(Kontext\) needs a reference image/)).toBeTruthy();
    expect(compareButton().disabled).toBe(true);
    // The chips are offered (one column takes references) but none is required.
    expect(((await screen.findByRole('button', { name: '@Mia' })) as HTMLButtonElement).disabled).toBe(false);

    pick('Column 2', dev.id);
    await waitFor(() => expect(compareButton().disabled).toBe(false));
    fireEvent.click(compareButton());
    await waitFor(() => expect(fetchMock.mock.calls.some(([u]) => u === '/api/compare')).toBe(true));
    const call = fetchMock.mock.calls.find(([u]) => u === '/api/compare');
    const body = JSON.parse((call?.[1] as RequestInit).body as string);
    expect(body.referenceAssetIds).toBeUndefined();
    expect(body.cast).toBeUndefined();
    expect(body.runs.map((r: { model: string }) => r.model)).toEqual([schnell.id, dev.id]);
  });
});
