import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, terminal, type Generation } from '../lib/api';
import { getAssetUrl, getThumbUrl } from '../lib/assets';
import { Banner } from '../components/Banner';

const statuses: [string, string][] = [
  ['', 'All'],
  ['running', 'Running'],
  ['queued', 'Queued'],
  ['succeeded', 'Done'],
  ['failed', 'Failed'],
  ['canceled', 'Canceled'],
];

const label: Record<string, string> = { queued: 'Queued', running: 'Running', saving: 'Saving', succeeded: 'Done', failed: 'Failed', canceled: 'Canceled' };

/** Every generation, newest first, by status; failed ones can run again with the same settings. */
export function HistoryView() {
  const [status, setStatus] = useState('');
  const [items, setItems] = useState<Generation[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const gen = useRef(0);

  const load = useCallback(
    async (reset: boolean, from: string | null) => {
      const my = reset ? ++gen.current : gen.current;
      setLoading(true);
      setError(null);
      try {
        const r = await api.history({ status, cursor: reset ? null : from });
        if (my !== gen.current) return;
        setItems((cur) => (reset ? (r.generations ?? []) : [...cur, ...(r.generations ?? [])]));
        setCursor(r.nextCursor ?? null);
      } catch (err) {
        if (my === gen.current) setError(err instanceof ApiError ? err.message : 'The history could not be loaded.');
      } finally {
        if (my === gen.current) setLoading(false);
      }
    },
    [status],
  );
  useEffect(() => {
    void load(true, null);
  }, [load]);

  // Active jobs show their progress: refresh them while any is unfinished.
  const activeIds = items.filter((g) => !terminal(g.status)).map((g) => g.id).join(',');
  useEffect(() => {
    if (!activeIds) return;
    const t = window.setInterval(async () => {
      for (const id of activeIds.split(',')) {
        try {
          const r = await api.generation(id);
          setItems((cur) => cur.map((g) => (g.id === id ? r.generation : g)));
        } catch {
          /* the next tick tries again */
        }
      }
    }, 1500);
    return () => window.clearInterval(t);
  }, [activeIds]);

  const again = async (g: Generation) => {
    setError(null);
    setMsg(null);
    try {
      const r = await api.runAgain(g);
      setItems((cur) => (status === '' || status === 'queued' ? [r.generation, ...cur] : cur));
      setMsg('Submitted again with the same settings.');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'It could not be submitted.');
    }
  };

  return (
    <div>
      <div className="toolbar">
        <div className="segmented wrap" role="group" aria-label="Filter by status">
          {statuses.map(([s, l]) => (
            <button key={s} type="button" className={status === s ? 'active' : ''} aria-pressed={status === s} onClick={() => setStatus(s)}>
              {l}
            </button>
          ))}
        </div>
      </div>
      <Banner kind="success">{msg}</Banner>
      <Banner kind="error">{error}</Banner>
      {!loading && items.length === 0 && !error && <div className="card empty">No generations here yet.</div>}
      <ul className="history" aria-label="Generations">
        {items.map((g) => (
          <li key={g.id} className="card history-item" data-testid="history-item" data-status={g.status}>
            <div className="history-thumb">
              {g.assets[0] && g.assets[0].kind === 'image' ? (
                <img src={getThumbUrl(g.assets[0]) ?? getAssetUrl(g.assets[0])} alt="" loading="lazy" />
              ) : (
                <span aria-hidden="true">{g.assets[0] ? (g.assets[0].kind === 'video' ? '▶' : '♪') : '·'}</span>
              )}
            </div>
            <div className="history-body">
              <div className="row">
                <span className={`pill pill-${g.status}`}>{label[g.status] ?? g.status}</span>
                <span className="muted">{g.model}</span>
                <time className="muted" dateTime={g.createdAt}>
                  {new Date(g.createdAt).toLocaleString()}
                </time>
              </div>
              <p className="history-prompt">{g.prompt || <em className="muted">No prompt</em>}</p>
              {!terminal(g.status) && (
                <p className="hint" aria-live="polite">
                  {g.status === 'queued' && g.queuePosition !== null ? `Position ${g.queuePosition + 1} in fal's queue` : g.logs.at(-1)?.message ?? 'Working…'}
                </p>
              )}
              {g.error && (
                <p className="history-error" role="note">
                  {g.error.message}
                </p>
              )}
              {g.status === 'succeeded' && <p className="hint">{g.assets.length === 1 ? '1 output' : `${g.assets.length} outputs`}</p>}
            </div>
            {terminal(g.status) && g.status !== 'succeeded' && (
              <button type="button" className="btn small" onClick={() => void again(g)}>
                Run again
              </button>
            )}
          </li>
        ))}
      </ul>
      {cursor && !loading && (
        <div className="center">
          <button className="btn" type="button" onClick={() => void load(false, cursor)}>
            Load more
          </button>
        </div>
      )}
    </div>
  );
}
