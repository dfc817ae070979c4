import { useEffect, useRef, useState } from 'react';
import { api, power, terminal, type CompareSet, type Generation, type Model, type ModelReference } from '../lib/api';
import { formatUsd } from '../lib/money';
import { messageOf } from '../lib/useAction';
import { getAssetUrl } from '../lib/assets';
import { Banner } from '../components/Banner';
import { ParamsForm, defaultsOf, invalidParam } from './ParamsForm';
import { CastChips, useCast } from './CastChips';
import { ImageChooser, type Picked } from '../components/ImageChooser';

const MIN_RUNS = 2;
const MAX_RUNS = 6;
const MAX_REFS = 10; // referenceAssetIds of a compare (SPEC §14)

/** What a column's model does with the references: fills its field, or refuses the set. */
function refNote(ref: ModelReference | null | undefined, count: number): string {
  if (!ref) return 'takes no reference images';
  const max = ref.multiple ? ref.max : 1;
  return count > max ? `takes references: uses the first ${max}` : `takes references (up to ${max})`;
}

/** Seconds from createdAt to completedAt, or null while running. */
function took(g: Generation): string | null {
  if (!g.completedAt) return null;
  const s = (Date.parse(g.completedAt) - Date.parse(g.createdAt)) / 1000;
  return Number.isFinite(s) ? `${s.toFixed(1)} s` : null;
}

/**
 * Create → Compare (SPEC §14): one prompt sent to 2–6 columns, each a model (a model may appear
 * more than once). The button shows the total estimate; the result is one column per run, side
 * by side, with its price, time, live progress and outputs; two images can be laid over each
 * other with a slider; "Keep" favourites a column's outputs and can move the others to the trash.
 */
