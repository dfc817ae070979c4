import { useEffect, useMemo, useState } from 'react';
import { api, type Model } from '../lib/api';
import { CUSTOM } from './useDraft';

const taskLabels: Record<string, string> = {
  'text-to-image': 'Text to image',
  'image-edit': 'Image editing',
  'text-to-video': 'Text to video',
  'image-to-video': 'Image to video',
};

/** The model select (grouped by task), and for a custom fal model its id and JSON input. */
export function ModelPicker({
  models,
  modelId,
  custom,
  customJSON,
  model,
  onModel,
  onCustom,
  onCustomJSON,
}: {
  models: Model[] | null;
  modelId: string;
  custom: string;
  customJSON: string;
  model: Model | null;
  onModel: (id: string) => void;
  onCustom: (id: string) => void;
  onCustomJSON: (json: string) => void;
}) {
  const live = useLiveModels(custom, modelId === CUSTOM);
  const groups = useMemo(() => {
    const g = new Map<string, Model[]>();
    for (const m of models ?? []) g.set(m.task, [...(g.get(m.task) ?? []), m]);
    return g;
  }, [models]);
  return (
    <>
      <div className="field">
        <label htmlFor="model">Model</label>
        {models === null ? (
          <div className="skeleton line" aria-label="Loading models" />
        ) : (
          <select id="model" value={modelId} onChange={(e) => onModel(e.target.value)}>
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
        <>
          <div className="field">
            <label htmlFor="custom-model">Custom model id</label>
            <input
              id="custom-model"
              type="text"
              list="live-models"
              placeholder="owner/app/path, e.g. fal-ai/recraft/v3/text-to-image"
              value={custom}
              onChange={(e) => onCustom(e.target.value)}
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
          <div className="field">
            <label htmlFor="custom-input">Model input (JSON, optional)</label>
            <textarea
              id="custom-input"
              rows={3}
              spellCheck={false}
              placeholder='{"image_size": "square_hd", "num_images": 1}'
              value={customJSON}
              onChange={(e) => onCustomJSON(e.target.value)}
            />
            <small className="hint">
              {model ? 'Fields here override the settings above.' : "Sent to the model as is, with the prompt. See the model's page on fal for its fields."}
            </small>
          </div>
        </>
      )}
    </>
  );
}

/** Suggestions from fal's live catalogue while a custom id is typed. */
function useLiveModels(q: string, active: boolean) {
  const [live, setLive] = useState<{ id: string; name: string; category: string }[]>([]);
  useEffect(() => {
    if (!active) return;
    let stale = false;
    const t = window.setTimeout(() => {
      api
        .searchModels(q.trim())
        .then((r) => !stale && setLive(r.models))
        .catch(() => !stale && setLive([]));
    }, 300);
    return () => {
      stale = true;
      window.clearTimeout(t);
    };
  }, [q, active]);
  return live;
}
