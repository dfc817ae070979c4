import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AgentsCard, mcpConfig } from './AgentsCard';
import type { Token } from '../lib/api';

function reply(status: number, body?: unknown) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const token = (over: Partial<Token> = {}): Token => ({
  id: 'tok_1',
  name: 'ci-bot',
  scopes: ['generate'],
  monthlyCapUsd: 5,
  spentThisMonthUsd: 0.075,
  models: ['fal-ai/flux/schnell'],
  createdAt: '2026-12-01T00:00:00Z',
  expiresAt: null,
  lastUsedAt: null,
  prefix: 'fst_3kT9qZ1x',
  ...over,
});

const SECRET = 'fst_3kT9qZ1xAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_';
let tokens: Token[];
let sent: unknown[];
beforeEach(() => {
  tokens = [token()];
  sent = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      if (url === '/api/tokens' && (init.method ?? 'GET') === 'GET') return reply(200, { tokens });
      if (url === '/api/tokens' && init.method === 'POST') {
        const body = JSON.parse(init.body as string);
        sent.push(body);
        if (body.monthlyCapUsd > 10) return reply(400, { error: { code: 'invalid_input', message: "A token's monthly cap cannot exceed your monthly budget of $10." } });
        const t = token({ id: 'tok_2', name: body.name, scopes: body.scopes, models: body.models, monthlyCapUsd: body.monthlyCapUsd, spentThisMonthUsd: 0 });
        tokens = [t, ...tokens];
        return reply(201, { token: t, secret: SECRET });
      }
      if (url.startsWith('/api/tokens/') && init.method === 'DELETE') {
        tokens = tokens.filter((t) => url !== `/api/tokens/${t.id}`);
        return reply(204);
      }
      return reply(404, { error: { code: 'not_found', message: url } });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

describe('AgentsCard', () => {
  it('lists tokens with their spend, cap, models and last use', async () => {
    render(<AgentsCard />);
    const item = await screen.findByTestId('token-item');
    expect(within(item).getByText('ci-bot')).toBeTruthy();
    expect(item.textContent).toContain('fst_3kT9qZ1x');
    expect(item.textContent).toContain('$0.075 this month of $5.00 cap');
    expect(item.textContent).toContain('models: fal-ai/flux/schnell');
    expect(item.textContent).toContain('never used');
  });

  it('creates a token and shows its secret once, with an MCP configuration', async () => {
    render(<AgentsCard />);
    await screen.findByTestId('token-item');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: ' Claude Code ' } });
    fireEvent.click(screen.getByLabelText(/Share links/));
    fireEvent.change(screen.getByLabelText(/Monthly cap/), { target: { value: '2' } });
    fireEvent.change(screen.getByLabelText(/Models/), { target: { value: 'fal-ai/flux/schnell, fal-ai/veo3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    const secret = (await screen.findByLabelText('Secret')) as HTMLInputElement;
    expect(secret.value).toBe(SECRET);
    expect(sent[0]).toEqual({ name: 'Claude Code', scopes: ['generate', 'library:read', 'share'], monthlyCapUsd: 2, expiresAt: null, models: ['fal-ai/flux/schnell', 'fal-ai/veo3'] });
    const config = screen.getByLabelText(/MCP configuration/) as HTMLTextAreaElement;
    expect(JSON.parse(config.value).mcpServers['fal-studio'].headers.Authorization).toBe(`Bearer ${SECRET}`);
    await waitFor(() => expect(screen.getAllByTestId('token-item')).toHaveLength(2));
    fireEvent.click(screen.getByRole('button', { name: 'I have saved it' }));
    expect(screen.queryByLabelText('Secret')).toBeNull();
  });

  it('reports a refused cap and revokes a token', async () => {
    vi.stubGlobal('confirm', () => true);
    render(<AgentsCard />);
    await screen.findByTestId('token-item');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'big' } });
    fireEvent.change(screen.getByLabelText(/Monthly cap/), { target: { value: '50' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect(await screen.findByText(/cannot exceed your monthly budget/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Revoke ci-bot' }));
    expect(await screen.findByTestId('no-tokens')).toBeTruthy();
  });

  it('builds the MCP configuration for the studio origin', () => {
    expect(JSON.parse(mcpConfig('https://studio.example.com', SECRET)).mcpServers['fal-studio'].url).toBe('https://studio.example.com/mcp');
  });
});
