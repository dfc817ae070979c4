import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { BudgetCell } from './BudgetCell';
import { AdminSpend } from './AdminSpend';
import type { AdminUser } from '../lib/api';

function reply(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const person = (over: Partial<AdminUser> = {}): AdminUser =>
  ({
    id: 7,
    email: 'm@example.com',
    role: 'member',
    disabled: false,
    hasFalKey: true,
    createdAt: '2026-03-01T00:00:00Z',
    lastSeenAt: null,
    generations: 3,
    assets: 3,
    bytes: 100,
    spentThisMonthUsd: 0.1,
    monthlyBudgetUsd: 0.1,
    ...over,
  }) as AdminUser;

let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    if (url === '/api/admin/users/7' && init.method === 'PATCH') {
      const v = JSON.parse(init.body as string).monthlyBudgetUsd;
      return reply(200, { user: person({ monthlyBudgetUsd: v }) });
    }
    if (url.startsWith('/api/admin/usage')) {
      return reply(200, {
        from: '2026-03-01', to: '2026-03-31', groupBy: 'user', totalUsd: 3.3, count: 4, unpricedCount: 0, reservedUsd: 0,
        spentThisMonthUsd: 3.3, monthlyBudgetUsd: null, adminBudgetUsd: null, selfBudgetUsd: null,
        buckets: [{ key: 'a@example.com', userId: 2, usd: 3.2, count: 1 }, { key: 'b@example.com', userId: 3, usd: 0.1, count: 3 }],
      });
    }
    return reply(404, { error: { code: 'not_found', message: url } });
  });
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => vi.unstubAllGlobals());

describe('BudgetCell', () => {
  it('shows spend against the budget and sets or removes it', async () => {
    const saved = vi.fn();
    render(<BudgetCell u={person()} disabled={false} onSaved={saved} />);
    expect(screen.getByTestId('budget-cell').textContent).toContain('$0.10 of $0.10 · budget reached');
    fireEvent.click(screen.getByRole('button', { name: 'Budget of m@example.com' }));
    const input = screen.getByLabelText(/Monthly budget of m@example.com/) as HTMLInputElement;
    expect(input.value).toBe('0.1');
    fireEvent.change(input, { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(saved).toHaveBeenCalledWith(expect.objectContaining({ monthlyBudgetUsd: 5 })));
    fireEvent.click(screen.getByRole('button', { name: 'Budget of m@example.com' }));
    fireEvent.change(screen.getByLabelText(/Monthly budget of m@example.com/), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(saved).toHaveBeenCalledTimes(2));
    const bodies = fetchMock.mock.calls.map(([, i]) => JSON.parse((i as RequestInit).body as string));
    expect(bodies).toEqual([{ monthlyBudgetUsd: 5 }, { monthlyBudgetUsd: null }]);
  });
});

describe('AdminSpend', () => {
  it('lists spend per person', async () => {
    render(<AdminSpend />);
    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1].textContent).toContain('a@example.com');
    expect(rows[1].textContent).toContain('$3.20');
    expect(screen.getByTestId('admin-spend-total').textContent).toContain('$3.30 across 4 generations');
  });
});
