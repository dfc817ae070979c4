import { useEffect, useMemo, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import { api, ApiError, terminal, type Generation, type Model, type User } from '../lib/api';
import { getAssetUrl, getPrimaryResult } from '../lib/assets';
import { Banner } from '../components/Banner';
import { ParamsForm, defaultsOf, invalidParam, type Values } from './ParamsForm';
import { References, type Ref, type ReferencesHandle } from './References';
import { useElapsed, useGeneration } from './useGeneration';
import { SaveToCollection } from '../gallery/SaveToCollection';
import { useEstimate } from './useEstimate';
import { EstimateNote } from './EstimateNote';
import { CreateSkeleton } from './CreateSkeleton';

export interface CreatePreset {
  model: string;
  prompt: string;
  params: Record<string, unknown>;
  reference: string | null; // a fal URL to use as reference
  referencePreview?: string; // the studio's own URL of that image
  key: number;
}

const taskLabels: Record<string, string> = {
  'text-to-image': 'Text to image',
  'image-edit': 'Image editing',
  'text-to-video': 'Text to video',
  'image-to-video': 'Image to video',
};
const CUSTOM = '__custom__';
const DEFAULT_MODEL = 'fal-ai/flux/schnell';
const customPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,63}){1,5}$/;

export function CreateTab({ user, preset, onGoAccount }: { user: User; preset: CreatePreset | null; onGoAccount: () => void }) {
  const [models, setModels] = useState<Model[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [modelId, setModelId] = useState(DEFAULT_MODEL);
  const [custom, setCustom] = useState('');
  const [live, setLive] = useState<{ id: string; name: string; category: string }[]>([]);
  const [customJSON, setCustomJSON] = useState('');
  const [customModel, setCustomModel] = useState<Model | null>(null);
  const [prompt, setPrompt] = useState('');
  const [values, setValues] = useState<Values>({});
  const [refs, setRefs] = useState<Ref[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<Generation | null>(null);
  const [gen, setGen] = useGeneration(started);
  const [cancelMsg, setCancelMsg] = useState<string | null>(null);
  const [others, setOthers] = useState<string[]>([]); // other generations still running
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const refsHandle = useRef<ReferencesHandle>(null);
  const [saveTo, setSaveTo] = useState(''); // library: the collection the outputs land in
  const resultRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    api
      .models()
      .then((r) => {
        setModels(r.models);
        // Start on the default model (or the first one) with its defaults filled in.
        const first = r.models.find((m) => m.id === DEFAULT_MODEL) ?? r.models[0];
        if (first) {
          setModelId(first.id);
          setValues(defaultsOf(first.params));
        } else {
          setModelId(CUSTOM);
        }
      })
      .catch((e) => setLoadError(e instanceof ApiError ? e.message : 'Models could not be loaded.'));
    // Resume what is still running (newest first).
    api
      .activeGenerations()
      .then((r) => {
        if (r.generations.length > 0) {
          setStarted((cur) => cur ?? r.generations[0]);
          setOthers(r.generations.slice(1).map((g) => g.id));
        }
      })
      .catch(() => {});
  }, []);

  // Suggestions from fal's live catalogue while a custom id is typed.
  useEffect(() => {
    if (modelId !== CUSTOM) return;
    const q = custom.trim();
    const t = window.setTimeout(() => {
      api
        .searchModels(q)
        .then((r) => setLive(r.models))
        .catch(() => setLive([]));
    }, 300);
    return () => window.clearTimeout(t);
  }, [custom, modelId]);

  // A custom id's input schema, when fal has one, becomes the same form as a curated model's.
  useEffect(() => {
    setCustomModel(null);
    const id = custom.trim();
    if (modelId !== CUSTOM || !customPattern.test(id)) return;
    const t = window.setTimeout(() => {
      api
        .modelSchema(id)
        .then((r) => {
          setCustomModel(r.model);
          setValues(defaultsOf(r.model.params));
        })
        .catch(() => setCustomModel(null));
    }, 400);
    return () => window.clearTimeout(t);
  }, [custom, modelId]);

  // Keep the count of other running generations current while there are any.
  const shownId = gen?.id;
  useEffect(() => {
    if (others.length === 0) return;
    const t = window.setInterval(() => {
      api
        .activeGenerations()
        .then((r) => setOthers(r.generations.map((g) => g.id).filter((id) => id !== shownId)))
        .catch(() => {});
    }, 5000);
    return () => window.clearInterval(t);
  }, [others.length, shownId]);

  const showOther = async () => {
    const next = others[0];
    if (!next) return;
    try {
      const r = await api.generation(next);
      setOthers((o) => [...o.filter((id) => id !== next), ...(gen && !terminal(gen.status) ? [gen.id] : [])]);
      setCancelMsg(null);
      setStarted(r.generation);
    } catch {
      setOthers((o) => o.filter((id) => id !== next));
    }
  };

  const model = useMemo(
    () => (modelId === CUSTOM ? customModel : models?.find((m) => m.id === modelId) ?? null),
    [models, modelId, customModel],
  );

  // Reuse settings / use as reference from the gallery.
  useEffect(() => {
    if (!preset || !models) return;
    setError(null);
    const known = models.find((m) => m.id === preset.model);
    if (preset.reference) {
      const ref: Ref = { url: preset.reference, preview: preset.referencePreview };
      const current = modelId === CUSTOM ? customModel : models.find((m) => m.id === modelId);
      if (current?.reference) {
        // The chosen model takes references: add it (the last one gives way when full).
        const max = current.reference.max;
        setRefs((r) => {
          const rest = r.filter((x) => x.url !== ref.url);
          return rest.length < max ? [...rest, ref] : [...rest.slice(0, Math.max(0, max - 1)), ref];
        });
      } else {
        // Switch to a model that takes references: the asset's own, else an image editor.
        const target = (known?.reference ? known : null) ?? models.find((m) => m.reference && m.task === 'image-edit') ?? models.find((m) => m.reference);
        if (!target) {
          setError('None of the available models takes a reference image.');
          return;
        }
        setModelId(target.id);
        setRefs([ref]);
        setPrompt('');
        setValues(defaultsOf(target.params));
      }
      promptRef.current?.focus();
      return;
    }
    if (known) {
      setModelId(known.id);
      const { prompt: _p, ...rest } = { ...(preset.params ?? {}) } as Record<string, unknown>;
      void _p;
      const field = known.reference?.field;
      const refUrls = field ? ([] as unknown[]).concat(rest[field] ?? []).filter((u): u is string => typeof u === 'string') : [];
      if (field) delete rest[field];
      setRefs(refUrls.map((u) => ({ url: u })));
      setValues({ ...defaultsOf(known.params), ...rest });
    } else {
      setModelId(CUSTOM);
      setCustom(preset.model);
      setValues({});
      setRefs([]);
      setCustomJSON(Object.keys(preset.params ?? {}).length ? JSON.stringify(preset.params, null, 2) : '');
    }
    setPrompt(preset.prompt);
    promptRef.current?.focus();
    // Runs for a new preset only; it reads the model chosen at that moment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [preset, models]);

  const chooseModel = (id: string) => {
    setModelId(id);
    const m = models?.find((x) => x.id === id);
    setValues(defaultsOf(m?.params ?? []));
    setRefs((r) => (m?.reference ? r.slice(0, m.reference.max) : []));
  };

  const groups = useMemo(() => {
    const g = new Map<string, Model[]>();
    for (const m of models ?? []) g.set(m.task, [...(g.get(m.task) ?? []), m]);
    return g;
  }, [models]);

  const effectiveId = modelId === CUSTOM ? custom.trim() : modelId;
  const estimate = useEstimate({ model: effectiveId, prompt, values, customJSON: modelId === CUSTOM ? customJSON : '', enabled: user.hasFalKey && customPattern.test(effectiveId), refresh: started?.id });
  const refMin = model?.reference?.min ?? 0;
  const active = gen !== null && !terminal(gen.status);
  let blocker: string | null = null;
  if (!user.hasFalKey) blocker = 'Save your fal API key in Account to start generating.';
  else if (modelId === CUSTOM && !customPattern.test(effectiveId)) blocker = 'Enter a fal model id like fal-ai/flux/dev.';
  else if (model?.promptRequired && !prompt.trim()) blocker = 'Write a prompt.';
  else if (refs.length < refMin) blocker = `Add ${refMin === 1 ? 'a reference image' : `${refMin} reference images`}.`;
  else if (model && invalidParam(model.params, values)) blocker = invalidParam(model.params, values);

  const generate = async () => {
    if (blocker || busy) return;
    setBusy(true);
    setError(null);
    setCancelMsg(null);
    if (gen && !terminal(gen.status)) setOthers((o) => [...o, gen.id]); // it keeps running
    setStarted(null); // the previous result gives way at once
    let params: Record<string, unknown> = { ...values };
    if (modelId === CUSTOM && customJSON.trim()) {
      try {
        const parsed: unknown = JSON.parse(customJSON);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        params = { ...params, ...(parsed as Record<string, unknown>) }; // the JSON wins over the form
      } catch {
        setBusy(false);
        setError('The model input must be a JSON object, e.g. {"image_size": "square_hd"}.');
        return;
      }
    }
    if (model?.reference && refs.length) {
      params[model.reference.field] = model.reference.field.endsWith('s') ? refs.map((r) => r.url) : refs[0].url;
    }
    try {
      const r = await api.generate(effectiveId, prompt.trim(), params, saveTo);
      setStarted(r.generation);
      // On a phone the result sits below the form: bring it into view.
      if (window.matchMedia?.('(max-width: 640px)').matches) resultRef.current?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'budget_exceeded') estimate.refuse(err.message); // its own banner (costs)
      else setError(err instanceof ApiError ? err.message : 'The generation could not be started.');
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    if (!gen) return;
    try {
      const r = await api.cancel(gen.id);
      setGen(r.generation);
      setCancelMsg(r.cancel?.message ?? null);
    } catch (err) {
      setCancelMsg(err instanceof ApiError ? err.message : 'Cancel failed.');
    }
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void generate();
    }
  };

  // An image pasted anywhere in Create (e.g. into the prompt) becomes a reference.
  const onPaste = (e: ClipboardEvent) => {
    if (!model?.reference) return;
    const files = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
    if (files.length === 0) return;
    e.preventDefault();
    void refsHandle.current?.add(files);
  };

  if (models === null && !loadError) return <CreateSkeleton />;
  return (
    <div className="create-grid" onKeyDown={onKey} onPaste={onPaste}>
      <div className="card form-card">
        <h2>Create</h2>
        <Banner kind="error">{loadError}</Banner>
        <div className="field">
          <label htmlFor="model">Model</label>
          {models === null && !loadError ? (
            <div className="skeleton line" aria-label="Loading models" />
          ) : (
            <select id="model" value={modelId} onChange={(e) => chooseModel(e.target.value)}>
              {[...groups.entries()].map(([task, list]) => (
                <optgroup key={task} label={taskLabels[task] ?? task}>
                  {list.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </optgroup>
              ))}
              <optgroup label="Other">
                <option value={CUSTOM}>Custom fal model id…</option>
              </optgroup>
            </select>
          )}
          {model && <small className="hint">{model.description}</small>}
        </div>
        {modelId === CUSTOM && (
          <div className="field">
            <label htmlFor="custom-model">Custom model id</label>
            <input
              id="custom-model"
              type="text"
              list="live-models"
              placeholder="owner/app/path, e.g. fal-ai/recraft/v3/text-to-image"
              value={custom}
              onChange={(e) => setCustom(e.target.value)}
              spellCheck={false}
              aria-describedby="custom-model-hint"
            />
            <datalist id="live-models">
              {live.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                  {m.category ? ` · ${m.category}` : ''}
                </option>
              ))}
            </datalist>
            <small id="custom-model-hint" className="hint">
              Type to search fal's catalogue, or paste any model id.
            </small>
          </div>
        )}
        {modelId === CUSTOM && (
          <div className="field">
            <label htmlFor="custom-input">Model input (JSON, optional)</label>
            <textarea
              id="custom-input"
              rows={3}
              spellCheck={false}
              placeholder='{"image_size": "square_hd", "num_images": 1}'
              value={customJSON}
              onChange={(e) => setCustomJSON(e.target.value)}
            />
            <small className="hint">
              {customModel ? 'Fields here override the settings above.' : "Sent to the model as is, with the prompt. See the model's page on fal for its fields."}
            </small>
          </div>
        )}
        <div className="field">
          <label htmlFor="prompt">Prompt</label>
          <textarea
            id="prompt"
            ref={promptRef}
            rows={4}
            placeholder={model?.task === 'image-edit' ? 'Describe the change, e.g. "make the sky stormy"' : 'Describe what you want to see…'}
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
            maxLength={10000}
          />
        </div>
        {model?.reference && <References handle={refsHandle} refs={refs} min={model.reference.min} max={model.reference.max} onChange={setRefs} />}
        {model && <ParamsForm params={model.params} values={values} onChange={setValues} />}
        <SaveToCollection value={saveTo} onChange={setSaveTo} />
        <Banner kind="error">{error}</Banner>
        <div className="row">
          <button className="btn primary" type="button" onClick={generate} disabled={Boolean(blocker) || busy} aria-keyshortcuts="Control+Enter Meta+Enter">
            {busy ? 'Starting…' : `Generate${estimate.label}`}
          </button>
          <small className="hint">Ctrl/⌘ + Enter</small>
        </div>
        <EstimateNote estimate={estimate} onGoAccount={onGoAccount} />
        {blocker && (
          <p className="hint" data-testid="generate-hint">
            {blocker}{' '}
            {!user.hasFalKey && (
              <button type="button" className="link" onClick={onGoAccount}>
                Go to Account
              </button>
            )}
          </p>
        )}
      </div>
      <div className="card result-card" aria-live="polite" ref={resultRef}>
        <Result gen={gen} active={active} onCancel={cancel} cancelMsg={cancelMsg} />
        {others.length > 0 && (
          <p className="hint others" data-testid="others-running">
            {others.length === 1 ? 'One more generation is' : `${others.length} more generations are`} still running; results appear in
            your Gallery.{' '}
            <button type="button" className="link" onClick={showOther}>
              Show {others.length === 1 ? 'it' : 'the next'}
            </button>
          </p>
        )}
      </div>
    </div>
  );
}

