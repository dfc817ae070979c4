import { useEffect, useState } from 'react';
import { api, type Model } from '../lib/api';
import { customPattern } from './useDraft';

/**
 * A custom model id's input schema (GET /api/models/schema), turned by the server into the same
 * shape as a curated model, so the same form renders it. null while typing or when fal has none.
 * onLoaded runs once per loaded schema (the form takes its defaults).
 */
export function useCustomModel(id: string, active: boolean, onLoaded: (m: Model) => void) {
  const [model, setModel] = useState<Model | null>(null);
  useEffect(() => {
    setModel(null);
    const want = id.trim();
    if (!active || !customPattern.test(want)) return;
    let stale = false;
    const t = window.setTimeout(() => {
      api
        .modelSchema(want)
        .then((r) => {
          if (stale) return;
          setModel(r.model);
          onLoaded(r.model);
        })
        .catch(() => !stale && setModel(null));
    }, 400);
    return () => {
      stale = true;
      window.clearTimeout(t);
    };
    // onLoaded is read when the schema arrives; a new callback alone does not refetch.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, active]);
  return model;
}
