import { useEffect, useState, type FormEvent } from 'react';
import { api, type Preset } from '../lib/api';
import { UserError, useAction } from '../lib/useAction';
import { Banner } from '../components/Banner';

/**
 * Saved settings: apply one with a click, save the current settings under a name, rename or
 * delete the chosen one. Names are unique per person (the server answers name_taken).
 */
export function PresetsBar({ current, onApply }: { current: () => { model: string; params: Record<string, unknown> } | null; onApply: (p: Preset) => void }) {
  const [presets, setPresets] = useState<Preset[]>([]);
  const [chosen, setChosen] = useState('');
  const [naming, setNaming] = useState<{ mode: 'save' | 'rename'; name: string } | null>(null);
  const action = useAction(async (fn: () => Promise<string>) => fn(), { fallback: 'The preset could not be saved.', success: (msg) => msg });

  useEffect(() => {
    api
      .presets()
      .then((r) => setPresets(r.presets))
      .catch(() => setPresets([]));
  }, []);
  const sorted = (list: Preset[]) => [...list].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
  const selected = presets.find((p) => p.id === chosen) ?? null;

  const apply = (id: string) => {
    setChosen(id);
    const p = presets.find((x) => x.id === id);
    if (p) onApply(p);
  };
  const submitName = async (e: FormEvent) => {
    e.preventDefault();
    if (!naming) return;
    const name = naming.name.trim();
    if (!name) return action.fail('Give the preset a name.');
    const done = await action.run(async () => {
      if (naming.mode === 'rename' && selected) {
        const r = await api.updatePreset(selected.id, { name });
        setPresets((l) => sorted(l.map((p) => (p.id === r.preset.id ? r.preset : p))));
        return `Renamed to “${r.preset.name}”.`;
      }
      const cur = current();
      if (!cur) throw new UserError('Choose a model first.');
      const r = await api.createPreset(name, cur.model, cur.params);
      setPresets((l) => sorted([...l, r.preset]));
      setChosen(r.preset.id);
      return `Saved “${r.preset.name}”.`;
    });
    if (done) setNaming(null);
  };
  const remove = async () => {
    if (!selected || !window.confirm(`Delete the preset “${selected.name}”?`)) return;
    await action.run(async () => {
      await api.deletePreset(selected.id);
      setPresets((l) => l.filter((p) => p.id !== selected.id));
      setChosen('');
      return `Deleted “${selected.name}”.`;
    });
  };

  return (
    <div className="presets" data-testid="presets">
      <div className="row tight">
        <label htmlFor="preset" className="sr-only">
          Preset
        </label>
        <select id="preset" value={chosen} onChange={(e) => apply(e.target.value)}>
          <option value="">{presets.length ? 'Apply a preset…' : 'No presets yet'}</option>
          {presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <button type="button" className="btn small" onClick={() => setNaming({ mode: 'save', name: '' })} disabled={action.busy}>
          Save as preset
        </button>
        {selected && (
          <>
            <button type="button" className="btn small" onClick={() => setNaming({ mode: 'rename', name: selected.name })} disabled={action.busy}>
              Rename
            </button>
            <button type="button" className="btn small danger-ghost" onClick={() => void remove()} disabled={action.busy}>
              Delete
            </button>
          </>
        )}
      </div>
      {naming && (
        <form className="row tight" onSubmit={submitName}>
          <label htmlFor="preset-name" className="sr-only">
            {naming.mode === 'save' ? 'New preset name' : 'New name'}
          </label>
          <input
            id="preset-name"
            autoFocus
            maxLength={100}
            placeholder={naming.mode === 'save' ? 'Name these settings' : 'New name'}
            value={naming.name}
            onChange={(e) => setNaming({ ...naming, name: e.target.value })}
            onKeyDown={(e) => e.key === 'Escape' && setNaming(null)}
          />
          <button type="submit" className="btn small primary" disabled={action.busy}>
            {naming.mode === 'save' ? 'Save' : 'Save name'}
          </button>
          <button type="button" className="btn small" onClick={() => setNaming(null)}>
            Cancel
          </button>
        </form>
      )}
      <Banner kind="error">{action.error}</Banner>
      <Banner kind="success">{action.success}</Banner>
    </div>
  );
}
