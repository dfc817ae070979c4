import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, request, setUnauthorizedHandler } from './api';

const json = (status: number, body: unknown) =>
  vi.fn(async () => new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(() => {});
});

describe('request', () => {
  it('sends JSON with the session cookie', async () => {
    const fetch = json(200, { user: { id: 1, email: 'a@b.co', hasFalKey: false } });
    vi.stubGlobal('fetch', fetch);
    const r = await api.login('a@b.co', 'password1');
    expect(r.user.email).toBe('a@b.co');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/auth/login');
    expect(init.credentials).toBe('include');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('parses the error envelope into a typed ApiError', async () => {
    vi.stubGlobal('fetch', json(422, { error: { code: 'content_blocked', message: 'Blocked by provider safety/content policy: nope' } }));
    const err = await request('POST', '/api/generations', {}).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, code: 'content_blocked', message: 'Blocked by provider safety/content policy: nope' });
  });

  it('returns to the login screen on a 401, but not for a wrong password', async () => {
    const out = vi.fn();
    setUnauthorizedHandler(out);
    vi.stubGlobal('fetch', json(401, { error: { code: 'invalid_credentials', message: 'The email or password is incorrect.' } }));
    await expect(api.login('a@b.co', 'password1')).rejects.toThrow('incorrect');
    expect(out).not.toHaveBeenCalled();
    vi.stubGlobal('fetch', json(401, { error: { code: 'unauthenticated', message: 'Log in first.' } }));
    await expect(api.assets({})).rejects.toThrow('Log in first.');
    expect(out).toHaveBeenCalledTimes(1);
  });

  it('answers 204 with nothing and names an unreachable studio', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })));
    await expect(api.deleteAsset('x')).resolves.toBeUndefined();
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(api.me()).rejects.toMatchObject({ code: 'network' });
  });

  it('keeps a status code when the body is not JSON', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>bad gateway</html>', { status: 502 })));
    await expect(api.models()).rejects.toMatchObject({ status: 502, code: 'error' });
  });

  it('uploads a file as multipart field "file" and an asset as JSON', async () => {
    const fetch = json(201, { url: 'https://v3.fal.media/files/x.png' });
    vi.stubGlobal('fetch', fetch);
    await api.uploadFile(new File(['x'], 'a.png', { type: 'image/png' }));
    let [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.body).toBeInstanceOf(FormData);
    expect((init.body as FormData).get('file')).toBeInstanceOf(File);
    expect((init.headers as Record<string, string>)['Content-Type']).toBeUndefined();
    await api.uploadAsset('abc');
    [, init] = fetch.mock.calls[1] as unknown as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toEqual({ assetId: 'abc' });
  });

  it('builds the gallery query', async () => {
    const fetch = json(200, { assets: [], nextCursor: null });
    vi.stubGlobal('fetch', fetch);
    await api.assets({ kind: 'video', q: 'sea & sky', cursor: 'c1', limit: 10 });
    expect(fetch.mock.calls[0][0 as never]).toBe('/api/assets?kind=video&q=sea+%26+sky&cursor=c1&limit=10');
  });
});
