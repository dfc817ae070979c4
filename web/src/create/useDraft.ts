import { useReducer } from 'react';
import type { Model } from '../lib/api';
import { UserError } from '../lib/useAction';
import { defaultsOf, type Values } from './ParamsForm';
import type { Ref } from './References';

export const CUSTOM = '__custom__';
export const DEFAULT_MODEL = 'fal-ai/flux/schnell';
export const customPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,63}){1,5}$/;

/** Everything the Create form is about to send, as one value. */
export interface Draft {
  modelId: string; // a curated model id, or CUSTOM
  custom: string; // the custom model id typed
  customJSON: string;
  prompt: string;
  values: Values;
  refs: Ref[];
  ready: boolean; // a model has been chosen (the form shows once it is)
}

export type DraftAction =
  | { type: 'model'; id: string; model: Model | null } // a curated model (or CUSTOM) picked
  | { type: 'custom'; custom: string }
  | { type: 'customJSON'; json: string }
  | { type: 'prompt'; prompt: string }
  | { type: 'values'; values: Values }
  | { type: 'refs'; refs: Ref[] }
  | { type: 'load'; draft: Partial<Draft> }; // a preset, a reuse, an animate

export const emptyDraft: Draft = { modelId: DEFAULT_MODEL, custom: '', customJSON: '', prompt: '', values: {}, refs: [], ready: false };

export function draftReducer(d: Draft, a: DraftAction): Draft {
  switch (a.type) {
    case 'model':
      // References stay while the new model takes them (up to its count).
      return { ...d, ready: true, modelId: a.id, values: defaultsOf(a.model?.params ?? []), refs: a.model?.reference ? d.refs.slice(0, a.model.reference.max) : a.id === CUSTOM ? d.refs : [] };
    case 'custom':
      return { ...d, custom: a.custom };
    case 'customJSON':
      return { ...d, customJSON: a.json };
    case 'prompt':
      return { ...d, prompt: a.prompt };
    case 'values':
      return { ...d, values: a.values };
    case 'refs':
      return { ...d, refs: a.refs };
    case 'load':
      return { ...d, ...a.draft, ready: true };
  }
}

export function useDraft() {
  return useReducer(draftReducer, emptyDraft);
}

/** The model id the draft runs. */
export function effectiveModelId(d: Draft): string {
  return d.modelId === CUSTOM ? d.custom.trim() : d.modelId;
}

/** The params to send: the form's values, the custom JSON over them, and the references. */
export function buildParams(d: Draft, model: Model | null): Record<string, unknown> {
  let params: Record<string, unknown> = { ...d.values };
  if (d.modelId === CUSTOM && d.customJSON.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(d.customJSON);
    } catch {
      parsed = null;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new DraftError('The model input must be a JSON object, e.g. {"image_size": "square_hd"}.');
    }
    params = { ...params, ...(parsed as Record<string, unknown>) }; // the JSON wins over the form
  }
  const ref = model?.reference;
  if (ref && d.refs.length) params[ref.field] = ref.multiple ? d.refs.map((r) => r.url) : d.refs[0].url;
  return params;
}

/** The settings a preset keeps: the params without the reference images (their URLs expire). */
export function presetParams(d: Draft, model: Model | null): Record<string, unknown> {
  const p = buildParams({ ...d, refs: [] }, model);
  if (model?.reference) delete p[model.reference.field];
  return p;
}

/** A draft that cannot be sent, with the sentence that says why. */
export class DraftError extends UserError {}
