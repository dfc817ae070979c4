import { useEffect, useState } from 'react';

/** Seconds since `since`, ticking every second while running. */
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

/** How long a finished generation took, in seconds (null while it runs). */
export function tookSeconds(g: { createdAt: string; completedAt: string | null }): number | null {
  return g.completedAt ? Math.max(0, Math.round((Date.parse(g.completedAt) - Date.parse(g.createdAt)) / 1000)) : null;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m ${String(s % 60).padStart(2, '0')}s`;
}

export const statusText: Record<string, string> = {
  queued: 'Queued',
  running: 'Generating',
  saving: 'Saving to your library',
  succeeded: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
};

/** The cost of a generation when the server reports one (the costs feature adds costUsd). */
export function costOf(g: object): number | null {
  const c = (g as { costUsd?: unknown }).costUsd;
  return typeof c === 'number' && Number.isFinite(c) ? c : null;
}

export function formatUsd(usd: number): string {
  return usd < 0.01 && usd > 0 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(usd < 1 ? 3 : 2)}`;
}
