import { useState, type ReactNode } from 'react';
import type { SeedMode } from '../lib/api';
import { useAction } from '../lib/useAction';
import { Banner } from '../components/Banner';

export const MAX_VARIATIONS = 8;

/**
 * The Generate button with its variations choice. `price` is a slot for the estimate the costs
 * feature shows on the button ("Generate · ~$0.012"); `blocker` explains why it is disabled.
 * onSubmit resolves with a notice to show (e.g. only some variations started), or null.
 */
export function FormActions({
  blocker,
  hasSeed,
  price,
  needsKey,
  onGoAccount,
  onSubmit,
  actionRef,
}: {
  blocker: string | null;
  hasSeed: boolean;
  price?: ReactNode;
  needsKey: boolean;
  onGoAccount: () => void;
  onSubmit: (count: number, seeds: SeedMode) => Promise<string | null>;
  /** Receives the submit function, so Ctrl/⌘+Enter anywhere in the form can call it. */
  actionRef?: { current: (() => void) | null };
}) {
  const [count, setCount] = useState(1);
  const [seeds, setSeeds] = useState<SeedMode>('increment');
  const submit = useAction((n: number, s: SeedMode) => onSubmit(n, s), { fallback: 'The generation could not be started.', success: (notice) => notice });
  const go = () => {
    if (!blocker) void submit.run(count, seeds);
  };
  if (actionRef) actionRef.current = go;
  return (
    <div className="form-actions">
      <Banner kind="error">{submit.error}</Banner>
      <Banner kind="warning">{submit.success}</Banner>
      <div className="row">
        <button className="btn primary" type="button" onClick={go} disabled={Boolean(blocker) || submit.busy} aria-keyshortcuts="Control+Enter Meta+Enter">
          {submit.busy ? 'Starting…' : count > 1 ? `Generate ×${count}` : 'Generate'}
          {price}
        </button>
        <label className="inline-field">
          <span>Variations</span>
          <select aria-label="Variations" value={count} onChange={(e) => setCount(Number(e.target.value))}>
            {Array.from({ length: MAX_VARIATIONS }, (_, i) => i + 1).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {count > 1 && hasSeed && (
          <label className="inline-field">
            <span>Seeds</span>
            <select aria-label="Seeds" value={seeds} onChange={(e) => setSeeds(e.target.value as SeedMode)}>
              <option value="increment">s, s+1, s+2…</option>
              <option value="random">random</option>
            </select>
          </label>
        )}
        <small className="hint">Ctrl/⌘ + Enter</small>
      </div>
      {blocker && (
        <p className="hint" data-testid="generate-hint">
          {blocker}{' '}
          {needsKey && (
            <button type="button" className="link" onClick={onGoAccount}>
              Go to Account
            </button>
          )}
        </p>
      )}
    </div>
  );
}
