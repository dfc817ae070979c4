import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, configure, fireEvent, render as rtlRender, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactElement } from 'react';
import { JobsProvider } from '../lib/jobs';
import { useEstimate, ESTIMATE_DEBOUNCE_MS } from './useEstimate';
import { CreateTab } from './CreateTab';
import type { EstimateResult, Model } from '../lib/api';
import { formatUsd } from '../lib/money';

// Create and History read the person's jobs from the provider the app puts around the tabs.
const render = (ui: ReactElement) => rtlRender(ui, { wrapper: JobsProvider });

// The machine running the tests may be busy: allow slower renders than the default second.
configure({ asyncUtilTimeout: 5000 });

function reply(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const budget = { monthlyBudgetUsd: null, adminBudgetUsd: null, selfBudgetUsd: null, spentThisMonthUsd: 0, reservedUsd: 0 };
const priced = (usd: number, unit = 'megapixels', quantity = 1): EstimateResult => ({
  estimate: { usd, unitPrice: usd / quantity, unit, quantity, basis: 'unit_price' },
  budget,
  withinBudget: null,
});

let fetchMock: ReturnType<typeof vi.fn>;
let estimateReply: (body: { model: string; prompt: string; params: Record<string, unknown> }) => Response;
const estimateCalls = () => fetchMock.mock.calls.filter(([u]) => u === '/api/generations/estimate');

beforeEach(() => {
  estimateReply = () => reply(200, priced(0.012));
  fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    if (url === '/api/generations/estimate') return estimateReply(JSON.parse(init.body as string));
    if (url === '/api/models') return reply(200, { models: [schnell] });
    if (url === '/api/generations?active=1') return reply(200, { generations: [] });
    if (url === '/api/generations') {
      return reply(409, {
        error: { code: 'budget_exceeded', message: 'This would exceed your monthly budget of $0.10: you have spent $0.10 this month and this costs about $0.012.' },
      });
    }
    return reply(404, { error: { code: 'not_found', message: url } });
  });
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const schnell: Model = {
  id: 'fal-ai/flux/schnell',
  name: 'FLUX.1 [schnell]',
  task: 'text-to-image',
  output: 'image',
  description: 'fast',
  promptRequired: true,
  reference: null,
  params: [{ name: 'num_images', label: 'Images', type: 'integer', min: 1, max: 4, default: 1 }],
};

describe('formatUsd', () => {
  it('keeps small prices readable', () => {
    expect(formatUsd(0.012)).toBe('$0.012');
    expect(formatUsd(0.003)).toBe('$0.003');
    expect(formatUsd(0.1)).toBe('$0.10');
    expect(formatUsd(3.2)).toBe('$3.20');
    expect(formatUsd(0.05)).toBe('$0.05');
    expect(formatUsd(0.00333)).toBe('$0.0033');
    expect(formatUsd(0)).toBe('$0.00');
  });
});

describe('useEstimate', () => {
  it('asks once after the settings stop changing, and not at all while a prompt is typed', async () => {
    vi.useFakeTimers();
    const { result, rerender } = renderHook((p: { n: number; prompt: string }) =>
      useEstimate({ model: 'fal-ai/flux/schnell', prompt: p.prompt, values: { num_images: p.n }, enabled: true }),
      { initialProps: { n: 1, prompt: '' } },
    );
    for (let n = 1; n <= 4; n++) {
      rerender({ n, prompt: '' });
      await act(async () => {
        await vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS / 4);
      });
    }
    expect(estimateCalls()).toHaveLength(0);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS);
    });
    expect(estimateCalls()).toHaveLength(1);
    expect(JSON.parse(estimateCalls()[0][1].body).params).toEqual({ num_images: 4 });
    expect(result.current.label).toBe(' · ~$0.012');
    // Typing a prompt for a model priced per megapixel sends nothing more.
    for (const prompt of ['a', 'a c', 'a ca', 'a cat']) {
      rerender({ n: 4, prompt });
      await act(async () => {
        await vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS * 2);
      });
    }
    expect(estimateCalls()).toHaveLength(1);
    // Going back to settings already priced uses the answer kept.
    rerender({ n: 1, prompt: 'a cat' });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS * 2);
    });
    rerender({ n: 4, prompt: 'a cat' });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS * 2);
    });
    expect(estimateCalls()).toHaveLength(2);
  });

  it('says why there is no price instead of showing $0', async () => {
    estimateReply = () => reply(200, { estimate: null, reason: 'fal has no price for acme/app.', budget, withinBudget: null });
    const { result } = renderHook(() => useEstimate({ model: 'acme/app', prompt: '', values: {}, enabled: true }));
    await waitFor(() => expect(result.current.note).toContain('fal has no price for acme/app.'));
    expect(result.current.label).toBe('');
  });
});

describe('CreateTab with prices', () => {
  it('shows the price on the Generate button and a clear banner when the budget refuses', async () => {
    render(<CreateTab user={{ id: 1, email: 'a@b.co', hasFalKey: true, role: 'member' }} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    const button = await screen.findByRole('button', { name: 'Generate · ~$0.012' });
    expect(screen.getByTestId('estimate-note').textContent).toContain('1 megapixel × $0.012');
    fireEvent.click(button);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Monthly budget reached.');
    expect(alert.textContent).toContain('monthly budget of $0.10');
    // Changing the settings clears the refusal (the new price is checked again).
    fireEvent.change(screen.getByLabelText(/^Images/), { target: { value: '2' } });
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });
});
