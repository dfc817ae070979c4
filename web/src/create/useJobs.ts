import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, terminal, type Generation } from '../lib/api';

const RECENT = 12; // finished jobs kept in the panel
const POLL_MS = 3000; // while the event stream is unavailable
const REOPEN_MS = 10_000; // a refused stream (e.g. 429) is tried again after this

/** Newer wins: an answer that arrives late never rolls a job back. */
function newer(a: Generation | undefined, b: Generation) {
  return !a || Date.parse(b.updatedAt) >= Date.parse(a.updatedAt);
}

/**
 * Every active and recent generation of the person, kept current by one event stream
 * (GET /api/events, one connection for any number of jobs). It loads the active and recent jobs
 * first, so a reload shows them again; when the stream is refused it polls until it can reopen.
 */
export function useJobs() {
  const [byId, setById] = useState<Record<string, Generation>>({});
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [live, setLive] = useState(false);

  const upsert = useCallback((...gens: Generation[]) => {
    setById((cur) => {
      let next = cur;
      for (const g of gens) {
        if (!newer(next[g.id], g)) continue;
        if (next === cur) next = { ...cur };
        next[g.id] = g;
      }
      return next;
    });
  }, []);
  const upsertRef = useRef(upsert);
  upsertRef.current = upsert;

  useEffect(() => {
    let stopped = false;
    let es: EventSource | null = null;
    let poll: number | undefined;
    let reopen: number | undefined;
    const load = async () => {
      try {
        const [active, recent] = await Promise.all([api.activeGenerations(), api.generations()]);
        if (!stopped) upsertRef.current(...active.generations, ...recent.generations);
      } catch {
        // the studio may be restarting; the next load or event catches up
      }
    };
    const startPolling = () => {
      if (poll !== undefined) return;
      poll = window.setInterval(() => void load(), POLL_MS);
    };
    const stopPolling = () => {
      window.clearInterval(poll);
      poll = undefined;
    };
    const open = () => {
      if (stopped) return;
      if (typeof EventSource === 'undefined') return startPolling();
      const source = new EventSource('/api/events', { withCredentials: true });
      es = source;
      source.addEventListener('generation', (e) => {
        try {
          upsertRef.current(JSON.parse((e as MessageEvent).data) as Generation);
        } catch {
          // a malformed event is skipped; the next one carries the whole state again
        }
      });
      source.onopen = () => {
        setLive(true);
        stopPolling();
        void load(); // catches what finished while no stream was open
      };
      source.onerror = () => {
        setLive(false);
        // CONNECTING: the browser reconnects by itself with Last-Event-ID. CLOSED: refused.
        if (source.readyState === 2) {
          source.close();
          es = null;
          startPolling();
          reopen = window.setTimeout(open, REOPEN_MS);
        }
      };
    };
    void load();
    open();
    return () => {
      stopped = true;
      es?.close();
      stopPolling();
      window.clearTimeout(reopen);
    };
  }, []);

  const jobs = useMemo(() => {
    const all = Object.values(byId).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1));
    const active = all.filter((g) => !terminal(g.status));
    const done = all.filter((g) => terminal(g.status)).slice(0, RECENT);
    const keep = new Set([...active, ...done].map((g) => g.id));
    return all.filter((g) => keep.has(g.id));
  }, [byId]);

  const cancel = useCallback(
    async (id: string) => {
      try {
        const r = await api.cancel(id);
        upsert(r.generation);
        setNotes((n) => ({ ...n, [id]: r.cancel?.message ?? 'Canceled.' }));
      } catch (err) {
        setNotes((n) => ({ ...n, [id]: err instanceof ApiError ? err.message : 'Cancel failed.' }));
      }
    },
    [upsert],
  );

  return { jobs, byId, notes, live, upsert, cancel };
}
