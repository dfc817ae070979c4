import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { UsageCard } from './UsageCard';
import type { Usage } from '../lib/api';

function reply(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const usage = (over: Partial<Usage> = {}): Usage => ({
  from: '2026-03-01',
  to: '2026-03-03',
  groupBy: 'day',
  totalUsd: 0.35,
  count: 3,
  unpricedCount: 1,
  buckets: [
    { key: '2026-03-01', usd: 0.1, count: 2 },
    { key: '2026-03-02', usd: 0, count: 0 },
    { key: '2026-03-03', usd: 0.25, count: 1 },
  ],
  monthlyBudgetUsd: 5,
  adminBudgetUsd: 10,
  selfBudgetUsd: 5,
  spentThisMonthUsd: 0.35,
  reservedUsd: 0.4,
  ...over,
});

let fetchMock: ReturnType<typeof vi.fn>;
let current: Usage;
beforeEach(() => {
  current = usage();
  fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    if (url.startsWith('/api/me/usage')) return reply(200, current);
    if (url === '/api/me/budget' && init.method === 'PUT') {
      const v = JSON.parse(init.body as string).monthlyBudgetUsd;
      if (v > 10) return reply(400, { error: { code: 'invalid_input', message: 'Your own budget can only be lower than the $10.00 an admin set for you.' } });
      current = usage({ selfBudgetUsd: v, monthlyBudgetUsd: v ?? 10 });
      return reply(200, { budget: current });
    }
    return reply(404, { error: { code: 'not_found', message: url } });
  });
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => vi.unstubAllGlobals());

describe('UsageCard', () => {
  it('shows spend against the budget and an accessible chart with a table', async () => {
    render(<UsageCard />);
    const summary = await screen.findByTestId('spend-summary');
    expect(summary.textContent).toContain('$0.35 spent this month of your $5.00 budget');
    expect(summary.textContent).toContain('$0.40 held by running jobs');
    const meter = screen.getByRole('meter', { name: 'Share of your monthly budget used' });
    expect(meter.getAttribute('aria-valuetext')).toBe('$0.75 of $5.00');
    const chart = screen.getByRole('img', { name: /Your spend per day, 2026-03-01 to 2026-03-03/ });
    expect(chart.querySelector('desc')?.textContent).toContain('The highest day is 2026-03-03 with $0.25.');
    const table = screen.getByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(3); // header + the two days with spend
    expect(screen.getByText(/1 generation has no price/)).toBeTruthy();
  });

  it('sets, refuses and removes the own budget', async () => {
    render(<UsageCard />);
    const input = (await screen.findByLabelText('Monthly budget (USD)')) as HTMLInputElement;
    expect(input.value).toBe('5');
    fireEvent.change(input, { target: { value: '20' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save budget' }));
    expect((await screen.findByRole('alert')).textContent).toContain('only be lower');
    fireEvent.change(input, { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save budget' }));
    await screen.findByText('Your own budget is $2.00 a month.');
    await waitFor(() => expect(screen.getByTestId('spend-summary').textContent).toContain('of your $2.00 budget'));
    fireEvent.click(screen.getByRole('button', { name: 'Remove my budget' }));
    await screen.findByText('Your own budget is removed.');
    const puts = fetchMock.mock.calls.filter(([u, i]) => u === '/api/me/budget' && (i as RequestInit).method === 'PUT');
    expect(puts.map(([, i]) => JSON.parse((i as RequestInit).body as string).monthlyBudgetUsd)).toEqual([20, 2, null]);
  });
});
