import { useEffect, useState } from 'react';
import { api } from './api';

// Whether the person's policy hides outputs fal flagged (SPEC §12.2), read once per page load:
// the server enforces it on every request; the UI only blurs and leaves out the actions.
let hides: Promise<boolean> | null = null;

export function useHidesFlagged(): boolean {
  const [hide, setHide] = useState(false);
  useEffect(() => {
    let live = true;
    hides ??= api.me().then(
      (r) => !!r?.policy?.hideFlagged, // no body (204) reads as no policy
      () => {
        hides = null;
        return false;
      },
    );
    void hides.then((h) => {
      if (live) setHide(h);
    });
    return () => {
      live = false;
    };
  }, []);
  return hide;
}
