import { describe, expect, it } from 'vitest';
import { act, renderHook } from '@testing-library/react';
import { ApiError } from './api';
import { UserError, useAction } from './useAction';

describe('useAction', () => {
  it('marks busy, records success, and ignores a second run while busy', async () => {
    let finish: (v: number) => void = () => {};
    let calls = 0;
    const { result } = renderHook(() =>
      useAction(
        () => {
          calls++;
          return new Promise<number>((r) => (finish = r));
        },
        { fallback: 'failed', success: (n) => `got ${n}` },
      ),
    );
    let p: Promise<number | undefined> = Promise.resolve(undefined);
    act(() => {
      p = result.current.run();
    });
    expect(result.current.busy).toBe(true);
    await act(async () => {
      expect(await result.current.run()).toBeUndefined(); // ignored
    });
    expect(calls).toBe(1);
    await act(async () => {
      finish(4);
      expect(await p).toBe(4);
    });
    expect(result.current).toMatchObject({ busy: false, error: null, success: 'got 4' });
  });

  it('shows an API error as it is, another failure as the fallback, and clears on the next run', async () => {
    let fail: unknown = new ApiError(409, 'name_taken', 'That name is taken.');
    const { result } = renderHook(() =>
      useAction(
        async () => {
          if (fail) throw fail;
          return 'ok';
        },
        { fallback: 'Could not save.', success: 'Saved.' },
      ),
    );
    await act(async () => {
      expect(await result.current.run()).toBeUndefined();
    });
    expect(result.current.error).toBe('That name is taken.');
    fail = new Error('internal detail');
    await act(async () => void (await result.current.run()));
    expect(result.current.error).toBe('Could not save.');
    fail = new UserError('Write a name first.');
    await act(async () => void (await result.current.run()));
    expect(result.current.error).toBe('Write a name first.');
    fail = null;
    await act(async () => void (await result.current.run()));
    expect(result.current).toMatchObject({ error: null, success: 'Saved.' });
    act(() => result.current.fail('Checked locally.'));
    expect(result.current).toMatchObject({ error: 'Checked locally.', success: null, busy: false });
  });
});
