// The one typed client of the studio's HTTP API (shared/SPEC.md §3). Same origin, cookie session.

export type Role = 'admin' | 'member';

export interface User {
  id: number;
  email: string;
  hasFalKey: boolean;
  role: Role;
}

/** An account as the Admin tab lists it (SPEC §6 AdminUser). */
export interface AdminUser {
  id: number;
  email: string;
  role: Role;
  disabled: boolean;
  hasFalKey: boolean;
  createdAt: string;
  lastSeenAt: string | null;
  generations: number;
  assets: number;
  bytes: number;
  spentThisMonthUsd: number;
  monthlyBudgetUsd: number | null;
  /** SPEC §12: the policy an admin assigned (null for none) and whether SSO is linked. */
  policyId?: string | null;
  ssoLinked?: boolean;
}

/** Single sign-on as /api/status describes it (SPEC §12.1). */
export interface OIDCStatus {
  enabled: boolean;
  label: string;
  passwordLogin: boolean;
}

/** What a member's policy forces and allows, as GET /api/me tells them (never the blocked terms). */
export interface MyPolicy {
  name: string;
  forcedParams: Record<string, unknown>;
  allowedModels: string[] | null;
  hideFlagged: boolean;
}

/** GET /api/me: the User and what only the person sees. */
export interface Me {
  user: User;
  hasPassword: boolean;
  sso: { issuer: string; linkedAt: string } | null;
  policy: MyPolicy | null;
}

/** A policy as admins edit it (SPEC §12.2). */
export interface Policy {
  id: string;
  name: string;
  forcedParams: Record<string, unknown>;
  allowedModels: string[] | null;
  blockedTerms: string[];
  hideFlagged: boolean;
  userCount: number;
  createdAt: string;
  updatedAt: string;
}

export type PolicyInput = Partial<Pick<Policy, 'name' | 'forcedParams' | 'allowedModels' | 'blockedTerms' | 'hideFlagged'>>;

export type InviteState = 'pending' | 'used' | 'expired' | 'revoked';

export interface Invite {
  id: number;
  email: string | null;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  usedBy: string | null;
  revoked: boolean;
  state: InviteState;
}

export interface AuditEvent {
  id: number;
  time: string;
  actor: { id: number; email: string } | null;
  action: string;
  target: { type: string; id: string } | null;
  ip: string;
  detail: Record<string, unknown>;
}

export type SignupMode = 'open' | 'invite' | 'closed';

export type Kind = 'image' | 'video' | 'audio';

export interface Asset {
  id: string;
  /** null for an asset no job made (a saved frame, an import, a shared file imported). */
  generationId: string | null;
  model: string;
  prompt: string;
  kind: Kind;
  url: string;
  contentType: string;
  bytes: number;
  width: number | null;
  height: number | null;
  storage: 's3' | 'local';
  params: Record<string, unknown>;
  createdAt: string;
  favorite?: boolean;
  collectionIds?: string[];
  /** A ≤512 px JPEG preview (a poster for videos); null until it exists. */
  thumbUrl?: string | null;
  /** What it was made from (SPEC §13.2); missing: that asset is in the trash or gone. */
  parent?: { assetId: string; relation: string; missing?: boolean } | null;
  /** Both set while the asset is in the trash (SPEC §13.1). */
  trashedAt?: string | null;
  purgeAt?: string | null;
  /** The stored original holds a C2PA manifest (SPEC §13.3). */
  contentCredentials?: { present: boolean };
  /** Shared by the clips of one extend chain (SPEC §15.6). */
  sequenceId?: string | null;
  /** fal flagged this output as unsafe (has_nsfw_concepts). */
  flagged?: boolean;
}

/** A page of the trash, with how long it keeps things (0: deletes are immediate). */
export interface TrashPage {
  assets: Asset[];
  nextCursor: string | null;
  retentionSeconds: number;
}

/** A video's sprite of frames (SPEC §15.8). */
export interface Filmstrip {
  url: string;
  count: number;
  frameWidth: number;
  frameHeight: number;
  durationSeconds: number;
  times: number[];
}

export type Status = 'queued' | 'running' | 'saving' | 'succeeded' | 'failed' | 'canceled';

