import type { Param } from '../lib/api';

export type Values = Record<string, unknown>;

/** Defaults of a model's parameters (the values shown before the user changes anything). */
export function defaultsOf(params: Param[]): Values {
  const v: Values = {};
  for (const p of params) if (p.default !== undefined && p.default !== null) v[p.name] = p.default;
  return v;
}

/** The first setting outside its allowed range, as a sentence, or null when all are fine. */
export function invalidParam(params: Param[], values: Values): string | null {
  for (const p of params) {
    const v = values[p.name];
    if (v === undefined || (p.type !== 'integer' && p.type !== 'number' && p.type !== 'seed')) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${p.label} must be a number.`;
    if ((p.type === 'integer' || p.type === 'seed') && !Number.isInteger(v)) return `${p.label} must be a whole number.`;
    if (p.min !== undefined && v < p.min) return `${p.label} must be at least ${p.min}.`;
    if (p.max !== undefined && v > p.max) return `${p.label} must be at most ${p.max}.`;
    if (p.type === 'seed' && v < 0) return `${p.label} must be 0 or more.`;
  }
  return null;
}

/** Params a member's policy forces (SPEC §12.2): shown with their forced value, locked. */
export type Locked = { policy: string; params: Values } | null;

export function ParamsForm({
  params,
  values,
  onChange,
  locked = null,
  idPrefix = 'param',
}: {
  params: Param[];
  values: Values;
  onChange: (v: Values) => void;
  locked?: Locked;
  idPrefix?: string;
}) {
  const set = (name: string, value: unknown) => {
    const next = { ...values };
    if (value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value))) delete next[name];
    else next[name] = value;
    onChange(next);
  };
  if (params.length === 0) return null;
  return (
    <fieldset className="params">
      <legend>Settings</legend>
      {params.map((p) => {
        const forced = locked !== null && Object.prototype.hasOwnProperty.call(locked.params, p.name);
        const field = renderParam(p, forced ? locked!.params[p.name] : values[p.name]);
        if (!forced) return field;
        // A disabled fieldset locks whatever control the field is; the note names the policy.
        const note = `Set by the policy “${locked!.policy}”`;
        return (
          <fieldset className="locked-param" disabled key={p.name} title={note} data-testid={`locked-${p.name}`}>
            {field}
            <small className="hint lock-note">
              <span aria-hidden="true">🔒 </span>
              {note}
            </small>
          </fieldset>
        );
      })}
    </fieldset>
  );

  function renderParam(p: Param, v: unknown) {
        const id = `${idPrefix}-${p.name}`;
        const tip = p.description || undefined;
        const label = (
          <span>
            {p.label}
            {p.default !== undefined && p.type !== 'boolean' && <small className="hint"> (default {String(p.default)})</small>}
          </span>
        );
        switch (p.type) {
          case 'enum':
            return (
              <div className="field" key={p.name}>
                <label htmlFor={id}>{label}</label>
                <select id={id} title={tip} value={v === undefined ? '' : String(v)} onChange={(e) => set(p.name, e.target.value || undefined)}>
                  {p.default === undefined && <option value="">Default</option>}
                  {p.options?.map((o) => (
                    <option key={o} value={o}>
                      {o.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              </div>
            );
          case 'boolean':
            return (
              <label className="check" key={p.name}>
                <input id={id} type="checkbox" title={tip} checked={v === undefined ? Boolean(p.default) : Boolean(v)} onChange={(e) => set(p.name, e.target.checked)} />
                <span>{p.label}</span>
              </label>
            );
          case 'integer':
          case 'number':
            return (
              <div className="field" key={p.name}>
                <label htmlFor={id}>{label}</label>
                <input
                  id={id}
                  title={tip}
                  type="number"
                  min={p.min}
                  max={p.max}
                  step={p.step ?? (p.type === 'integer' ? 1 : 'any')}
                  value={v === undefined ? '' : String(v)}
                  placeholder={p.default !== undefined ? String(p.default) : ''}
                  onChange={(e) => set(p.name, e.target.value === '' ? undefined : Number(e.target.value))}
                />
              </div>
            );
          case 'seed':
            return (
              <div className="field span-all" key={p.name}>
                <label htmlFor={id}>{p.label}</label>
                <div className="row tight">
                  <input
                    id={id}
                    title={tip}
                    type="number"
                    min={0}
                    step={1}
                    placeholder="random"
                    value={v === undefined ? '' : String(v)}
                    onChange={(e) => set(p.name, e.target.value === '' ? undefined : Math.trunc(Number(e.target.value)))}
                  />
                  <button type="button" className="btn small" aria-label="Random seed" title="Pick a random seed" onClick={() => set(p.name, Math.floor(Math.random() * 2 ** 31))}>
                    ⚄
                  </button>
                  <button
                    type="button"
                    className="btn small"
                    aria-label="Clear seed"
                    title="Random each time (no seed is sent)"
                    onClick={() => set(p.name, undefined)}
                  >
                    clear
                  </button>
                </div>
              </div>
            );
          default:
            return (
              <div className="field" key={p.name}>
                <label htmlFor={id}>{label}</label>
                <input id={id} type="text" title={tip} value={v === undefined ? '' : String(v)} onChange={(e) => set(p.name, e.target.value || undefined)} />
              </div>
            );
        }
  }
}
