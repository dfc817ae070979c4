import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Selection of grid items by id: click toggles, shift-click selects the range from the last
 * clicked item, "all loaded" selects every item, Escape clears.
 */
export function useSelection(ids: string[]) {
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const anchor = useRef<number | null>(null);

  // Items that left the list (deleted, filtered away) leave the selection too.
  useEffect(() => {
    setSelected((cur) => {
      const keep = new Set([...cur].filter((id) => ids.includes(id)));
      return keep.size === cur.size ? cur : keep;
    });
  }, [ids]);

  const toggle = useCallback(
    (index: number, range: boolean) => {
      // Read the anchor now: the updater runs later, after it has moved to this index.
      const from = anchor.current;
      setSelected((cur) => {
        const next = new Set(cur);
        if (range && from !== null) {
          const [a, b] = from < index ? [from, index] : [index, from];
          for (let i = a; i <= b; i++) if (ids[i]) next.add(ids[i]);
        } else if (next.has(ids[index])) {
          next.delete(ids[index]);
        } else {
          next.add(ids[index]);
        }
        return next;
      });
      anchor.current = index;
    },
    [ids],
  );
  const clear = useCallback(() => {
    setSelected(new Set());
    anchor.current = null;
  }, []);
  const selectAll = useCallback(() => setSelected(new Set(ids)), [ids]);

  const active = selected.size > 0;
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      // A dialog handles its own Escape first (it stops the event).
      if (e.key === 'Escape' && !document.querySelector('[role="dialog"]')) clear();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [active, clear]);

  return { selected, toggle, clear, selectAll };
}