export interface Generation {
  id: string;
  model: string;
  prompt: string;
  params: Record<string, unknown>;
  status: Status;
  queuePosition: number | null;
  logs: { time: string; message: string }[];
  error: { code: string; message: string } | null;
  notice: string | null;
  assets: Asset[];
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** The cast members it used (SPEC §14). */
  cast?: string[];
  /** The estimate recorded at submit; 0 once failed or canceled; null when fal had no price. */
  costUsd?: number | null;
  costSource?: 'estimate' | 'billed' | 'not_billed' | null;
  group?: string | null; // the variations of one submit, or a compare's runs, share it
  referenceAssetIds?: string[];
  relation?: string | null;
  /** The personal access token that made it (REST or MCP), by its name at submit time. */
  via?: { tokenId: string; name: string } | null;
}

/** Personal access tokens (SPEC §11). */
export type Scope = 'generate' | 'library:read' | 'library:write' | 'share';
export const SCOPES: { scope: Scope; label: string }[] = [
  { scope: 'generate', label: 'Generate (models, estimates, generations, uploads)' },
  { scope: 'library:read', label: 'Read the library (assets, collections, export)' },
  { scope: 'library:write', label: 'Change the library (favourites, collections, deletes)' },
  { scope: 'share', label: 'Share links' },
];

export interface Token {
  id: string;
  name: string;
  scopes: Scope[];
  monthlyCapUsd: number | null;
  spentThisMonthUsd: number;
  models: string[] | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  prefix: string;
}

export interface NewToken {
  name: string;
  scopes: Scope[];
  monthlyCapUsd?: number | null;
  expiresAt?: string | null;
  models?: string[] | null;
}

