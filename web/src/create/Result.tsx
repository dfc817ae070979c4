import { terminal, type Asset, type Generation } from '../lib/api';
import { getAssetUrl, getPrimaryResult } from '../lib/assets';
import { Banner } from '../components/Banner';
import { costOf, formatSeconds, formatUsd, statusText, tookSeconds, useElapsed } from './time';

/** The chosen generation in full: status, logs while it runs, then its stored outputs. */
export function Result({
  gen,
  note,
  onCancel,
  onAnimate,
  waitingForFal = false,
  onRunAgain,
}: {
  gen: Generation | null;
  note: string | null;
  onCancel: () => void;
  /** Offered on a failed generation: the same model, prompt and settings once more. */
  onRunAgain?: () => void;
  /** Offered on image outputs when a model can animate them. */
  onAnimate: ((a: Asset) => void) | null;
  /** fal calls back when the job ends: its queue position is only that of the last check. */
  waitingForFal?: boolean;
}) {
  const active = gen !== null && !terminal(gen.status);
  const elapsed = useElapsed(gen?.createdAt, active);
  if (!gen) {
    return (
      <div className="empty">
        <div className="empty-art" aria-hidden="true">
          ✦
        </div>
        <p>Your result appears here. Everything you make is kept in your Gallery.</p>
      </div>
    );
  }
  const took = tookSeconds(gen);
  const cost = costOf(gen);
  const primary = getPrimaryResult(gen);
  return (
    <div className="result">
      <div className="status-line">
        <span className={`pill pill-${gen.status}`} data-testid="generation-status" data-generation-id={gen.id}>
          {statusText[gen.status] ?? gen.status}
        </span>
        {gen.status === 'queued' && waitingForFal && <span className="muted">Waiting for fal…</span>}
        {gen.status === 'queued' && !waitingForFal && gen.queuePosition !== null && <span className="muted">Position in queue: {gen.queuePosition}</span>}
        {active && (
          <span className="muted" data-testid="elapsed">
            {formatSeconds(elapsed)}
          </span>
        )}
        {!active && gen.status === 'succeeded' && took !== null && <span className="muted">in {formatSeconds(took)}</span>}
        {cost !== null && <span className="muted">{formatUsd(cost)}</span>}
        {active && (gen.status === 'queued' || gen.status === 'running') && (
          <button className="btn small" type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {note && <Banner kind="info">{note}</Banner>}
      {gen.notice && <Banner kind="warning">Notice: {gen.notice}. The file is safe on the studio's disk and will move to object storage when it is back.</Banner>}
      {gen.error && <Banner kind="error">{gen.error.message}</Banner>}
      {gen.status === 'failed' && onRunAgain && (
        <button className="btn small" type="button" onClick={onRunAgain}>
          Run again
        </button>
      )}
      {active && (
        <>
          <div className="skeleton media-skeleton" aria-label="Working" />
          {gen.logs.length > 0 && (
            <pre className="logs" aria-label="Latest log lines">
              {gen.logs.slice(-5).map((l) => l.message).join('\n')}
            </pre>
          )}
        </>
      )}
      {primary && (
        <div className={gen.assets.length > 1 ? 'result-grid multi' : 'result-grid'}>
          {gen.assets.map((a) => (
            <figure key={a.id} className="result-item">
              {a.kind === 'video' ? (
                <video src={getAssetUrl(a)} controls playsInline className="result-media" data-testid="result-media" />
              ) : a.kind === 'audio' ? (
                <audio src={getAssetUrl(a)} controls data-testid="result-media" />
              ) : (
                <a href={getAssetUrl(a)} target="_blank" rel="noreferrer">
                  <img src={getAssetUrl(a)} alt={gen.prompt || 'Generated image'} className="result-media" data-testid="result-media" />
                </a>
              )}
              {a.kind === 'image' && onAnimate && (
                <button type="button" className="btn small" onClick={() => onAnimate(a)}>
                  Animate
                </button>
              )}
            </figure>
          ))}
        </div>
      )}
    </div>
  );
}
