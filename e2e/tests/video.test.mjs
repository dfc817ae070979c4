// Video continuity in a real browser (SPEC §15): scrub a clip on its filmstrip, step frames,
// save the frame on screen, and stitch two clips from the gallery's selection mode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startAll, newPage } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']; // as tests/a11y.test.mjs

// axeBothThemes runs axe-core on the page as it is, in the light and the dark theme.
async function axeBothThemes(page, screen) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE);
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }).then((r) => r.violations),
      TAGS,
    );
    found.push(...violations.flatMap((v) => v.nodes.map((n) => `${screen} ${colorScheme}: ${v.id} at ${n.target.join(' ')}`)));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

const PASSWORD = 'a long enough passphrase';
let env, studio;

before(async () => {
  env = await startAll();
  ({ studio } = env);
});

after(async () => {
  await env?.stop();
});

async function until(fn, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

test('scrub, save a frame, stitch two clips', async () => {
  const { context, page, problems } = await newPage(env);
  const req = context.request;
  assert.equal((await req.post(studio.url + '/api/auth/signup', { data: { email: 'video@example.com', password: PASSWORD } })).status(), 201);
  assert.equal((await req.put(studio.url + '/api/me/fal-key', { data: { falKey: 'sim-video' } })).status(), 200);
  const status = await (await req.get(studio.url + '/api/status')).json();
  assert.equal(status.ffmpeg, true, 'the test studio has ffmpeg (scripts/install-ffmpeg.sh)');
  for (const prompt of ['the first shot', 'the second shot']) {
    assert.equal((await req.post(studio.url + '/api/generations', { data: { model: 'fal-ai/veo3', prompt, params: {} } })).status(), 202);
  }
  const videos = await until(async () => {
    const active = await (await req.get(studio.url + '/api/generations?active=1')).json();
    const body = await (await req.get(studio.url + '/api/assets?kind=video')).json();
    return active.generations.length === 0 && body.assets.length === 2 && body.assets;
  }, 'two clips');

  await page.goto(studio.url);
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.locator(`[data-asset-id="${videos[0].id}"]`).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();

  // The filmstrip loads; a click at three quarters seeks there.
  const strip = page.getByTestId('filmstrip');
  await strip.locator('img').waitFor();
  await page.waitForFunction(() => {
    const i = document.querySelector('[data-testid="filmstrip"] img');
    const v = document.querySelector('[data-testid="detail-media"]');
    return i && i.complete && i.naturalWidth > 0 && v && v.readyState >= 1;
  });
  const box = await strip.boundingBox();
  await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
  const at = () => page.getByTestId('detail-media').evaluate((v) => v.currentTime);
  await until(async () => Math.abs((await at()) - 1.5) < 0.1, 'the seek to 1.5 s');
  const t0 = await at();
  // '.' steps one frame forward, ',' one back.
  await page.getByTestId('scrubber').focus();
  await page.keyboard.press('.');
  await until(async () => (await at()) > t0 + 0.01, 'a frame step forward', 5_000);
  await page.keyboard.press(',');
  await page.keyboard.press(',');
  await until(async () => (await at()) < t0 - 0.01, 'a frame step back', 5_000);
  const shown = await at();

  // Save frame: an image asset linked to its video, at the time on screen.
  await dialog.getByRole('button', { name: 'Save frame' }).click();
  await dialog.getByText('Frame saved to the gallery.').waitFor();
  const frames = (await (await req.get(studio.url + '/api/assets?kind=image')).json()).assets;
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0].parent, { assetId: videos[0].id, relation: 'frame' });
  assert.equal(frames[0].contentType, 'image/png');
  assert.ok(Math.abs(frames[0].params.atSeconds - shown) < 0.002, `frame at ${frames[0].params.atSeconds}, shown ${shown}`);
  // The video tools and the Extend form pass axe in both themes.
  await dialog.getByRole('button', { name: 'Extend…' }).click();
  await page.getByTestId('extend-prompt').waitFor();
  assert.deepEqual(await axeBothThemes(page, 'video detail'), []);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'detached' });

  // Selection mode: both clips, Stitch, swap the order, a crossfade, start.
  await page.reload();
  await page.locator(`[data-asset-id="${videos[0].id}"]`).click({ modifiers: ['Shift'] });
  await page.locator(`[data-asset-id="${videos[1].id}"]`).click();
  assert.equal(await page.getByTestId('selected-count').textContent(), '2 selected');
  await page.getByRole('button', { name: 'Stitch…' }).click();
  const items = page.getByTestId('stitch-item');
  await items.nth(1).waitFor();
  const before = await items.evaluateAll((els) => els.map((e) => e.dataset.assetId));
  await page.getByRole('button', { name: 'Move clip 2 earlier' }).click();
  const order = await items.evaluateAll((els) => els.map((e) => e.dataset.assetId));
  assert.deepEqual(order, [before[1], before[0]]);
  await page.getByTestId('crossfade').fill('0.5');
  assert.deepEqual(await axeBothThemes(page, 'stitch dialog'), []);
  await page.getByTestId('stitch-start').click();
  await page.getByText('Stitching: the new video appears').waitFor();

  const stitched = await until(async () => {
    const list = (await (await req.get(studio.url + '/api/generations?limit=10')).json()).generations;
    const g = list.find((x) => x.model === 'studio/stitch');
    return g && g.status === 'succeeded' && g;
  }, 'the stitch job');
  assert.deepEqual(stitched.params, { assetIds: order, crossfadeSeconds: 0.5 });
  assert.equal(stitched.costUsd, 0);
  const out = stitched.assets[0];
  assert.equal(out.contentType, 'video/mp4');
  assert.deepEqual(out.parent, { assetId: order[0], relation: 'stitch' });
  // Two 2 s clips with a 0.5 s crossfade.
  const dur = await page.evaluate(async (u) => {
    const v = document.createElement('video');
    v.src = u;
    v.muted = true;
    await new Promise((ok, fail) => {
      v.onloadedmetadata = ok;
      v.onerror = fail;
    });
    return v.duration;
  }, out.url);
  assert.ok(Math.abs(dur - 3.5) < 0.2, `stitched duration ${dur}`);
  assert.deepEqual(problems, []);
  await context.close();
});
