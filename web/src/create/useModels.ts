import { useEffect, useState } from 'react';
import { api, ApiError, type Model } from '../lib/api';

/** The curated catalogue (GET /api/models), loaded once. */
export function useModels() {
  const [state, setState] = useState<{ models: Model[] | null; error: string | null }>({ models: null, error: null });
  useEffect(() => {
    api
      .models()
      .then((r) => setState({ models: r.models, error: null }))
      .catch((e) => setState({ models: null, error: e instanceof ApiError ? e.message : 'Models could not be loaded.' }));
  }, []);
  return state;
}
