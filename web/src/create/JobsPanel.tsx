import { terminal, type Asset, type Generation } from '../lib/api';
import { getAssetUrl, getThumbUrl } from '../lib/assets';
import { costOf, formatSeconds, formatUsd, statusText, tookSeconds, useElapsed } from './time';

/** The MIME type a job's output carries when dragged onto the references. */
export const ASSET_DRAG_TYPE = 'application/x-falstudio-asset';

/**
 * Every active and recent generation, newest first, variations of one submit shown as a group:
 * status, queue position, elapsed time, cost, cancel, and the outputs as they arrive. Choosing
 * one shows it in the result view; a new submit never hides a running job.
 */
export function JobsPanel({
  jobs,
  selectedId,
  onSelect,
  onCancel,
  live,
  waitingForFal = false,
}: {
  jobs: Generation[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  onCancel: (id: string) => void;
  live: boolean;
  /** fal calls back when a job ends: a queued job's position is only that of the last check. */
  waitingForFal?: boolean;
}) {
  if (jobs.length === 0) return null;
  const active = jobs.filter((g) => !terminal(g.status)).length;
  return (
    <section className="jobs" aria-labelledby="jobs-title" data-testid="jobs-panel">
      <div className="row spread">
        <h3 id="jobs-title">Jobs</h3>
        <span className="hint" aria-live="polite">
          {active > 0 ? `${active} running` : 'All done'}
          {!live && ' · reconnecting'}
        </span>
      </div>
      <ul className="job-list">
        {groupJobs(jobs).map((group) =>
          group.length === 1 ? (
            <JobRow key={group[0].id} g={group[0]} selected={group[0].id === selectedId} onSelect={onSelect} onCancel={onCancel} waitingForFal={waitingForFal} />
          ) : (
            <li key={group[0].group ?? group[0].id} className="job-group" data-testid="job-group">
              <span className="hint">Variations · {group.length}</span>
              <ul className="job-list">
                {group.map((g, i) => (
                  <JobRow key={g.id} g={g} index={i + 1} selected={g.id === selectedId} onSelect={onSelect} onCancel={onCancel} waitingForFal={waitingForFal} />
                ))}
              </ul>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}

/** Consecutive jobs of one variations group are listed together (oldest variation first). */
export function groupJobs(jobs: Generation[]): Generation[][] {
  const out: Generation[][] = [];
  const byGroup = new Map<string, Generation[]>();
  for (const g of jobs) {
    const key = g.group ?? null;
    if (!key) {
      out.push([g]);
      continue;
    }
    const have = byGroup.get(key);
    if (have) have.push(g);
    else {
      const list = [g];
      byGroup.set(key, list);
      out.push(list);
    }
  }
  return out.map((l) => (l.length > 1 ? [...l].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt)) : l));
}

function JobRow({
  g,
  index,
  selected,
  onSelect,
  onCancel,
  waitingForFal,
}: {
  g: Generation;
  index?: number;
  selected: boolean;
  onSelect: (id: string) => void;
  onCancel: (id: string) => void;
  waitingForFal: boolean;
}) {
  const running = !terminal(g.status);
  const elapsed = useElapsed(g.createdAt, running);
  const took = tookSeconds(g);
  const cost = costOf(g);
  const seed = typeof g.params?.seed === 'number' ? g.params.seed : null;
  return (
    <li className={selected ? 'job selected' : 'job'} data-testid="job" data-generation-id={g.id} data-status={g.status}>
      <button type="button" className="job-main" onClick={() => onSelect(g.id)} aria-pressed={selected}>
        <span className="sr-only">Show </span>
        <span className={`pill pill-${g.status}`}>{statusText[g.status] ?? g.status}</span>{' '}
        <span className="job-prompt">
          {index !== undefined && <span className="muted">#{index} </span>}
          {g.prompt || g.model}
        </span>
      </button>
      <div className="job-meta">
        {g.via && <span className="muted">via {g.via.name}</span>}
        {g.status === 'queued' && waitingForFal && <span className="muted">Waiting for fal…</span>}
        {g.status === 'queued' && !waitingForFal && g.queuePosition !== null && <span className="muted">#{g.queuePosition} in queue</span>}
        <span className="muted" data-testid="job-elapsed">
          {running ? formatSeconds(elapsed) : took !== null ? formatSeconds(took) : ''}
        </span>
        {seed !== null && <span className="muted">seed {seed}</span>}
        {cost !== null && <span className="muted">{formatUsd(cost)}</span>}
        {running && (g.status === 'queued' || g.status === 'running') && (
          <button type="button" className="btn small" onClick={() => onCancel(g.id)} aria-label={`Cancel ${g.prompt || g.model}`}>
            Cancel
          </button>
        )}
      </div>
      {g.error && <p className="job-error">{g.error.message}</p>}
      {g.assets.length > 0 && (
        <div className="job-outputs">
          {g.assets.map((a) => (
            <Output key={a.id} a={a} onSelect={() => onSelect(g.id)} />
          ))}
        </div>
      )}
    </li>
  );
}

function Output({ a, onSelect }: { a: Asset; onSelect: () => void }) {
  const url = getAssetUrl(a);
  const thumb = getThumbUrl(a); // the small preview, never the original, when there is one
  return (
    <button
      type="button"
      className="job-thumb"
      onClick={onSelect}
      draggable
      onDragStart={(e) => e.dataTransfer.setData(ASSET_DRAG_TYPE, JSON.stringify({ id: a.id, url, kind: a.kind }))}
      aria-label={`Output ${a.kind}`}
      title="Drag onto the reference images to use it"
    >
      {thumb || a.kind === 'image' ? <img src={thumb ?? url} alt="" loading="lazy" /> : <span aria-hidden="true">{a.kind === 'video' ? '▶' : '♪'}</span>}
    </button>
  );
}
