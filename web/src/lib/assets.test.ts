import { describe, expect, it } from 'vitest';
import { getAssetUrl, getDownloadUrl, getPrimaryResult, formatBytes } from './assets';
import type { Asset } from './api';

const asset = (over: Partial<Asset> = {}): Asset => ({
  id: 'abc123',
  generationId: 'g1',
  model: 'fal-ai/flux/dev',
  prompt: 'p',
  kind: 'image',
  url: '/media/abc123',
  contentType: 'image/png',
  bytes: 10,
  width: 1,
  height: 1,
  storage: 'local',
  params: {},
  createdAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe('getAssetUrl', () => {
  it('uses the persisted /media URL', () => {
    expect(getAssetUrl(asset())).toBe('/media/abc123');
  });
  it('uses a configured public storage URL', () => {
    expect(getAssetUrl(asset({ url: 'https://cdn.example.com/users/1/image/x.png' }))).toBe('https://cdn.example.com/users/1/image/x.png');
  });
  it('never returns a provider URL', () => {
    for (const u of ['https://v3.fal.media/files/rabbit/a.png', 'https://fal.media/x.png', 'https://storage.googleapis.com/falserverless/x.png', 'javascript:alert(1)', '']) {
      expect(getAssetUrl(asset({ url: u }))).toBe('/media/abc123');
    }
  });
  it('builds the download URL', () => {
    expect(getDownloadUrl(asset())).toBe('/media/abc123?download=1');
  });
});

describe('getPrimaryResult', () => {
  it('returns the first stored asset, or null', () => {
    expect(getPrimaryResult({ assets: [asset({ id: 'a' }), asset({ id: 'b' })] })?.id).toBe('a');
    expect(getPrimaryResult({ assets: [] })).toBeNull();
    expect(getPrimaryResult(null)).toBeNull();
  });
});

describe('formatBytes', () => {
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});
