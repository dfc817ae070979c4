import { useEffect, useRef, useState } from 'react';
import { api, type EstimateResult } from '../lib/api';
import { formatUsd } from '../lib/money';

/** How long settings must stay still before a price is asked for. */
export const ESTIMATE_DEBOUNCE_MS = 400;
const CACHE_MS = 60_000;

export interface EstimateState {
  result: EstimateResult | null;
  /** " · ~$0.012" for the Generate button, "" while unknown. */
  label: string;
  /** A sentence for below the button: the price's basis, or why there is none. */
  note: string | null;
  /** True when this would take the person over their monthly budget. */
  overBudget: boolean;
  /** The server's budget refusal of the last submit (shown until the settings change). */
  refusal: string | null;
  refuse: (message: string) => void;
}

interface Input {
  model: string;
  prompt: string;
  values: Record<string, unknown>;
  /** The custom model's JSON input; it overrides the form, as it does when submitting. */
  customJSON?: string;
  enabled: boolean;
  /** Changes when a generation is started, so the budget part is read again. */
  refresh?: string | null;
}

function paramsOf(values: Record<string, unknown>, customJSON?: string): Record<string, unknown> {
  if (!customJSON?.trim()) return values;
  try {
    const parsed: unknown = JSON.parse(customJSON);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { ...values, ...(parsed as Record<string, unknown>) };
  } catch {
    // not JSON yet (still being typed): price the form alone
  }
  return values;
}

/** Units whose quantity depends on the prompt's text: only then does typing change the price. */
const textUnits = new Set(['characters', '1000 characters']);

/**
 * The price of the current settings, from POST /api/generations/estimate. Debounced, answers
 * cached for a minute, stale answers dropped; the prompt is part of the question only for
 * models priced by characters, so typing a prompt sends no requests for other models.
 */
export function useEstimate({ model, prompt, values, customJSON, enabled, refresh }: Input): EstimateState {
  const [result, setResult] = useState<EstimateResult | null>(null);
  const [refusal, setRefusal] = useState<{ key: string; message: string } | null>(null);
  const cache = useRef(new Map<string, { at: number; r: EstimateResult }>());
  const byText = useRef(false);
  const seq = useRef(0);
  const params = paramsOf(values, customJSON);
  const key = enabled && model ? JSON.stringify([model, params, byText.current ? prompt : '']) : '';

  useEffect(() => {
    cache.current.clear(); // a new generation changed what is spent
  }, [refresh]);

  useEffect(() => {
    const mine = ++seq.current;
    if (!key) {
      setResult(null);
      return;
    }
    const hit = cache.current.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) {
      setResult(hit.r);
      return;
    }
    const [m, p, text] = JSON.parse(key) as [string, Record<string, unknown>, string];
    const t = window.setTimeout(() => {
      api
        .estimate(m, text || prompt, p)
        .then((r) => {
          cache.current.set(key, { at: Date.now(), r });
          if (cache.current.size > 100) cache.current.delete(cache.current.keys().next().value as string);
          byText.current = textUnits.has(r.estimate?.unit ?? '');
          if (mine === seq.current) setResult(r);
        })
        .catch(() => {
          if (mine === seq.current) setResult(null);
        });
    }, ESTIMATE_DEBOUNCE_MS);
    return () => window.clearTimeout(t);
    // prompt is read through key when it matters; refresh empties the cache first
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, refresh]);

  const e = result?.estimate ?? null;
  const label = e ? ` · ~${formatUsd(e.usd)}` : '';
  let note: string | null = null;
  if (result && !e) note = `No price shown: ${result.reason ?? 'fal has no price for this model.'}`;
  else if (e && e.basis === 'historical') note = `About ${formatUsd(e.usd)}, fal's average cost of one call of this model.`;
  else if (e) note = `About ${formatUsd(e.usd)}: ${trimNumber(e.quantity)} ${e.quantity === 1 ? e.unit.replace(/s$/, '') : e.unit} × ${formatUsd(e.unitPrice)}.`;
  return {
    result,
    label,
    note,
    overBudget: result?.withinBudget === false,
    refusal: refusal && refusal.key === key ? refusal.message : null,
    refuse: (message: string) => setRefusal({ key, message }),
  };
}

function trimNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}
