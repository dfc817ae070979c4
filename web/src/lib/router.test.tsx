import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { initialRoute, matchRoute, normalise } from './router';
import { App } from '../App';

const routes = [
  { id: 'create', path: '/' },
  { id: 'gallery', path: '/gallery' },
  { id: 'account', path: '/account' },
];

function at(url: string) {
  window.history.replaceState(null, '', url);
}

describe('matching', () => {
  it('normalises trailing slashes and case', () => {
    expect(normalise('/Gallery/')).toBe('/gallery');
    expect(normalise('')).toBe('/');
    expect(normalise('///')).toBe('/');
  });

  it('finds a route by its path or a deeper path, and nothing for an unknown one', () => {
    expect(matchRoute(routes, '/')?.id).toBe('create');
    expect(matchRoute(routes, '/gallery')?.id).toBe('gallery');
    expect(matchRoute(routes, '/gallery/abc')?.id).toBe('gallery');
    expect(matchRoute(routes, '/account/')?.id).toBe('account');
    expect(matchRoute(routes, '/galleryx')).toBeNull();
    expect(matchRoute(routes, '/nope')).toBeNull();
  });

  it('rewrites old #hash links to paths and unknown paths to the first tab, without a history entry', () => {
    const before = window.history.length;
    at('/#gallery');
    expect(initialRoute(routes).id).toBe('gallery');
    expect(window.location.pathname).toBe('/gallery');
    expect(window.location.hash).toBe('');
    at('/no/such/page?x=1');
    expect(initialRoute(routes).id).toBe('create');
    expect(window.location.pathname + window.location.search).toBe('/?x=1');
    at('/account');
    expect(initialRoute(routes).id).toBe('account');
    at('/#not-a-tab');
    expect(initialRoute(routes).id).toBe('create');
    // A screen outside the tabs keeps its address.
    at('/reset');
    initialRoute(routes, ['/reset']);
    expect(window.location.pathname).toBe('/reset');
    expect(window.history.length).toBe(before);
  });
});

// The whole app with a signed-in user and empty answers: the tabs follow the address bar.
describe('App routes', () => {
  let requested: string[];
  beforeEach(() => {
    requested = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        requested.push(url);
        const body: Record<string, unknown> = {
          '/api/me': { user: { id: 1, email: 'a@b.c', hasFalKey: true, role: 'member' } },
          '/api/models': { models: [] },
          '/api/models/search': { models: [] },
        };
        const path = url.split('?')[0];
        const answer = path === '/api/assets' ? { assets: [], nextCursor: null } : path === '/api/generations' ? { generations: [] } : body[path] ?? {};
        return new Response(JSON.stringify(answer), { status: 200, headers: { 'Content-Type': 'application/json' } });
      }),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    at('/');
  });

  const selected = () => screen.getAllByRole('tab').find((t) => t.getAttribute('aria-selected') === 'true')?.textContent;

  it('opens the tab the path names, and back and forward move between tabs', async () => {
    at('/gallery');
    render(<App />);
    await waitFor(() => expect(selected()).toContain('Gallery'));
    expect(await screen.findByText(/Your gallery is empty/)).toBeTruthy();
    expect(document.title).toBe('Gallery · fal-studio');
    expect(screen.getAllByRole('heading', { level: 1 }).map((h) => h.textContent)).toEqual(['Gallery']);
    expect(screen.getByRole('main')).toBeTruthy();

    fireEvent.click(screen.getByRole('tab', { name: /Account/ }));
    expect(window.location.pathname).toBe('/account');
    await waitFor(() => expect(selected()).toContain('Account'));
    fireEvent.click(screen.getByRole('tab', { name: /Create/ }));
    expect(window.location.pathname).toBe('/');

    await act(async () => {
      window.history.back();
      await new Promise((r) => window.addEventListener('popstate', r, { once: true }));
    });
    expect(window.location.pathname).toBe('/account');
    await waitFor(() => expect(selected()).toContain('Account'));
    await act(async () => {
      window.history.back();
      await new Promise((r) => window.addEventListener('popstate', r, { once: true }));
    });
    expect(window.location.pathname).toBe('/gallery');
    await waitFor(() => expect(selected()).toContain('Gallery'));
    await act(async () => {
      window.history.forward();
      await new Promise((r) => window.addEventListener('popstate', r, { once: true }));
    });
    await waitFor(() => expect(selected()).toContain('Account'));
  });

  it('a hidden tab fetches nothing: the first screen asks only for what it shows', async () => {
    at('/account');
    render(<App />);
    await waitFor(() => expect(selected()).toContain('Account'));
    await screen.findByRole('button', { name: 'Log out' });
    expect(requested.some((u) => u.startsWith('/api/assets'))).toBe(false);
    expect(requested.some((u) => u.startsWith('/api/models'))).toBe(false);
  });

  it('an unknown path shows Create under /', async () => {
    at('/no-such-tab');
    render(<App />);
    await waitFor(() => expect(selected()).toContain('Create'));
    expect(window.location.pathname).toBe('/');
  });

  it('arrow keys move between tabs and change the address', async () => {
    at('/');
    render(<App />);
    await waitFor(() => expect(selected()).toContain('Create'));
    fireEvent.keyDown(screen.getByRole('tab', { name: /Create/ }), { key: 'ArrowRight' });
    expect(window.location.pathname).toBe('/gallery');
    fireEvent.keyDown(screen.getByRole('tab', { name: /Gallery/ }), { key: 'ArrowLeft' });
    fireEvent.keyDown(screen.getByRole('tab', { name: /Create/ }), { key: 'ArrowLeft' });
    expect(window.location.pathname).toBe('/account');
    await screen.findByRole('button', { name: 'Log out' });
  });
});
