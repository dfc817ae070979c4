import { useCallback, useRef, useState } from 'react';
import { ApiError } from './api';

export interface ActionState {
  busy: boolean;
  error: string | null;
  success: string | null;
}

export interface ActionOptions<R> {
  /** Shown when the failure is not an ApiError (whose message is meant for people). */
  fallback: string;
  /** Shown after success: a fixed sentence, or made from the result (null: nothing). */
  success?: string | ((result: R) => string | null);
}

/**
 * The busy / error / success pattern of every form: run(...) clears the last outcome, marks the
 * action busy (a second run while busy is ignored), and records the error message or the success
 * sentence. run resolves with the result, or undefined when the action failed.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>, options: ActionOptions<R>) {
  const [state, setState] = useState<ActionState>({ busy: false, error: null, success: null });
  const latest = useRef({ fn, options });
  latest.current = { fn, options };
  const busy = useRef(false);

  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    if (busy.current) return undefined;
    busy.current = true;
    setState({ busy: true, error: null, success: null });
    const { fn: f, options: o } = latest.current;
    try {
      const result = await f(...args);
      const success = typeof o.success === 'function' ? o.success(result) : (o.success ?? null);
      setState({ busy: false, error: null, success });
      return result;
    } catch (err) {
      setState({ busy: false, error: messageOf(err, o.fallback), success: null });
      return undefined;
    } finally {
      busy.current = false;
    }
  }, []);

  /** Shows a message without running anything (e.g. a check before the request). */
  const fail = useCallback((error: string) => setState({ busy: false, error, success: null }), []);
  const reset = useCallback(() => setState({ busy: false, error: null, success: null }), []);
  return { ...state, run, fail, reset };
}

/** The sentence to show for a failure. */
export function messageOf(err: unknown, fallback: string): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof UserError) return err.message;
  return fallback;
}

/** A failure whose message is written for people (e.g. a local validation). */
export class UserError extends Error {}
