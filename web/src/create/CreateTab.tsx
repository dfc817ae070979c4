import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type ClipboardEvent, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import { api, ApiError, terminal, type Asset, type Model, type Preset, type SeedMode, type User } from '../lib/api';
import { getAssetUrl } from '../lib/assets';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { ParamsForm, defaultsOf, invalidParam, type Locked } from './ParamsForm';
import { References, type Ref, type ReferencesHandle } from './References';
import { ModelPicker } from './ModelPicker';
import { PresetsBar } from './PresetsBar';
import { FormActions } from './FormActions';
import { JobsPanel } from './JobsPanel';
import { Result } from './Result';
import { useModels } from './useModels';
import { useCustomModel } from './useCustomModel';
import { useEstimate } from './useEstimate';
import { EstimateNote } from './EstimateNote';
import { CreateSkeleton } from './CreateSkeleton';
import { SaveToCollection } from '../gallery/SaveToCollection';
import { useJobs } from '../lib/jobs';
import { ImprovePrompt } from './ImprovePrompt';
import { CastChips, MentionSuggestions, useCast } from './CastChips';
import { CUSTOM, DEFAULT_MODEL, buildParams, customPattern, effectiveModelId, presetParams, useDraft, type Draft } from './useDraft';

// Compare is a mode few open: its code loads when it is chosen, not with the first screen.
const ComparePanel = lazy(() => import('./ComparePanel').then((m) => ({ default: m.ComparePanel })));

/** Settings handed over from elsewhere (the gallery's reuse, use as reference, animate). */
export interface CreatePreset {
  model: string; // "" keeps the chosen model (shared text fills the prompt only)
  prompt: string;
  params: Record<string, unknown>;
  reference: string | null; // a fal URL to use as reference
  referencePreview?: string; // the studio's own URL of that image
  animate?: boolean; // open an image-to-video model with the reference
  generationId?: string; // show this generation (a notification's link)
  key: number;
}

/** The selection while a submit is on its way: the result view shows no older job meanwhile. */
const STARTING = '__starting__';

/** The model that animates an image: the first image-to-video model of the catalogue. */
export function animateModel(models: Model[] | null): Model | null {
  return models?.find((m) => m.task === 'image-to-video' && m.reference) ?? null;
}

/** The draft that loads a preset (or a reuse) of a model, curated or custom. */
function draftFor(models: Model[], modelId: string, params: Record<string, unknown>, prompt?: string): Partial<Draft> {
  const known = models.find((m) => m.id === modelId);
  const d: Partial<Draft> = prompt === undefined ? {} : { prompt };
  if (!known) return { ...d, modelId: CUSTOM, custom: modelId, values: {}, refs: [], customJSON: Object.keys(params).length ? JSON.stringify(params, null, 2) : '' };
  const rest = { ...params };
  delete rest.prompt;
  const field = known.reference?.field;
  const refUrls = field ? ([] as unknown[]).concat(rest[field] ?? []).filter((u): u is string => typeof u === 'string') : [];
  if (field) delete rest[field];
  return { ...d, modelId: known.id, values: { ...defaultsOf(known.params), ...rest }, refs: refUrls.map((u) => ({ url: u })) };
}

/**
 * The Create tab: the form (presets, model, prompt, references, settings, actions) beside the
 * chosen result and the jobs panel. The Generate button shows the estimate (costs), unless a
 * `price` is given.
 */
