import { useCallback, useMemo, useState } from 'react';
import { api, terminal, type Generation } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { newer, useJobs } from '../lib/jobs';
import { usePagedList } from '../lib/usePagedList';
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

/**
 * Every generation, newest first, by status; failed ones can run again with the same settings.
 * Unfinished ones show their progress from the person's one event stream (the jobs Create shows
 * too), never by asking for each job.
 */
export function HistoryView() {
  const [status, setStatus] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const page = useCallback(
    (cursor: string | null) => api.history({ status, cursor }).then((r) => ({ items: r.generations ?? [], nextCursor: r.nextCursor ?? null })),
    [status],
  );
  const { items: listed, setItems, cursor, loading, error, setError, more } = usePagedList(page, 'The history could not be loaded.');
  const { byId, upsert, waitingForFal } = useJobs();
  // A job the stream (or a newer answer) knows better replaces the page's copy of it.
  const items = useMemo(() => listed.map((g) => (byId[g.id] && newer(g, byId[g.id]) ? byId[g.id] : g)), [listed, byId]);

  const again = async (g: Generation) => {
    setError(null);
    setMsg(null);
    try {
      const r = await api.runAgain(g);
      upsert(r.generation);
      setItems((cur) => (status === '' || status === 'queued' ? [r.generation, ...cur] : cur));
      setMsg('Submitted again with the same settings.');
    } catch (err) {
      setError(messageOf(err, 'It could not be submitted.'));
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
                {g.via && <span className="muted" data-testid="via">via {g.via.name}</span>}
                <time className="muted" dateTime={g.createdAt}>
                  {new Date(g.createdAt).toLocaleString()}
                </time>
              </div>
              <p className="history-prompt">{g.prompt || <em className="muted">No prompt</em>}</p>
              {!terminal(g.status) && (
                <p className="hint" aria-live="polite">
                  {g.status === 'queued' && waitingForFal
                    ? 'Waiting for fal…'
                    : g.status === 'queued' && g.queuePosition !== null
                      ? `Position ${g.queuePosition + 1} in fal's queue`
                      : (g.logs.at(-1)?.message ?? 'Working…')}
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
          <button className="btn" type="button" onClick={more}>
            Load more
          </button>
        </div>
      )}
    </div>
  );
}
