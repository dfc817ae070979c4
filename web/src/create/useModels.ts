import { useEffect, useState } from 'react';
import { api, type Model } from '../lib/api';
import { messageOf } from '../lib/useAction';

/** The curated catalogue (GET /api/models), loaded once. */
export function useModels() {
  const [state, setState] = useState<{ models: Model[] | null; error: string | null }>({ models: null, error: null });
  useEffect(() => {
    api
      .models()
      .then((r) => setState({ models: r.models, error: null }))
      .catch((e) => setState({ models: null, error: messageOf(e, 'Models could not be loaded.') }));
  }, []);
  return state;
}
