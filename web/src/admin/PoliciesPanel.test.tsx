import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { PoliciesPanel, parseValue } from './PoliciesPanel';

afterEach(() => vi.unstubAllGlobals());

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('PoliciesPanel', () => {
  it('reads forced values as JSON, else as text', () => {
    expect(parseValue('true')).toBe(true);
    expect(parseValue(' 1 ')).toBe(1);
    expect(parseValue('"1"')).toBe('1');
    expect(parseValue('square_hd')).toBe('square_hd');
  });

  it('creates a policy with forced params, models and terms', async () => {
    const calls: { url: string; body: unknown }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        calls.push({ url, body: init?.body ? JSON.parse(String(init.body)) : null });
        if (url === '/api/models') return json({ models: [{ id: 'fal-ai/flux/dev', name: 'FLUX.1 [dev]', params: [] }] });
        if (url === '/api/admin/policies' && init?.method === 'POST') return json({ policy: { id: 'p1', name: 'Kids' } }, 201);
        return json({ policies: [] });
      }),
    );
    render(<PoliciesPanel />);
    fireEvent.click(await screen.findByRole('button', { name: 'New policy' }));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: ' Kids ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add parameter' }));
    fireEvent.change(screen.getByLabelText('Parameter name 2'), { target: { value: 'safety_tolerance' } });
    fireEvent.change(screen.getByLabelText('Value 2'), { target: { value: '"1"' } });
    fireEvent.click(screen.getByLabelText(/Only these models/));
    fireEvent.click(await screen.findByLabelText(/FLUX.1 \[dev\]/));
    fireEvent.change(screen.getByLabelText('Blocked terms, one per line'), { target: { value: 'dragon\n\n red fox ' } });
    fireEvent.click(screen.getByLabelText(/Hide outputs fal flags/));
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(calls.some((c) => c.url === '/api/admin/policies' && c.body)).toBe(true));
    const sent = calls.find((c) => c.url === '/api/admin/policies' && c.body)!.body;
    expect(sent).toEqual({
      name: 'Kids',
      forcedParams: { enable_safety_checker: true, safety_tolerance: '1' },
      allowedModels: ['fal-ai/flux/dev'],
      blockedTerms: ['dragon', 'red fox'],
      hideFlagged: true,
    });
  });
});
