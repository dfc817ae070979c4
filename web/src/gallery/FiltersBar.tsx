import { useEffect, useState } from 'react';
import { api, power, type AssetFilters, type CastMember, type Collection } from '../lib/api';

/** Favourites, model, date range and collection: each combines with the kind and the search. */
export function FiltersBar({ filters, collections, onChange }: { filters: AssetFilters; collections: Collection[]; onChange: (f: AssetFilters) => void }) {
  const [models, setModels] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    api
      .models()
      .then((r) => setModels((r.models ?? []).map((m) => ({ id: m.id, name: m.name }))))
      .catch(() => setModels([]));
  }, []);
  const [cast, setCast] = useState<CastMember[]>([]);
  useEffect(() => {
    power
      .cast()
      .then((r) => setCast(r.cast ?? []))
      .catch(() => setCast([]));
  }, []);
  const set = (change: Partial<AssetFilters>) => onChange({ ...filters, ...change });
  const any = Object.values(filters).some(Boolean);
  return (
    <div className="filters" role="group" aria-label="Filters">
      <button type="button" className={filters.favorite ? 'btn small fav-on' : 'btn small'} aria-pressed={!!filters.favorite} onClick={() => set({ favorite: !filters.favorite })}>
        ★ Favourites
      </button>
      <label className="field inline">
        <span>Model</span>
        <select value={filters.model ?? ''} onChange={(e) => set({ model: e.target.value || undefined })}>
          <option value="">Any model</option>
          {filters.model && !models.some((m) => m.id === filters.model) && <option value={filters.model}>{filters.model}</option>}
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field inline">
        <span>From</span>
        <input type="date" value={filters.from ?? ''} max={filters.to} onChange={(e) => set({ from: e.target.value || undefined })} />
      </label>
      <label className="field inline">
        <span>To</span>
        <input type="date" value={filters.to ?? ''} min={filters.from} onChange={(e) => set({ to: e.target.value || undefined })} />
      </label>
      <label className="field inline">
        <span>Collection</span>
        <select value={filters.collection ?? ''} onChange={(e) => set({ collection: e.target.value || undefined })}>
          <option value="">All assets</option>
          {collections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      {cast.length > 0 && (
        <label className="field inline">
          <span>Features</span>
          <select value={filters.cast ?? ''} onChange={(e) => set({ cast: e.target.value || undefined })}>
            <option value="">Anyone</option>
            {cast.map((m) => (
              <option key={m.id} value={m.id}>
                @{m.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {any && (
        <button type="button" className="link" onClick={() => onChange({})}>
          Clear filters
        </button>
      )}
    </div>
  );
}
