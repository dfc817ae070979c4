import { useEffect, useState } from 'react';
import { api, terminal, type Generation } from '../lib/api';

const POLL_MS = 1500;

/**
 * Follows a generation live: server-sent events first (each event is a whole Generation; the
 * stream closes after a terminal state), polling GET /api/generations/{id} when the stream fails.
 */
export function useGeneration(initial: Generation | null) {
  const [gen, setGen] = useState<Generation | null>(initial);
  const id = initial?.id;

  useEffect(() => {
    setGen(initial);
    if (!id || !initial || terminal(initial.status)) return;
    let stopped = false; // per effect: a late answer about an older job never lands
    let done = false;
    let es: EventSource | null = null;
    let timer: number | undefined;
    const show = (g: Generation) => {
      if (stopped || g.id !== id) return;
      setGen(g);
      if (terminal(g.status)) done = true;
    };
    const poll = async () => {
      if (stopped || done) return;
      try {
        show((await api.generation(id)).generation);
      } catch {
        // keep trying: the studio may be restarting (a 401 returns to the login screen)
      }
      if (!stopped && !done) timer = window.setTimeout(poll, POLL_MS);
    };
    if (typeof EventSource !== 'undefined') {
      es = new EventSource(`/api/generations/${encodeURIComponent(id)}/events`, { withCredentials: true });
      es.onmessage = (e) => {
        try {
          show(JSON.parse(e.data) as Generation);
        } catch {
          return;
        }
        if (done) es?.close();
      };
      es.onerror = () => {
        // A dropped or refused stream: never let the browser reconnect on its own; poll instead.
        es?.close();
        es = null;
        if (!done) void poll();
      };
    } else {
      void poll();
    }
    return () => {
      stopped = true;
      es?.close();
      window.clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  return [gen, setGen] as const;
}

export function useElapsed(since: string | undefined, running: boolean) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [running]);
  if (!since) return 0;
  return Math.max(0, Math.round((now - new Date(since).getTime()) / 1000));
}
