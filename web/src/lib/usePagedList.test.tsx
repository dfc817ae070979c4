import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render, renderHook, waitFor } from '@testing-library/react';
import { useCallback } from 'react';
import { ApiError } from './api';
import { usePagedList, type Page } from './usePagedList';

/** A request the test answers when it likes. */
interface Pending {
  query: string;
  cursor: string | null;
  resolve: (p: Page<string>) => void;
  reject: (err: unknown) => void;
}
let pending: Pending[];
const fetcher = (query: string) => (cursor: string | null) =>
  new Promise<Page<string>>((resolve, reject) => pending.push({ query, cursor, resolve, reject }));

// The hook as a view uses it: fetchPage made with useCallback over the query.
function useList(query: string) {
  const page = useCallback((cursor: string | null) => fetcher(query)(cursor), [query]);
  return usePagedList(page, 'The list could not be loaded.');
}

let observers: { cb: IntersectionObserverCallback; el: Element }[];
class FakeIO {
  constructor(public cb: IntersectionObserverCallback) {}
  observe(el: Element) {
    observers.push({ cb: this.cb, el });
  }
  disconnect() {
    observers = observers.filter((o) => o.cb !== this.cb);
  }
}

beforeEach(() => {
  pending = [];
  observers = [];
  vi.stubGlobal('IntersectionObserver', FakeIO);
});
afterEach(() => vi.unstubAllGlobals());

describe('usePagedList', () => {
  it('loads the first page, appends the next ones, and stops on the last', async () => {
    const { result } = renderHook(() => useList('q'));
    expect(result.current.loading).toBe(true);
    expect(pending.map((p) => p.cursor)).toEqual([null]);
    await act(async () => pending[0].resolve({ items: ['a', 'b'], nextCursor: 'c1' }));
    expect(result.current.items).toEqual(['a', 'b']);
    expect(result.current.cursor).toBe('c1');
    expect(result.current.loading).toBe(false);

    act(() => result.current.more());
    act(() => result.current.more()); // a page is on its way: no second request
    expect(pending.map((p) => p.cursor)).toEqual([null, 'c1']);
    await act(async () => pending[1].resolve({ items: ['c'], nextCursor: null }));
    expect(result.current.items).toEqual(['a', 'b', 'c']);
    expect(result.current.cursor).toBeNull();

    act(() => result.current.more()); // the last page is shown
    expect(pending).toHaveLength(2);
  });

  it('drops an answer for an older query, however late it arrives', async () => {
    const { result, rerender } = renderHook(({ q }) => useList(q), { initialProps: { q: 'cat' } });
    rerender({ q: 'dog' }); // the filter changed while the first page was on its way
    expect(pending.map((p) => p.query)).toEqual(['cat', 'dog']);
    await act(async () => pending[1].resolve({ items: ['dog 1'], nextCursor: 'd' }));
    await act(async () => pending[0].resolve({ items: ['cat 1'], nextCursor: 'c' }));
    expect(result.current.items).toEqual(['dog 1']);
    expect(result.current.cursor).toBe('d');
    expect(result.current.loading).toBe(false);

    // A next page of the old query that answers after a reload is dropped too.
    act(() => result.current.more());
    act(() => result.current.reload());
    expect(pending.map((p) => p.cursor)).toEqual([null, null, 'd', null]);
    await act(async () => pending[3].resolve({ items: ['dog 2'], nextCursor: null }));
    await act(async () => pending[2].resolve({ items: ['stale'], nextCursor: 'x' }));
    expect(result.current.items).toEqual(['dog 2']);
    expect(result.current.cursor).toBeNull();
  });

  it('shows the studio’s message, or the fallback, and keeps what was loaded', async () => {
    const { result } = renderHook(() => useList('q'));
    await act(async () => pending[0].resolve({ items: ['a'], nextCursor: 'n' }));
    act(() => result.current.more());
    await act(async () => pending[1].reject(new ApiError(503, 'unavailable', 'The studio is busy.')));
    expect(result.current.error).toBe('The studio is busy.');
    expect(result.current.items).toEqual(['a']);
    expect(result.current.loading).toBe(false);
    act(() => result.current.more()); // tried again from the same cursor
    expect(pending[2].cursor).toBe('n');
    expect(result.current.error).toBeNull();
    await act(async () => pending[2].reject(new TypeError('network')));
    expect(result.current.error).toBe('The list could not be loaded.');
  });

  it('loads the next page when the sentinel scrolls into view, not while one is loading', async () => {
    function List() {
      const { items, sentinel } = useList('q');
      return (
        <>
          <ul>
            {items.map((i) => (
              <li key={i}>{i}</li>
            ))}
          </ul>
          <div ref={sentinel} data-testid="sentinel" />
        </>
      );
    }
    const { getAllByRole } = render(<List />);
    expect(observers).toHaveLength(0); // nothing to load yet: the first page is on its way
    await act(async () => pending[0].resolve({ items: ['a'], nextCursor: 'n' }));
    expect(observers).toHaveLength(1);
    const seen = (o: (typeof observers)[number]) => o.cb([{ isIntersecting: true, target: o.el } as IntersectionObserverEntry], {} as IntersectionObserver);
    act(() => seen(observers[0]));
    expect(pending.map((p) => p.cursor)).toEqual([null, 'n']);
    expect(observers).toHaveLength(0); // disconnected while the page loads
    await act(async () => pending[1].resolve({ items: ['b'], nextCursor: null }));
    await waitFor(() => expect(getAllByRole('listitem').map((li) => li.textContent)).toEqual(['a', 'b']));
    expect(observers).toHaveLength(0); // the last page: nothing to observe
  });
});
