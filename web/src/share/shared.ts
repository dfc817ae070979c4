// Shared uploads (SPEC §16.2): what the system's share sheet sent to the studio.
import { request, type Asset } from '../lib/api';

export interface SharedUpload {
  id: string;
  kind: 'image' | 'video';
  contentType: string;
  bytes: number;
  width: number | null;
  height: number | null;
  name: string | null;
  text: string | null;
  url: string;
  createdAt: string;
  expiresAt: string;
}

export const sharedApi = {
  claim: () => request<{ shared: SharedUpload[]; url: string }>('POST', '/api/shared/claim'),
  get: (id: string) => request<{ shared: SharedUpload }>('GET', `/api/shared/${encodeURIComponent(id)}`),
  importToGallery: (id: string) => request<{ asset: Asset }>('POST', `/api/shared/${encodeURIComponent(id)}/import`),
  asReference: (id: string) => request<{ url: string }>('POST', '/api/uploads', { sharedId: id }),
};

/** What the address bar hands over: a pending share to claim, shared upload ids, or text. */
export interface ShareHandover {
  pending: boolean;
  ids: string[];
  text: string | null;
}

// takeShareHandover reads (and removes) ?shared= and ?text= from the address, once.
export function takeShareHandover(): ShareHandover | null {
  const q = new URLSearchParams(window.location.search);
  const shared = q.get('shared');
  const text = q.get('text');
  if (shared === null && text === null) return null;
  q.delete('shared');
  q.delete('text');
  const rest = q.toString();
  window.history.replaceState(window.history.state, '', window.location.pathname + (rest ? `?${rest}` : ''));
  const pending = shared === 'pending';
  const ids = !pending && shared ? shared.split(',').filter((s) => /^[a-z0-9]{1,64}$/.test(s)).slice(0, 4) : [];
  return { pending, ids, text };
}

// resolveHandover turns a handover into the shared uploads and text to open in Create.
export async function resolveHandover(h: ShareHandover): Promise<{ uploads: SharedUpload[]; text: string | null }> {
  if (h.pending) {
    const r = await sharedApi.claim();
    const text = r.shared.length ? null : new URLSearchParams(r.url.split('?')[1] ?? '').get('text');
    return { uploads: r.shared, text };
  }
  const got = await Promise.all(h.ids.map((id) => sharedApi.get(id).then((r) => r.shared).catch(() => null)));
  return { uploads: got.filter((u): u is SharedUpload => u !== null), text: h.text };
}

// takeGenerationLink reads (and removes) ?generation= from the address: the generation a push
// notification is about.
export function takeGenerationLink(): string | null {
  const q = new URLSearchParams(window.location.search);
  const id = q.get('generation');
  if (id === null) return null;
  q.delete('generation');
  const rest = q.toString();
  window.history.replaceState(window.history.state, '', window.location.pathname + (rest ? `?${rest}` : ''));
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
}
