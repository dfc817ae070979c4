import { useEffect, useState } from 'react';
import { api, COLLECTIONS_CHANGED, type Collection } from '../lib/api';

/** "Save to": the collection a generation's outputs land in, chosen before generating. */
export function SaveToCollection({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const [collections, setCollections] = useState<Collection[]>([]);
  const load = () =>
    api
      .collections()
      .then((r) => setCollections(Array.isArray(r?.collections) ? r.collections : []))
      .catch(() => setCollections([]));
  useEffect(() => {
    void load();
    // Create stays mounted while the gallery changes the collections.
    const onChange = () => void load();
    window.addEventListener(COLLECTIONS_CHANGED, onChange);
    return () => window.removeEventListener(COLLECTIONS_CHANGED, onChange);
  }, []);
  // A collection deleted meanwhile is no longer offered.
  useEffect(() => {
    if (value && collections.length && !collections.some((c) => c.id === value)) onChange('');
  }, [collections, value, onChange]);
  if (collections.length === 0) return null;
  return (
    <label className="field">
      <span>Save to</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} onFocus={() => void load()} data-testid="save-to">
        <option value="">Gallery only</option>
        {collections.map((c) => (
          <option key={c.id} value={c.id}>
            Gallery and “{c.name}”
          </option>
        ))}
      </select>
    </label>
  );
}