/** Saved model settings (SPEC §10). */
export interface Preset {
  id: string;
  name: string;
  model: string;
  params: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export type SeedMode = 'increment' | 'random';

/** Which input takes reference images and how many; multiple: a list of URLs, else one URL. */
export interface ModelReference {
  field: string;
  min: number;
  max: number;
  multiple: boolean;
}

export interface Param {
  name: string;
  label: string;
  type: 'enum' | 'integer' | 'number' | 'boolean' | 'string' | 'seed';
  options?: string[];
  min?: number;
  max?: number;
  step?: number;
  default?: unknown;
  description?: string;
}

export interface Model {
  id: string;
  name: string;
  task: string;
  output: Kind;
  description: string;
  promptRequired: boolean;
  reference: ModelReference | null;
  params: Param[];
  /** The inputs that take a clip's first and last frame; null without a start frame. */
  frames?: { start: string; end: string | null } | null;
  /** How the model likes to be prompted (null outside the catalogue). */
  promptGuide?: string | null;
}

// Costs and budgets (SPEC §7).
export interface Estimate {
  usd: number;
  unitPrice: number;
  unit: string;
  quantity: number;
  basis: 'unit_price' | 'historical';
}

export interface Budget {
  monthlyBudgetUsd: number | null;
  adminBudgetUsd: number | null;
  selfBudgetUsd: number | null;
  spentThisMonthUsd: number;
  reservedUsd: number;
}

export interface EstimateResult {
  estimate: Estimate | null;
  reason?: string;
  budget: Budget;
  withinBudget: boolean | null;
}

export interface Usage extends Budget {
  from: string;
  to: string;
  groupBy: 'day' | 'model' | 'user' | 'token';
  totalUsd: number;
  count: number;
  unpricedCount: number;
  buckets: { key: string; userId?: number; name?: string; usd: number; count: number }[];
}

function usageQuery(q: { from?: string; to?: string; groupBy?: string }) {
  const p = new URLSearchParams();
  if (q.from) p.set('from', q.from);
  if (q.to) p.set('to', q.to);
  if (q.groupBy) p.set('groupBy', q.groupBy);
  return p.toString();
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {};

/** Called whenever the server answers 401: the app returns to the login screen. */
export function setUnauthorizedHandler(fn: Unauthorized) {
  onUnauthorized = fn;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'include', headers: { Accept: 'application/json' } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The studio could not be reached. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    const e = new ApiError(res.status, err?.code ?? 'error', err?.message ?? `The studio answered ${res.status}.`);
    // A 401 is the studio's own session ending — except a wrong password (login, password change).
    // A session of an account an admin just disabled ends the same way.
    if ((res.status === 401 && e.code !== 'invalid_credentials') || (e.code === 'account_disabled' && path !== '/api/auth/login')) onUnauthorized();
    throw e;
  }
  return data as T;
}

// The library (SPEC §8): favourites, collections, bulk actions, export, shares, history.
export interface AssetFilters {
  favorite?: boolean;
  model?: string;
  from?: string; // YYYY-MM-DD, inclusive, UTC
  to?: string;
  collection?: string;
  cast?: string;
}

export interface Collection {
  id: string;
  name: string;
  count: number;
  coverUrl: string | null;
  coverAssetId?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Share {
  id: string;
  url: string | null; // only in the answer that created it
  kind: 'asset' | 'collection';
  targetId: string;
  createdAt: string;
  expiresAt: string | null;
  expired?: boolean;
}

export interface PublicShare {
  kind: 'asset' | 'collection';
  name: string | null;
  expiresAt: string | null;
  assets: {
    id: string;
    kind: Kind;
    url: string;
    contentType: string;
    width: number | null;
    height: number | null;
    prompt: string;
    model: string;
    createdAt: string;
    aiGenerated?: boolean;
  }[];
  /** The next page of a shared collection; null on the last page and for an asset share. */
  nextCursor: string | null;
}

const enc = encodeURIComponent;

/** Fired on window when the person's collections change (Create's "Save to" listens). */
export const COLLECTIONS_CHANGED = 'falstudio:collections-changed';

async function changed<T>(p: Promise<T>): Promise<T> {
  const v = await p;
  window.dispatchEvent(new Event(COLLECTIONS_CHANGED));
  return v;
}

const libraryApi = {
  setFavorite: (id: string, on: boolean) => request<{ asset: Asset }>(on ? 'PUT' : 'DELETE', `/api/assets/${enc(id)}/favorite`),
  bulkDelete: (assetIds: string[]) => request<{ deleted: number; trashed?: number }>('POST', '/api/assets/bulk-delete', { assetIds }),
  trash: (cursor?: string | null, limit = 50) => {
    const p = new URLSearchParams({ limit: String(limit) });
    if (cursor) p.set('cursor', cursor);
    return request<TrashPage>('GET', `/api/trash?${p}`);
  },
  restore: (assetIds: string[]) => request<{ restored: number }>('POST', '/api/trash/restore', { assetIds }),
  purge: (assetIds: string[]) => request<{ purged: number }>('POST', '/api/trash/purge', { assetIds }),
  emptyTrash: () => request<{ purged: number }>('POST', '/api/trash/empty', {}),
  lineage: (id: string) => request<{ ancestors: Asset[]; children: Asset[] }>('GET', `/api/assets/${enc(id)}/lineage`),
  preferences: () => request<{ preferences: { embedPrompt: boolean } }>('GET', '/api/me/preferences'),
  setPreferences: (p: { embedPrompt?: boolean }) => request<{ preferences: { embedPrompt: boolean } }>('PUT', '/api/me/preferences', p),
  bulkFavorite: (assetIds: string[], favorite: boolean) => request<{ updated: number }>('POST', '/api/assets/bulk-favorite', { assetIds, favorite }),
  collections: () => request<{ collections: Collection[] }>('GET', '/api/collections'),
  createCollection: (name: string) => changed(request<{ collection: Collection }>('POST', '/api/collections', { name })),
  updateCollection: (id: string, change: { name?: string; coverAssetId?: string }) =>
    changed(request<{ collection: Collection }>('PATCH', `/api/collections/${enc(id)}`, change)),
  deleteCollection: (id: string) => changed(request<void>('DELETE', `/api/collections/${enc(id)}`)),
  addToCollection: (id: string, assetIds: string[]) => request<{ collection: Collection }>('POST', `/api/collections/${enc(id)}/assets`, { assetIds }),
  removeFromCollection: (id: string, assetIds: string[]) =>
    request<{ collection: Collection }>('DELETE', `/api/collections/${enc(id)}/assets`, { assetIds }),
  shares: () => request<{ shares: Share[] }>('GET', '/api/shares'),
  createShare: (target: { assetId?: string; collectionId?: string }, expiresAt: string | null) =>
    request<{ share: Share }>('POST', '/api/shares', { ...target, ...(expiresAt ? { expiresAt } : {}) }),
  revokeShare: (id: string) => request<void>('DELETE', `/api/shares/${enc(id)}`),
  publicShare: (token: string, cursor?: string | null) =>
    request<PublicShare>('GET', `/api/s/${enc(token)}${cursor ? `?cursor=${enc(cursor)}` : ''}`),
  history: (q: { status?: string; cursor?: string | null; limit?: number }) => {
    const p = new URLSearchParams();
    if (q.status) p.set('status', q.status);
    if (q.cursor) p.set('cursor', q.cursor);
    p.set('limit', String(q.limit ?? 20));
    return request<{ generations: Generation[]; nextCursor: string | null }>('GET', `/api/generations?${p}`);
  },
  /** The same inputs again, the referenced assets and their relation included (SPEC §13.2). */
  runAgain: (g: Pick<Generation, 'model' | 'prompt' | 'params' | 'referenceAssetIds' | 'relation'>, collectionId?: string) =>
    request<{ generation: Generation }>('POST', '/api/generations', {
      model: g.model,
      prompt: g.prompt,
      params: g.params,
      ...(g.referenceAssetIds?.length ? { referenceAssetIds: g.referenceAssetIds, ...(g.relation ? { relation: g.relation } : {}) } : {}),
      ...(collectionId ? { collectionId } : {}),
    }),
};


export const api = {
  me: () => request<Me>('GET', '/api/me'),
  signup: (email: string, password: string, invite?: string) =>
    request<{ user: User }>('POST', '/api/auth/signup', invite ? { email, password, invite } : { email, password }),
  status: () => request<{ ok: boolean; version: string; signupMode: SignupMode; ffmpeg?: boolean; oidc?: OIDCStatus; falWebhooks?: boolean }>('GET', '/api/status'),
  /** Starts linking single sign-on: the answer's url is where the browser goes next. */
  linkSSO: (password?: string) => request<{ url: string }>('POST', '/api/me/oidc/link', password ? { password } : {}),
  unlinkSSO: () => request<void>('DELETE', '/api/me/oidc'),
  checkInvite: (invite: string) => request<{ invite: { email: string | null; expiresAt: string } }>('POST', '/api/auth/invite', { invite }),
  resetPassword: (token: string, newPassword: string) => request<void>('POST', '/api/auth/reset', { token, newPassword }),
  deleteMe: (password: string) => request<void>('DELETE', '/api/me', { password }),
  /** An account without a password (made by single sign-on) confirms with its email. */
  deleteMeByEmail: (email: string) => request<void>('DELETE', '/api/me', { email }),
  admin: {
    users: () => request<{ users: AdminUser[] }>('GET', '/api/admin/users'),
    policies: () => request<{ policies: Policy[] }>('GET', '/api/admin/policies'),
    createPolicy: (p: PolicyInput) => request<{ policy: Policy }>('POST', '/api/admin/policies', p),
    updatePolicy: (id: string, p: PolicyInput) => request<{ policy: Policy }>('PATCH', `/api/admin/policies/${enc(id)}`, p),
    deletePolicy: (id: string) => request<void>('DELETE', `/api/admin/policies/${enc(id)}`),
    updateUser: (id: number, change: { role?: Role; disabled?: boolean; monthlyBudgetUsd?: number | null; policyId?: string | null }) =>
      request<{ user: AdminUser }>('PATCH', `/api/admin/users/${id}`, change),
    deleteUser: (id: number) => request<void>('DELETE', `/api/admin/users/${id}`),
    resetLink: (id: number) => request<{ url: string; expiresAt: string }>('POST', `/api/admin/users/${id}/password-reset`),
    invites: () => request<{ invites: Invite[] }>('GET', '/api/admin/invites'),
    createInvite: (email: string, expiresInHours: number) =>
      request<{ invite: Invite; url: string }>('POST', '/api/admin/invites', email ? { email, expiresInHours } : { expiresInHours }),
    revokeInvite: (id: number) => request<void>('DELETE', `/api/admin/invites/${id}`),
    userShares: (id: number) => request<{ shares: Share[] }>('GET', `/api/admin/users/${id}/shares`),
    revokeShare: (id: string) => request<void>('DELETE', `/api/admin/shares/${enc(id)}`),
    audit: (cursor: string | null, limit = 50) => {
      const p = new URLSearchParams({ limit: String(limit) });
      if (cursor) p.set('cursor', cursor);
      return request<{ events: AuditEvent[]; nextCursor: string | null }>('GET', `/api/admin/audit?${p}`);
    },
  },
  login: (email: string, password: string) => request<{ user: User }>('POST', '/api/auth/login', { email, password }),
  logout: () => request<void>('POST', '/api/auth/logout'),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<void>('PUT', '/api/me/password', { currentPassword, newPassword }),
  saveFalKey: (falKey: string) => request<{ user: User }>('PUT', '/api/me/fal-key', { falKey }),
  removeFalKey: () => request<{ user: User }>('DELETE', '/api/me/fal-key'),
  credits: () => request<{ balance: number; currency: string }>('GET', '/api/me/fal-credits'),
  models: () => request<{ models: Model[] }>('GET', '/api/models'),
  modelSchema: (id: string) => request<{ model: Model }>('GET', `/api/models/schema?id=${encodeURIComponent(id)}`),
  searchModels: (q: string) =>
    request<{ models: { id: string; name: string; category: string; description: string }[] }>(
      'GET',
      `/api/models/search?q=${encodeURIComponent(q)}`,
    ),
  uploadFile: (file: File) => {
    const fd = new FormData();
    fd.append('file', file);
    return request<{ url: string }>('POST', '/api/uploads', fd);
  },
  uploadAsset: (assetId: string) => request<{ url: string }>('POST', '/api/uploads', { assetId }),
  generate: (model: string, prompt: string, params: Record<string, unknown>, collectionId?: string, use: CastUse = {}) =>
    request<{ generation: Generation }>('POST', '/api/generations', { model, prompt, params, ...(collectionId ? { collectionId } : {}), ...use }),
  generation: (id: string) => request<{ generation: Generation }>('GET', `/api/generations/${encodeURIComponent(id)}`),
  generateVariations: (model: string, prompt: string, params: Record<string, unknown>, count: number, seeds: SeedMode, collectionId?: string, use: CastUse = {}) =>
    request<{ generation: Generation; generations: Generation[]; group: string; error: { code: string; message: string } | null }>(
      'POST',
      '/api/generations',
      { model, prompt, params, variations: { count, seeds }, ...(collectionId ? { collectionId } : {}), ...use },
    ),
  generations: () => request<{ generations: Generation[] }>('GET', '/api/generations'),
  presets: () => request<{ presets: Preset[] }>('GET', '/api/presets'),
  createPreset: (name: string, model: string, params: Record<string, unknown>) =>
    request<{ preset: Preset }>('POST', '/api/presets', { name, model, params }),
  updatePreset: (id: string, patch: { name?: string; model?: string; params?: Record<string, unknown> }) =>
    request<{ preset: Preset }>('PATCH', `/api/presets/${encodeURIComponent(id)}`, patch),
  deletePreset: (id: string) => request<void>('DELETE', `/api/presets/${encodeURIComponent(id)}`),
  activeGenerations: () => request<{ generations: Generation[] }>('GET', '/api/generations?active=1'),
  cancel: (id: string) =>
    request<{ generation: Generation; cancel?: { outcome: string; message: string } }>(
      'POST',
      `/api/generations/${encodeURIComponent(id)}/cancel`,
    ),
  assets: (q: { kind?: string; q?: string; cursor?: string | null; limit?: number } & AssetFilters) => {
    const p = new URLSearchParams();
    if (q.kind) p.set('kind', q.kind);
    if (q.q) p.set('q', q.q);
    if (q.favorite) p.set('favorite', '1');
    if (q.model) p.set('model', q.model);
    if (q.from) p.set('from', q.from);
    if (q.to) p.set('to', q.to);
    if (q.collection) p.set('collection', q.collection);
    if (q.cast) p.set('cast', q.cast);
    if (q.cursor) p.set('cursor', q.cursor);
    p.set('limit', String(q.limit ?? 30));
    return request<{ assets: Asset[]; nextCursor: string | null }>('GET', `/api/assets?${p}`);
  },
  /** With the trash on the answer is the trashed asset; with it off, nothing (204). */
  deleteAsset: (id: string) => request<{ asset: Asset } | undefined>('DELETE', `/api/assets/${encodeURIComponent(id)}`),
  // Video continuity (SPEC §15).
  grabFrame: (id: string, atSeconds: number) => request<{ asset: Asset }>('POST', `/api/assets/${enc(id)}/frame`, { atSeconds }),
  filmstrip: (id: string, count = 10) => request<{ filmstrip: Filmstrip }>('GET', `/api/assets/${enc(id)}/filmstrip?count=${count}`),
  importFrame: (file: Blob, parentAssetId: string, atSeconds: number) => {
    const fd = new FormData();
    fd.append('file', file, 'frame.png');
    fd.append('parentAssetId', parentAssetId);
    fd.append('relation', 'frame');
    fd.append('atSeconds', String(atSeconds));
    return request<{ asset: Asset }>('POST', '/api/assets/import', fd);
  },
  extend: (id: string, body: { prompt: string; model?: string }) => request<{ generation: Generation }>('POST', `/api/assets/${enc(id)}/extend`, body),
  stitch: (assetIds: string[], crossfadeSeconds: number) => request<{ generation: Generation }>('POST', '/api/stitch', { assetIds, crossfadeSeconds }),
  sequence: (sequenceId: string) => request<{ assets: Asset[]; nextCursor: string | null }>('GET', `/api/assets?sequence=${enc(sequenceId)}&limit=100`),
  ...libraryApi,
  estimate: (model: string, prompt: string, params: Record<string, unknown>) =>
    request<EstimateResult>('POST', '/api/generations/estimate', { model, prompt, params }),
  setBudget: (monthlyBudgetUsd: number | null) => request<{ budget: Budget }>('PUT', '/api/me/budget', { monthlyBudgetUsd }),
  usage: (q: { from?: string; to?: string; groupBy?: 'day' | 'model' | 'token' } = {}) => request<Usage>('GET', `/api/me/usage?${usageQuery(q)}`),
  tokens: () => request<{ tokens: Token[] }>('GET', '/api/tokens'),
  createToken: (t: NewToken) => request<{ token: Token; secret: string }>('POST', '/api/tokens', t),
  revokeToken: (id: string) => request<void>('DELETE', `/api/tokens/${encodeURIComponent(id)}`),
  adminUsage: (q: { from?: string; to?: string; groupBy?: 'day' | 'model' | 'user' } = {}) =>
    request<Usage>('GET', `/api/admin/usage?${usageQuery(q)}`),
};

// Studio power (SPEC §14): compare, derive, enhance, cast.
export type CastKind = 'person' | 'pet' | 'product' | 'style';

export interface CastMember {
  id: string;
  name: string;
  kind: CastKind;
  description: string;
  shared: boolean;
  owner: { id: number; email: string };
  images: { id: string; url: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface CompareSet {
  group: string;
  prompt: string;
  generations: Generation[];
}

/** What a submit adds about the cast (SPEC §14). */
export interface CastUse {
  cast?: string[];
  useDescription?: boolean;
}

export const power = {
  compare: (prompt: string, runs: { model: string; params?: Record<string, unknown> }[], use: CastUse & { referenceAssetIds?: string[] } = {}) =>
    request<CompareSet>('POST', '/api/compare', { prompt, runs, ...use }),
  getCompare: (group: string) => request<CompareSet>('GET', `/api/compare/${enc(group)}`),
  derive: (assetId: string, action: 'upscale' | 'remove-background') =>
    request<{ generation: Generation }>('POST', `/api/assets/${enc(assetId)}/derive`, { action }),
  enhance: (prompt: string, model: string) => request<{ prompt: string; costUsd: number | null }>('POST', '/api/prompts/enhance', { prompt, model }),
  cast: () => request<{ cast: CastMember[] }>('GET', '/api/cast'),
  createCast: (m: { name: string; kind: CastKind; assetIds: string[]; description?: string; shared?: boolean }) =>
    request<{ cast: CastMember }>('POST', '/api/cast', m),
  updateCast: (id: string, patch: { name?: string; kind?: CastKind; description?: string; shared?: boolean; imageIds?: string[]; addAssetIds?: string[] }) =>
    request<{ cast: CastMember }>('PATCH', `/api/cast/${enc(id)}`, patch),
  deleteCast: (id: string) => request<void>('DELETE', `/api/cast/${enc(id)}`),
};

export const terminal = (s: Status) => s === 'succeeded' || s === 'failed' || s === 'canceled';

/** The ZIP download of some assets or of a collection (streamed by the studio). */
export function exportUrl(sel: { ids?: string[]; collection?: string }): string {
  if (sel.collection) return `/api/export.zip?collection=${enc(sel.collection)}`;
  return `/api/export.zip?ids=${(sel.ids ?? []).map(enc).join(',')}`;
}
