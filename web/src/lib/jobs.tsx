import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, terminal, type Generation } from './api';
import { messageOf } from './useAction';

const RECENT = 12; // finished jobs kept in the panel
const POLL_MS = 3000; // while the event stream is unavailable
const REOPEN_MS = 10_000; // a refused stream (e.g. 429) is tried again after this

/** Newer wins: an answer that arrives late never rolls a job back. */
export function newer(a: Generation | undefined, b: Generation) {
  return !a || Date.parse(b.updatedAt) >= Date.parse(a.updatedAt);
}

/** What the provider shares: the person's jobs, kept current by one stream. */
export interface Jobs {
  /** The active jobs and the RECENT latest finished ones, newest first. */
  jobs: Generation[];
  /** Every job seen (loaded, streamed or handed in), by id: also finished ones older than jobs. */
  byId: Record<string, Generation>;
  /** A cancel's answer per job, to show beside it. */
  notes: Record<string, string>;
  /** Whether the event stream is open (else the jobs are polled). */
  live: boolean;
  /**
   * fal calls the studio back when a job ends (webhooks on, GET /api/status): the studio asks
   * fal for a job's state only now and then, so a queue position is that of the last check.
   */
  waitingForFal: boolean;
  /** Hands in jobs the caller got from an answer (a submit, a run again); newer wins. */
  upsert: (...gens: Generation[]) => void;
  cancel: (id: string) => Promise<void>;
}

const JobsContext = createContext<(Jobs & { retain: () => () => void }) | null>(null);

/**
 * Every active and recent generation of the person, kept current by one event stream
 * (GET /api/events, one connection for any number of jobs) and shared by every view that shows
 * jobs (Create's panel and result, the gallery's History), so none of them polls a job of its own.
 * The stream is open while at least one of them is on screen: it loads the active and recent jobs
 * first, so a reload shows them again; when the stream is refused it polls until it can reopen.
 * Mounted once per signed-in person (keyed by the account: nothing carries over to the next).
 */
export function JobsProvider({ children }: { children: ReactNode }) {
  const [byId, setById] = useState<Record<string, Generation>>({});
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [live, setLive] = useState(false);
  const [waitingForFal, setWaitingForFal] = useState(false);
  useEffect(() => {
    let on = true;
    api
      .status()
      .then((s) => on && setWaitingForFal(s.falWebhooks === true))
      .catch(() => {});
    return () => {
      on = false;
    };
  }, []);

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

  // The stream is counted, not owned: the first view that shows jobs opens it, the last closes it.
  const users = useRef(0);
  const stop = useRef<(() => void) | null>(null);
  const retain = useCallback(() => {
    if (users.current++ === 0) stop.current = follow(upsert, setLive);
    return () => {
      if (--users.current > 0) return;
      stop.current?.();
      stop.current = null;
      setLive(false);
    };
  }, [upsert]);

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
        setNotes((n) => ({ ...n, [id]: messageOf(err, 'Cancel failed.') }));
      }
    },
    [upsert],
  );

  const value = useMemo(
    () => ({ jobs, byId, notes, live, waitingForFal, upsert, cancel, retain }),
    [jobs, byId, notes, live, waitingForFal, upsert, cancel, retain],
  );
  return <JobsContext.Provider value={value}>{children}</JobsContext.Provider>;
}

/** The person's jobs (inside a JobsProvider); the stream stays open while the caller is mounted. */
export function useJobs(): Jobs {
  const ctx = useContext(JobsContext);
  if (!ctx) throw new Error('useJobs is used outside a JobsProvider');
  const { retain } = ctx;
  useEffect(retain, [retain]);
  return ctx;
}

/**
 * follow loads the active and recent jobs and follows the event stream, handing every job to
 * upsert; when the stream is refused it polls until it can reopen. It returns the stop function.
 */
function follow(upsert: (...gens: Generation[]) => void, setLive: (live: boolean) => void): () => void {
  let stopped = false;
  let es: EventSource | null = null;
  let poll: number | undefined;
  let reopen: number | undefined;
  const load = async () => {
    try {
      const [active, recent] = await Promise.all([api.activeGenerations(), api.generations()]);
      if (!stopped) upsert(...active.generations, ...recent.generations);
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
        upsert(JSON.parse((e as MessageEvent).data) as Generation);
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
}