export function CreateTab({ user, preset, onGoAccount, price }: { user: User; preset: CreatePreset | null; onGoAccount: () => void; price?: ReactNode }) {
  const { models, error: loadError } = useModels();
  // A member's policy (SPEC §12.2): its forced params show locked; the server forces them anyway.
  const [locked, setLocked] = useState<Locked>(null);
  useEffect(() => {
    let live = true;
    api
      .me()
      .then((r) => {
        if (live) setLocked(r.policy && Object.keys(r.policy.forcedParams).length > 0 ? { policy: r.policy.name, params: r.policy.forcedParams } : null);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  const [draft, dispatch] = useDraft();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saveTo, setSaveTo] = useState(''); // library: the collection the outputs land in
  const jobs = useJobs();
  const customModel = useCustomModel(draft.custom, draft.modelId === CUSTOM, (m) => dispatch({ type: 'values', values: defaultsOf(m.params) }));
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const refsHandle = useRef<ReferencesHandle>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const submitRef = useRef<(() => void) | null>(null);
  const [mode, setMode] = useState<'single' | 'compare'>('single');
  const cast = useCast();
  const [castIds, setCastIds] = useState<string[]>([]);
  const [useDescription, setUseDescription] = useState(false);

  // Start on the default model (or the first one) with its defaults filled in.
  useEffect(() => {
    if (!models) return;
    const first = models.find((m) => m.id === DEFAULT_MODEL) ?? models[0];
    dispatch(first ? { type: 'model', id: first.id, model: first } : { type: 'model', id: CUSTOM, model: null });
  }, [models, dispatch]);

  const model = useMemo(() => (draft.modelId === CUSTOM ? customModel : (models?.find((m) => m.id === draft.modelId) ?? null)), [models, draft.modelId, customModel]);

  const loadReference = useCallback(
    (ref: Ref, animate: boolean) => {
      if (!models) return;
      setNotice(null);
      const current = draft.modelId === CUSTOM ? customModel : models.find((m) => m.id === draft.modelId);
      if (!animate && current?.reference) {
        // The chosen model takes references: add it (the last one gives way when full).
        const max = current.reference.max;
        const rest = draft.refs.filter((x) => x.url !== ref.url);
        dispatch({ type: 'refs', refs: rest.length < max ? [...rest, ref] : [...rest.slice(0, Math.max(0, max - 1)), ref] });
      } else {
        // Switch to a model that takes references: an animator, else an image editor.
        const target = animate ? animateModel(models) : (models.find((m) => m.reference && m.task === 'image-edit') ?? models.find((m) => m.reference));
        if (!target) return setNotice(animate ? 'None of the available models animates an image.' : 'None of the available models takes a reference image.');
        dispatch({ type: 'load', draft: { modelId: target.id, values: defaultsOf(target.params), refs: [ref], prompt: '' } });
      }
      promptRef.current?.focus();
    },
    [models, customModel, draft.modelId, draft.refs, dispatch],
  );

  // Settings handed over from the gallery: reuse, use as reference, animate.
  useEffect(() => {
    if (!preset || !models) return;
    if (preset.generationId) {
      const id = preset.generationId;
      setSelectedId(id);
      api
        .generation(id)
        .then((r) => jobs.upsert(r.generation))
        .catch(() => setNotice('That generation was not found.'));
      return;
    }
    if (preset.reference) loadReference({ url: preset.reference, preview: preset.referencePreview }, Boolean(preset.animate));
    else if (!preset.model) dispatch({ type: 'load', draft: { prompt: preset.prompt } }); // shared text: the prompt only
    else dispatch({ type: 'load', draft: draftFor(models, preset.model, preset.params ?? {}, preset.prompt) });
    promptRef.current?.focus();
    // Runs for a new hand-over only; it reads the model chosen at that moment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [preset, models]);

  // Without a choice the newest running job is shown, and stays shown when it ends; a reload
  // with every job finished shows none (no original is loaded unasked).
  const firstActive = jobs.jobs.find((g) => !terminal(g.status))?.id ?? null;
  useEffect(() => {
    if (selectedId === null && firstActive) setSelectedId(firstActive);
  }, [selectedId, firstActive]);

  const applyPreset = (p: Preset) => models && dispatch({ type: 'load', draft: draftFor(models, p.model, p.params ?? {}) });

  const effectiveId = effectiveModelId(draft);
  const estimate = useEstimate({
    model: effectiveId,
    prompt: draft.prompt,
    values: draft.values,
    customJSON: draft.modelId === CUSTOM ? draft.customJSON : '',
    enabled: user.hasFalKey && customPattern.test(effectiveId),
    refresh: selectedId,
  });
  const ref = model?.reference ?? null;
  // Cast members picked as chips or mentioned as @name fill the reference field too.
  const mentioned = cast.filter((m) => new RegExp(`(^|[^\\p{L}\\p{N}_])@${m.name}($|[^\\p{L}\\p{N}_-])`, 'iu').test(draft.prompt));
  const castPictures = [...new Set([...castIds, ...mentioned.map((m) => m.id)])]
    .map((id) => cast.find((m) => m.id === id)?.images.length ?? 0)
    .reduce((a, b) => a + b, 0);
  const refCount = draft.refs.length + (ref ? Math.min(castPictures, ref.max - draft.refs.length) : 0);
  const castUse = castIds.length || useDescription ? { cast: castIds, useDescription } : {};
  let blocker: string | null = null;
  if (!user.hasFalKey) blocker = 'Save your fal API key in Account to start generating.';
  else if (draft.modelId === CUSTOM && !customPattern.test(effectiveId)) blocker = 'Enter a fal model id like fal-ai/flux/dev.';
  else if (model?.promptRequired && !draft.prompt.trim()) blocker = 'Write a prompt.';
  else if (castIds.length > 0 && !ref) blocker = 'This model takes no reference images; remove the cast chips or choose another model.';
  else if (ref && refCount < ref.min) blocker = `Add ${ref.min === 1 ? 'a reference image' : `${ref.min} reference images`}.`;
  else if (ref && draft.refs.length > ref.max) blocker = `This model takes at most ${ref.max} reference images.`;
  else if (model && invalidParam(model.params, draft.values)) blocker = invalidParam(model.params, draft.values);

  const submit = async (count: number, seeds: SeedMode): Promise<string | null> => {
    try {
      return await start(count, seeds);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'budget_exceeded') {
        estimate.refuse(err.message); // its own banner (costs)
        return null;
      }
      throw err;
    }
  };
  const start = async (count: number, seeds: SeedMode): Promise<string | null> => {
    const params = buildParams(draft, model);
    const prompt = draft.prompt.trim();
    let partial: string | null = null;
    // The result view waits for the new job (the running ones stay in the panel).
    const before = selectedId;
    setSelectedId(STARTING);
    try {
      partial = await send(count, seeds, params, prompt);
    } catch (err) {
      setSelectedId(before);
      throw err;
    }
    // On a phone the result sits below the form: bring it into view.
    if (window.matchMedia?.('(max-width: 640px)').matches) resultRef.current?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
    return partial;
  };
  const send = async (count: number, seeds: SeedMode, params: Record<string, unknown>, prompt: string): Promise<string | null> => {
    let partial: string | null = null;
    if (count > 1) {
      const r = await api.generateVariations(effectiveId, prompt, params, count, seeds, saveTo, castUse);
      jobs.upsert(...r.generations);
      setSelectedId(r.generation.id);
      if (r.error) partial = `${r.generations.length} of ${count} variations started. ${r.error.message}`;
    } else {
      const r = await api.generate(effectiveId, prompt, params, saveTo, castUse);
      jobs.upsert(r.generation);
      setSelectedId(r.generation.id);
    }
    return partial;
  };

  const animate = async (a: Asset) => {
    try {
      const r = await api.uploadAsset(a.id);
      loadReference({ url: r.url, preview: getAssetUrl(a) }, true);
    } catch (err) {
      setNotice(messageOf(err, 'The image could not be prepared for animation.'));
    }
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submitRef.current?.();
    }
  };
  // An image pasted or dropped anywhere in Create becomes a reference.
  const onPaste = (e: ClipboardEvent) => {
    const files = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
    if (files.length === 0) return;
    e.preventDefault();
    if (!ref) return setNotice('This model takes no reference image; choose an image-editing or image-to-video model first.');
    void refsHandle.current?.add(files);
  };
  const onDrop = (e: DragEvent) => {
    if (!e.dataTransfer?.types?.length) return;
    e.preventDefault();
    if (!ref) return setNotice('This model takes no reference image; choose an image-editing or image-to-video model first.');
    void refsHandle.current?.drop(e.dataTransfer);
  };

  if (models === null && !loadError) return <CreateSkeleton />;
  // The chosen job, else the newest: a new submit selects itself, the running ones stay listed.
  const shown = selectedId === STARTING ? null : ((selectedId ? jobs.byId[selectedId] : undefined) ?? null);
  const canAnimate = animateModel(models) !== null;
  const modeSwitch = (
    <div className="mode-switch" role="group" aria-label="Create mode">
      <button type="button" className={`btn small${mode === 'single' ? ' primary' : ''}`} aria-pressed={mode === 'single'} onClick={() => setMode('single')}>
        One model
      </button>
      <button type="button" className={`btn small${mode === 'compare' ? ' primary' : ''}`} aria-pressed={mode === 'compare'} onClick={() => setMode('compare')}>
        Compare
      </button>
    </div>
  );
  if (mode === 'compare' && models)
    return (
      <div>
        {modeSwitch}
        <Suspense fallback={<p className="muted">Loading Compare…</p>}>
          <ComparePanel models={models} hasFalKey={user.hasFalKey} />
        </Suspense>
      </div>
    );
  return (
    <div className="create-grid" onKeyDown={onKey} onPaste={onPaste}>
      <div className="card form-card" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
        {modeSwitch}
        <h2>Create</h2>
        <Banner kind="error">{loadError}</Banner>
        <PresetsBar current={() => (effectiveId ? { model: effectiveId, params: safePresetParams(draft, model) } : null)} onApply={applyPreset} />
        <ModelPicker
          models={draft.ready ? models : loadError ? [] : null}
          modelId={draft.modelId}
          custom={draft.custom}
          customJSON={draft.customJSON}
          model={model}
          onModel={(id) => dispatch({ type: 'model', id, model: models?.find((m) => m.id === id) ?? null })}
          onCustom={(custom) => dispatch({ type: 'custom', custom })}
          onCustomJSON={(json) => dispatch({ type: 'customJSON', json })}
        />
        <div className="field">
          <label htmlFor="prompt">Prompt</label>
          <textarea
            id="prompt"
            ref={promptRef}
            rows={4}
            placeholder={
              model?.task === 'image-edit'
                ? 'Describe the change, e.g. "make the sky stormy"'
                : model?.task === 'image-to-video'
                  ? 'Describe the motion, e.g. "slow push-in, leaves drifting"'
                  : 'Describe what you want to see…'
            }
            value={draft.prompt}
            onChange={(e) => dispatch({ type: 'prompt', prompt: e.target.value })}
            maxLength={10000}
          />
          <MentionSuggestions prompt={draft.prompt} cast={cast} onPick={(p) => dispatch({ type: 'prompt', prompt: p })} />
          <ImprovePrompt prompt={draft.prompt} model={effectiveId} disabled={!user.hasFalKey} onAccept={(p) => dispatch({ type: 'prompt', prompt: p })} />
        </div>
        {ref && <References handle={refsHandle} refs={draft.refs} min={ref.min} max={ref.max} multiple={ref.multiple} onChange={(refs) => dispatch({ type: 'refs', refs })} />}
        <CastChips cast={cast} selected={castIds} reference={ref} useDescription={useDescription} onChange={setCastIds} onUseDescription={setUseDescription} />
        {model && <ParamsForm params={model.params} values={draft.values} locked={locked} onChange={(values) => dispatch({ type: 'values', values })} />}
        <SaveToCollection value={saveTo} onChange={setSaveTo} />
        <Banner kind="info">{notice}</Banner>
        <FormActions
          blocker={blocker}
          hasSeed={Boolean(model?.params.some((p) => p.name === 'seed'))}
          price={price ?? estimate.label}
          needsKey={!user.hasFalKey}
          onGoAccount={onGoAccount}
          onSubmit={submit}
          actionRef={submitRef}
        />
        <EstimateNote estimate={estimate} onGoAccount={onGoAccount} />
      </div>
      <div className="result-column">
        <div className="card result-card" aria-live="polite" ref={resultRef}>
          <Result
            gen={shown}
            note={shown ? (jobs.notes[shown.id] ?? null) : null}
            onCancel={() => shown && void jobs.cancel(shown.id)}
            onAnimate={canAnimate ? (a) => void animate(a) : null}
            waitingForFal={jobs.waitingForFal}
            onRunAgain={() => {
              if (!shown) return;
              api
                .runAgain(shown)
                .then((r) => {
                  jobs.upsert(r.generation);
                  setSelectedId(r.generation.id);
                })
                .catch((err) => setNotice(messageOf(err, 'The generation could not be started again.')));
            }}
          />
        </div>
        <JobsPanel jobs={jobs.jobs} selectedId={shown?.id ?? null} onSelect={setSelectedId} onCancel={(id) => void jobs.cancel(id)} live={jobs.live} waitingForFal={jobs.waitingForFal} />
      </div>
    </div>
  );
}

/** A preset of a draft whose custom JSON does not parse keeps the form's values only. */
function safePresetParams(d: Draft, model: Model | null) {
  try {
    return presetParams(d, model);
  } catch {
    return presetParams({ ...d, customJSON: '' }, model);
  }
}
