import { useEffect, useRef, useState } from 'react';
import { api, terminal, type Generation } from '../lib/api';

/** Follows a generation live: server-sent events first, polling when the stream fails. */
export function useGeneration(initial: Generation | null) {
  const [gen, setGen] = useState<Generation | null>(initial);
  const id = initial?.id;
  const stopped = useRef(false);

  useEffect(() => {
    setGen(initial);
    if (!id || !initial || terminal(initial.status)) return;
    stopped.current = false;
    let es: EventSource | null = null;
    let timer: number | undefined;
    const poll = async () => {
      if (stopped.current) return;
      try {
        const r = await api.generation(id);
        setGen(r.generation);
        if (terminal(r.generation.status)) return;
      } catch {
        // keep trying: the server may be restarting
      }
      timer = window.setTimeout(poll, 1500);
    };
    if (typeof EventSource !== 'undefined') {
      es = new EventSource(`/api/generations/${encodeURIComponent(id)}/events`, { withCredentials: true });
      es.onmessage = (e) => {
        const g = JSON.parse(e.data) as Generation;
        setGen(g);
        if (terminal(g.status)) es?.close();
      };
      es.onerror = () => {
        es?.close();
        es = null;
        void poll();
      };
    } else {
      void poll();
    }
    return () => {
      stopped.current = true;
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
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [running]);
  if (!since) return 0;
  return Math.max(0, Math.round((now - new Date(since).getTime()) / 1000));
}
