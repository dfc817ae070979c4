// The one place the UI decides which URL shows a result: always the persisted asset URL the
// studio returned (/media/{id} or the configured public base), never a provider's temporary URL.
import type { Asset, Generation } from './api';

/** The URL to display or download an asset from. */
export function getAssetUrl(asset: Pick<Asset, 'id' | 'url'>): string {
  const u = asset.url;
  if (u && (u.startsWith('/media/') || isPersistedAbsolute(u))) return u;
  return `/media/${encodeURIComponent(asset.id)}`;
}

/** The preview the grid shows: the stored thumbnail or poster, or null while there is none. */
export function getThumbUrl(asset: Pick<Asset, 'thumbUrl'>): string | null {
  const u = asset.thumbUrl;
  return u && (u.startsWith('/media/') || isPersistedAbsolute(u)) ? u : null;
}

/** The download URL (served as an attachment by the studio). */
export function getDownloadUrl(asset: Pick<Asset, 'id'>): string {
  return `/media/${encodeURIComponent(asset.id)}?download=1`;
}

/** The first stored result of a generation, or null while none is stored. */
export function getPrimaryResult(g: Pick<Generation, 'assets'> | null | undefined): Asset | null {
  return g?.assets?.[0] ?? null;
}

// Provider hosts whose URLs expire and must never be shown.
const providerHosts = [/(^|\.)fal\.media$/i, /(^|\.)fal\.run$/i, /(^|\.)fal\.ai$/i, /^storage\.googleapis\.com$/i];

function isPersistedAbsolute(u: string): boolean {
  try {
    const url = new URL(u);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
    return !providerHosts.some((re) => re.test(url.hostname));
  } catch {
    return false;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}