const statusText: Record<string, string> = {
  queued: 'Queued',
  running: 'Generating',
  saving: 'Saving to your library',
  succeeded: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
};

function Result({ gen, active, onCancel, cancelMsg }: { gen: Generation | null; active: boolean; onCancel: () => void; cancelMsg: string | null }) {
  const elapsed = useElapsed(gen?.createdAt, active);
  const took = gen?.completedAt ? Math.max(0, Math.round((Date.parse(gen.completedAt) - Date.parse(gen.createdAt)) / 1000)) : null;
  if (!gen) {
    return (
      <div className="empty">
        <div className="empty-art" aria-hidden="true">
          ✦
        </div>
        <p>Your result appears here. Everything you make is kept in your Gallery.</p>
      </div>
    );
  }
  const primary = getPrimaryResult(gen);
  return (
    <div className="result">
      <div className="status-line">
        <span className={`pill pill-${gen.status}`} data-testid="generation-status" data-generation-id={gen.id}>
          {statusText[gen.status] ?? gen.status}
        </span>
        {gen.status === 'queued' && gen.queuePosition !== null && <span className="muted">Position in queue: {gen.queuePosition}</span>}
        {active && (
          <span className="muted" data-testid="elapsed">
            {formatSeconds(elapsed)}
          </span>
        )}
        {!active && gen.status === 'succeeded' && took !== null && <span className="muted">in {formatSeconds(took)}</span>}
        {active && (gen.status === 'queued' || gen.status === 'running') && (
          <button className="btn small" type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {cancelMsg && <Banner kind="info">{cancelMsg}</Banner>}
      {gen.notice && <Banner kind="warning">Notice: {gen.notice}. The file is safe on the studio's disk and will move to object storage when it is back.</Banner>}
      {gen.error && <Banner kind="error">{gen.error.message}</Banner>}
      {active && (
        <>
          <div className="skeleton media-skeleton" aria-label="Working" />
          {gen.logs.length > 0 && (
            <pre className="logs" aria-label="Latest log lines">
              {gen.logs.slice(-5).map((l) => l.message).join('\n')}
            </pre>
          )}
        </>
      )}
      {primary && (
        <div className={gen.assets.length > 1 ? 'result-grid multi' : 'result-grid'}>
          {gen.assets.map((a) =>
            a.kind === 'video' ? (
              <video key={a.id} src={getAssetUrl(a)} controls playsInline className="result-media" data-testid="result-media" />
            ) : a.kind === 'audio' ? (
              <audio key={a.id} src={getAssetUrl(a)} controls data-testid="result-media" />
            ) : (
              <a key={a.id} href={getAssetUrl(a)} target="_blank" rel="noreferrer">
                <img src={getAssetUrl(a)} alt={gen.prompt || 'Generated image'} className="result-media" data-testid="result-media" />
              </a>
            ),
          )}
        </div>
      )}
    </div>
  );
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m ${String(s % 60).padStart(2, '0')}s`;
}