export function ComparePanel({ models, hasFalKey, initialGroup }: { models: Model[]; hasFalKey: boolean; initialGroup?: string | null }) {
  // New columns start on models that need no reference; edit models need references chosen below.
  const usable = models.filter((m) => !m.reference || m.reference.min === 0);
  const [prompt, setPrompt] = useState('');
  const [runs, setRuns] = useState<string[]>(() => usable.slice(0, 2).map((m) => m.id));
  // Each column's own settings, starting from its model's defaults.
  const [values, setValues] = useState<Record<string, unknown>[]>(() => usable.slice(0, 2).map((m) => defaultsOf(m.params)));
  const modelOf = (id: string) => models.find((m) => m.id === id) ?? null;
  const bad = runs.map((id, i) => invalidParam(modelOf(id)?.params ?? [], values[i] ?? {})).find(Boolean) ?? null;
  const [total, setTotal] = useState<number | null>(null);
  const [set, setSet] = useState<CompareSet | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [trashOthers, setTrashOthers] = useState(false);
  const timer = useRef<number | null>(null);
  const [recent, setRecent] = useState<{ group: string; prompt: string; models: string[] }[]>([]);
  // References (library images, uploaded by the studio for every run) and cast chips.
  const [refs, setRefs] = useState<Picked[]>([]);
  const [choosing, setChoosing] = useState(false);
  const cast = useCast();
  const [castIds, setCastIds] = useState<string[]>([]);
  const [useDescription, setUseDescription] = useState(false);
  const withRefs = refs.length > 0 || castIds.length > 0;
  // A run whose model has no reference field would refuse the whole set (no_reference_field).
  const noField = runs.map((id, i) => ({ i, id })).filter(({ id }) => !modelOf(id)?.reference);
  const refBlocker =
    withRefs && noField.length > 0
      ? `Column${noField.length > 1 ? 's' : ''} ${noField.map(({ i }) => i + 1).join(', ')} (${noField.map(({ id }) => modelOf(id)?.name ?? id).join(', ')}) take${noField.length > 1 ? '' : 's'} no reference images: choose a model that does, or remove the references and cast.`
      : null;
  // A model that needs references (an edit model) needs at least its minimum.
  const short = runs
    .map((id, i) => ({ i, m: modelOf(id) }))
    .find(({ m }) => m?.reference && m.reference.min > 0 && refs.length < m.reference.min && castIds.length === 0);
  const needBlocker = short ? `Column ${short.i + 1} (${short.m?.name}) needs ${short.m?.reference?.min === 1 ? 'a reference image' : `${short.m?.reference?.min} reference images`}: choose some below.` : null;
  // The chips offer the widest reference field among the columns; the blocker covers the rest.
  const castRef = runs
    .map((id) => modelOf(id)?.reference ?? null)
    .reduce<ModelReference | null>((best, r) => (r && (!best || (r.multiple ? r.max : 1) > (best.multiple ? best.max : 1)) ? r : best), null);

  // Sets from the history reopen here (the newest 100 generations are looked at).
  useEffect(() => {
    let live = true;
    api
      .history({ limit: 100 })
      .then((r) => {
        if (!live) return;
        const byGroup = new Map<string, { group: string; prompt: string; models: string[] }>();
        for (const g of r.generations) {
          if (!g.group) continue;
          const e = byGroup.get(g.group) ?? { group: g.group, prompt: g.prompt, models: [] };
          e.models.push(g.model);
          byGroup.set(g.group, e);
        }
        setRecent([...byGroup.values()].filter((e) => e.models.length >= MIN_RUNS).slice(0, 8));
      })
      .catch(() => live && setRecent([]));
    return () => {
      live = false;
    };
  }, [set?.group]);

  // The total estimate: the sum of each run's estimate.
  useEffect(() => {
    if (!hasFalKey || runs.length < MIN_RUNS) return setTotal(null);
    let live = true;
    const t = window.setTimeout(() => {
      Promise.all(runs.map((m, i) => api.estimate(m, prompt, values[i] ?? {})))
        .then((rs) => {
          if (!live) return;
          const sum = rs.reduce<number | null>((acc, r) => (acc === null || !r.estimate ? null : acc + r.estimate.usd), 0);
          setTotal(sum);
        })
        .catch(() => live && setTotal(null));
    }, 300);
    return () => {
      live = false;
      window.clearTimeout(t);
    };
  }, [runs, values, prompt, hasFalKey]);

  // Follow the set until every run has ended.
  const follow = (group: string) => {
    if (timer.current) window.clearTimeout(timer.current);
    const tick = async () => {
      try {
        const s = await power.getCompare(group);
        setSet(s);
        if (s.generations.some((g) => !terminal(g.status))) timer.current = window.setTimeout(() => void tick(), 1000);
      } catch (err) {
        setError(messageOf(err, 'The compare could not be loaded.'));
      }
    };
    void tick();
  };
  useEffect(() => {
    if (initialGroup) follow(initialGroup);
    return () => {
      if (timer.current) window.clearTimeout(timer.current);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initialGroup]);

  const start = async () => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const use = {
        ...(refs.length ? { referenceAssetIds: refs.map((r) => r.id) } : {}),
        ...(castIds.length || useDescription ? { cast: castIds, useDescription } : {}),
      };
      const s = await power.compare(
        prompt.trim(),
        runs.map((model, i) => ({ model, params: values[i] ?? {} })),
        use,
      );
      setSet(s);
      follow(s.group);
    } catch (err) {
      setError(messageOf(err, 'The compare could not be started.'));
    } finally {
      setBusy(false);
    }
  };

  const keep = async (winner: Generation) => {
    try {
      await Promise.all(winner.assets.map((a) => api.setFavorite(a.id, true)));
      const others = (set?.generations ?? []).filter((g) => g.id !== winner.id).flatMap((g) => g.assets.map((a) => a.id));
      if (trashOthers && others.length) await api.bulkDelete(others);
      setNotice(trashOthers && others.length ? `Kept ${winner.model}; the other outputs were removed.` : `Kept ${winner.model} as a favourite.`);
      if (set) follow(set.group);
    } catch (err) {
      setError(messageOf(err, 'Keep did not work.'));
    }
  };

  const name = (id: string) => models.find((m) => m.id === id)?.name ?? id;
  const images = (set?.generations ?? []).flatMap((g) => g.assets.filter((a) => a.kind === 'image').slice(0, 1).map((a) => ({ a, g })));
  return (
    <div className="compare">
      <div className="card form-card">
        <h2>Compare models</h2>
        <div className="field">
          <label htmlFor="compare-prompt">Prompt</label>
          <textarea id="compare-prompt" rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} maxLength={10000} placeholder="One prompt for every column…" />
        </div>
        <ol className="compare-runs">
          {runs.map((id, i) => (
            <li key={i}>
              <label htmlFor={`compare-run-${i}`}>Column {i + 1}</label>
              <select
                id={`compare-run-${i}`}
                value={id}
                onChange={(e) => {
                  setRuns(runs.map((r, j) => (j === i ? e.target.value : r)));
                  setValues(runs.map((_, j) => (j === i ? defaultsOf(modelOf(e.target.value)?.params ?? []) : (values[j] ?? {}))));
                }}
              >
                {models.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                    {m.reference && m.reference.min > 0 ? ' (needs reference images)' : ''}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="btn small"
                onClick={() => {
                  setRuns(runs.filter((_, j) => j !== i));
                  setValues(values.filter((_, j) => j !== i));
                }}
                disabled={runs.length <= MIN_RUNS}
                aria-label={`Remove column ${i + 1}`}
              >
                Remove
              </button>
              {withRefs && (
                <span className={`hint ref-badge${modelOf(id)?.reference ? '' : ' no'}`} data-testid={`compare-ref-note-${i}`}>
                  {modelOf(id)?.reference ? '✓' : '✕'} {refNote(modelOf(id)?.reference, refs.length)}
                </span>
              )}
              {(modelOf(id)?.params.length ?? 0) > 0 && (
                <details className="compare-settings">
                  <summary>Settings of column {i + 1}</summary>
                  <ParamsForm idPrefix={`compare-${i}`} params={modelOf(id)?.params ?? []} values={values[i] ?? {}} onChange={(v) => setValues(values.map((x, j) => (j === i ? v : x)))} />
                </details>
              )}
            </li>
          ))}
        </ol>
        <fieldset className="compare-refs">
          <legend>References (optional, up to {MAX_REFS})</legend>
          <p className="hint" id="compare-refs-hint">
            Every column whose model takes reference images gets them; a column whose model takes none cannot run with them.
          </p>
          <div className="thumbs" aria-describedby="compare-refs-hint">
            {refs.map((r, i) => (
              <div className="thumb" key={r.id} data-testid="compare-reference">
                <img src={r.url} alt={`Reference ${i + 1}`} />
                <button type="button" className="thumb-x" aria-label={`Remove reference ${i + 1}`} onClick={() => setRefs(refs.filter((x) => x.id !== r.id))}>
                  ✕
                </button>
              </div>
            ))}
            <button type="button" className="btn small" aria-expanded={choosing} onClick={() => setChoosing(!choosing)}>
              {choosing ? 'Done choosing' : 'Choose reference images…'}
            </button>
          </div>
          {choosing && <ImageChooser label="Your recent images" picked={refs} max={MAX_REFS} onChange={setRefs} />}
        </fieldset>
        <CastChips cast={cast} selected={castIds} reference={castRef} useDescription={useDescription} onChange={setCastIds} onUseDescription={setUseDescription} />
        <div className="row">
          <button
            type="button"
            className="btn small"
            onClick={() => {
              setRuns([...runs, usable[0]?.id ?? '']);
              setValues([...values, defaultsOf(usable[0]?.params ?? [])]);
            }}
            disabled={runs.length >= MAX_RUNS || usable.length === 0}
          >
            Add column
          </button>
          <button type="button" className="btn primary" onClick={() => void start()} disabled={busy || !hasFalKey || !prompt.trim() || runs.length < MIN_RUNS || Boolean(bad) || Boolean(refBlocker) || Boolean(needBlocker)}>
            {busy ? 'Starting…' : `Compare${total !== null ? ` · ~${formatUsd(total)}` : ''}`}
          </button>
        </div>
        {bad && <p className="hint">{bad}</p>}
        {needBlocker && !refBlocker && <p className="hint">{needBlocker}</p>}
        {refBlocker && (
          <p className="hint" role="status" data-testid="compare-ref-blocker">
            {refBlocker}
          </p>
        )}
        <Banner kind="error">{error}</Banner>
        <Banner kind="info">{notice}</Banner>
        {recent.length > 0 && (
          <div className="field">
            <label htmlFor="compare-reopen">Reopen a set</label>
            <select id="compare-reopen" value="" onChange={(e) => e.target.value && follow(e.target.value)}>
              <option value="">Choose an earlier set…</option>
              {recent.map((r) => (
                <option key={r.group} value={r.group}>
                  {r.prompt.slice(0, 60) || '(no prompt)'} — {r.models.length} runs
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      {set && (
        <div className="card">
          <h3>{set.prompt}</h3>
          <label className="check">
            <input type="checkbox" checked={trashOthers} onChange={(e) => setTrashOthers(e.target.checked)} /> Move the others to the trash when keeping one
          </label>
          <div className="compare-grid" data-testid="compare-grid">
            {set.generations.map((g) => (
              <section key={g.id} className="compare-col" aria-label={name(g.model)}>
                <header>
                  <strong>{name(g.model)}</strong>
                  <span className="hint">
                    {g.costUsd !== null && g.costUsd !== undefined ? formatUsd(g.costUsd) : 'no price'}
                    {took(g) ? ` · ${took(g)}` : ''}
                  </span>
                </header>
                {!terminal(g.status) && <p className="hint">{g.status === 'queued' ? 'Queued…' : 'Running…'}</p>}
                {g.status === 'failed' && <p className="banner banner-error">{g.error?.message ?? 'Failed.'}</p>}
                {g.assets.map((a) =>
                  a.kind === 'image' ? (
                    <img key={a.id} src={getAssetUrl(a)} alt={`${name(g.model)}: ${set.prompt}`} />
                  ) : (
                    <video key={a.id} src={getAssetUrl(a)} controls />
                  ),
                )}
                {g.status === 'succeeded' && g.assets.length > 0 && (
                  <button type="button" className="btn small" onClick={() => void keep(g)}>
                    Keep
                  </button>
                )}
              </section>
            ))}
          </div>
          {images.length >= 2 && <Slider a={images[0]} b={images[1]} name={name} />}
        </div>
      )}
    </div>
  );
}

/** Two images laid over each other; the slider shows how much of the second covers the first. */
function Slider({ a, b, name }: { a: { a: { id: string; url: string }; g: Generation }; b: { a: { id: string; url: string }; g: Generation }; name: (id: string) => string }) {
  const [pos, setPos] = useState(50);
  return (
    <div className="compare-slider">
      <div className="overlay">
        <img src={getAssetUrl(a.a)} alt={name(a.g.model)} />
        <img src={getAssetUrl(b.a)} alt={name(b.g.model)} style={{ clipPath: `inset(0 0 0 ${pos}%)` }} />
      </div>
      <label htmlFor="compare-slider">
        {name(a.g.model)} ↔ {name(b.g.model)}
      </label>
      <input id="compare-slider" type="range" min={0} max={100} value={pos} onChange={(e) => setPos(Number(e.target.value))} />
    </div>
  );
}
