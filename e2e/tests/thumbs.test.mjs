// The gallery grid loads previews, never the full files: every image tile requests its
// /media/{id}/thumb, a video tile with a poster requests only the poster, and only the detail
// view loads an original.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, newPage } from '../lib/harness.mjs';

const PASSWORD = 'a long enough passphrase';
let sim, studio;

let env;
before(async () => {
  env = await startAll();
  ({ sim, studio } = env);
});

after(async () => {
  await env?.stop();
});

// waitAssets polls until no job is active and the n stored assets have their previews — with
// ffmpeg (SPEC §15) a video's poster too; previews are made by their own worker just after the
// save — and returns them.
async function waitAssets(request, n) {
  const deadline = Date.now() + 30_000;
  const { ffmpeg } = await (await request.get(studio.url + '/api/status')).json();
  for (;;) {
    const active = await (await request.get(studio.url + '/api/generations?active=1')).json();
    const body = await (await request.get(studio.url + '/api/assets?limit=50')).json();
    const previews = body.assets.every((a) => a.thumbUrl || (a.kind === 'video' && !ffmpeg));
    if (active.generations.length === 0 && body.assets.length >= n && previews) return body.assets;
    if (Date.now() > deadline) throw new Error(`only ${body.assets.length} of ${n} assets stored`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

test('the gallery grid requests thumbnails, never originals', async () => {
  const { context, page, problems: errors } = await newPage(env);

  // A user with a key and four real-size outputs (three images, one video), made through the API.
  const req = context.request;
  assert.equal((await req.post(studio.url + '/api/auth/signup', { data: { email: 'thumbs@example.com', password: PASSWORD } })).status(), 201);
  assert.equal((await req.put(studio.url + '/api/me/fal-key', { data: { falKey: 'sim-thumbs' } })).status(), 200);
  for (const prompt of ['a fox', 'a whale', 'a lighthouse']) {
    const r = await req.post(studio.url + '/api/generations', {
      data: { model: 'fal-ai/flux/schnell', prompt, params: { image_size: { width: 1024, height: 1024 } } },
    });
    assert.equal(r.status(), 202);
  }
  assert.equal((await req.post(studio.url + '/api/generations', { data: { model: 'fal-ai/veo3', prompt: 'waves', params: {} } })).status(), 202);
  const assets = await waitAssets(req, 4);
  for (const a of assets.filter((x) => x.kind === 'image')) {
    assert.equal(a.thumbUrl, `/media/${a.id}/thumb`, 'each image has its preview at save time');
  }

  const media = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/media/')) media.push(u.pathname);
  });
  await page.goto(studio.url);
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').nth(3).waitFor();
  // Every image tile has finished loading its picture.
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('[data-testid="asset-card"] img')];
    return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
  for (const a of assets.filter((x) => x.kind === 'image')) {
    const img = page.locator(`[data-asset-id="${a.id}"] img`);
    assert.equal(await img.getAttribute('src'), a.thumbUrl);
    assert.ok((await img.evaluate((i) => i.naturalWidth)) <= 512, 'the tile shows the 512 px preview');
  }
  const video = assets.find((x) => x.kind === 'video');
  const tile = page.locator(`[data-asset-id="${video.id}"] video`);
  if (video.thumbUrl) {
    // ffmpeg made a poster: the tile shows it and fetches no video bytes at all.
    assert.equal(await tile.getAttribute('poster'), video.thumbUrl);
    assert.equal(await tile.getAttribute('preload'), 'none');
    await page.waitForFunction((u) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(u)), video.thumbUrl);
  } else {
    assert.equal(await tile.getAttribute('preload'), 'metadata', 'without a poster the tile reads only the metadata');
  }
  const originals = media.filter((p) => !p.endsWith('/thumb') && !(video.thumbUrl === null && p === `/media/${video.id}`));
  assert.deepEqual(originals, [], 'the grid requested no original');
  assert.ok(media.filter((p) => p.endsWith('/thumb')).length >= 3, `previews requested: ${media.join(', ')}`);

  // The detail view loads the original.
  const first = assets.find((x) => x.kind === 'image');
  await page.locator(`[data-asset-id="${first.id}"]`).click();
  await page.getByRole('dialog').waitFor();
  await page.waitForFunction((w) => {
    const i = document.querySelector('[data-testid="detail-media"]');
    return i && i.complete && i.naturalWidth === w;
  }, first.width);
  assert.ok(media.includes(`/media/${first.id}`), 'the detail view shows the original');
  assert.deepEqual(errors, []);
  await context.close();
});
