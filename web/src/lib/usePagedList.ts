import { useCallback, useEffect, useRef, useState, type Dispatch, type RefObject, type SetStateAction } from 'react';
import { messageOf } from './useAction';

/** One page of a cursor-paged list (SPEC: nextCursor null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PagedList<T> {
  items: T[];
  /** For local changes (a favourite, a delete, a new entry) between loads. */
  setItems: Dispatch<SetStateAction<T[]>>;
  /** The next page's cursor; null when the last page is shown. */
  cursor: string | null;
  loading: boolean;
  error: string | null;
  setError: Dispatch<SetStateAction<string | null>>;
  /** Loads the first page again; the list is replaced when it arrives. */
  reload: () => void;
  /** Appends the next page; nothing while a page is on its way or on the last page. */
  more: () => void;
  /** Put on an element after the list: the next page loads as it scrolls into view. */
  sentinel: RefObject<HTMLDivElement | null>;
}

/**
 * A cursor-paged list: the first page loads at once and again whenever fetchPage changes (make it
 * with useCallback over the filters), more() appends the next one, and the sentinel loads it by
 * scrolling. An answer for an older query (the filters changed, or reload was pressed, while it
 * was on its way) is dropped, so a slow page never mixes into the list of a newer query.
 * fallback is the sentence shown when the failure carries none.
 */
export function usePagedList<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>, fallback: string): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement | null>(null);
  const query = useRef(0); // bumped by every first-page load; older answers are dropped
  const busy = useRef(false); // a page of the current query is on its way
  const state = useRef({ fetchPage, fallback, cursor });
  state.current = { fetchPage, fallback, cursor };

  const load = useCallback(async (reset: boolean) => {
    if (!reset && (busy.current || state.current.cursor === null)) return;
    const my = reset ? ++query.current : query.current;
    const from = reset ? null : state.current.cursor;
    busy.current = true;
    setLoading(true);
    setError(null);
    try {
      const page = await state.current.fetchPage(from);
      if (my !== query.current) return;
      setItems((cur) => (reset ? page.items : [...cur, ...page.items]));
      setCursor(page.nextCursor);
      state.current.cursor = page.nextCursor; // a more() before the next render reads the new cursor
    } catch (err) {
      if (my === query.current) setError(messageOf(err, state.current.fallback));
    } finally {
      if (my === query.current) {
        busy.current = false;
        setLoading(false);
      }
    }
  }, []);
  const reload = useCallback(() => void load(true), [load]);
  const more = useCallback(() => void load(false), [load]);

  useEffect(() => {
    void load(true);
  }, [fetchPage, load]);

  // Infinite scroll: observe the sentinel while there is a next page and none is on its way.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor || loading || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) more();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, loading, more]);

  return { items, setItems, cursor, loading, error, setError, reload, more, sentinel };
}
