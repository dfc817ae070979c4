// What the browser downloads and where it goes: every tab has its own URL and the back button
// moves between them; the UI's files arrive precompressed (brotli) and JSON gzipped, event
// streams and media as they are; the first screen loads only its own tab's code and data; the
// Create form does not jump when the models arrive on a phone (CLS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFalsim, startStudio, launchBrowser, newPage } from '../lib/harness.mjs';

const PASSWORD = 'a long enough passphrase';
const PHONE = { width: 390, height: 844 };
let sim, studio, browser, storageState;

before(async () => {
  sim = await startFalsim();
  studio = await startStudio(sim.env);
  browser = await launchBrowser();
  const context = await browser.newContext();
  const req = context.request;
  assert.equal((await req.post(studio.url + '/api/auth/signup', { data: { email: 'perf@example.com', password: PASSWORD } })).status(), 201);
  assert.equal((await req.put(studio.url + '/api/me/fal-key', { data: { falKey: 'sim-perf-key' } })).status(), 200);
  const r = await req.post(studio.url + '/api/generations', { data: { model: 'fal-ai/flux/schnell', prompt: 'a perf test', params: {} } });
  const { generation } = await r.json();
  for (let i = 0; i < 200; i++) {
    const g = (await (await req.get(`${studio.url}/api/generations/${generation.id}`)).json()).generation;
    if (g.status === 'succeeded') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  storageState = await context.storageState();
  await context.close();
});

after(async () => {
  await browser?.close();
  await studio?.stop();
  await sim?.stop();
});

const selectedTab = (page) => page.locator('[role="tab"][aria-selected="true"]').textContent();

test('each tab has its own path; back and forward move between tabs; old #links and unknown paths are redirected', async () => {
  const { context, page, problems } = await newPage({ browser, studio }, { storageState });
  await page.goto(studio.url + '/gallery');
  await page.getByTestId('asset-card').first().waitFor();
  assert.match(await selectedTab(page), /Gallery/);
  assert.equal(await page.title(), 'Gallery · fal-studio');

  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/account');
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByLabel('Model', { exact: true }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');

  await page.goBack();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/account');
  await page.goBack();
  await page.getByTestId('asset-card').first().waitFor();
  assert.match(await selectedTab(page), /Gallery/);
  await page.goForward();
  assert.match(await selectedTab(page), /Account/);

  // A reload stays on the tab; the server answers the path with the UI.
  await page.reload();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  assert.match(await selectedTab(page), /Account/);

  await page.goto(studio.url + '/#gallery');
  await page.getByTestId('asset-card').first().waitFor();
  assert.equal(new URL(page.url()).pathname, '/gallery');
  assert.equal(new URL(page.url()).hash, '');
  await page.goto(studio.url + '/no-such-tab');
  await page.getByLabel('Model', { exact: true }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');

  // A tab is a link: its address can be opened on its own.
  assert.equal(await page.getByRole('tab', { name: 'Gallery' }).getAttribute('href'), '/gallery');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the UI arrives brotli-compressed and JSON gzipped; the first screen loads only its own tab', async () => {
  const { context, page, problems } = await newPage({ browser, studio }, { storageState });
  const responses = [];
  page.on('response', (r) => responses.push(r));
  await page.goto(studio.url + '/account');
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.waitForLoadState('networkidle');

  const paths = responses.map((r) => new URL(r.url()).pathname);
  const scripts = paths.filter((p) => p.endsWith('.js'));
  assert.ok(scripts.some((p) => /\/AccountTab-[\w-]+\.js$/.test(p)), `Account's chunk loaded: ${scripts}`);
  assert.ok(!scripts.some((p) => /CreateTab|GalleryTab/.test(p)), `no other tab's code: ${scripts}`);
  assert.ok(!paths.some((p) => p === '/api/assets' || p === '/api/models'), `no other tab's data: ${paths}`);

  for (const r of responses) {
    const p = new URL(r.url()).pathname;
    const enc = (await r.allHeaders())['content-encoding'] ?? '';
    const small = Number((await r.allHeaders())['content-length'] ?? Infinity) < 512; // not precompressed (web/scripts/precompress.mjs)
    if ((p === '/account' || p.endsWith('.js') || p.endsWith('.css')) && !(small && enc === '')) {
      assert.equal(enc, 'br', `${p} is sent as brotli`);
      assert.match((await r.allHeaders())['vary'] ?? '', /Accept-Encoding/i);
    }
  }
  // What the first screen cost on the wire.
  const wire = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .concat(performance.getEntriesByType('navigation'))
      .reduce((n, e) => n + e.transferSize, 0),
  );
  console.log(`first screen (Account): ${(wire / 1024).toFixed(1)} KiB transferred`);
  assert.ok(wire < 120 * 1024, `first screen transferred ${wire} bytes`);

  // The gallery's code arrives when the tab is opened, its JSON gzipped, its media as stored.
  const before = responses.length;
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="asset-card"] img')].every((i) => i.complete));
  const later = responses.slice(before);
  assert.ok(later.some((r) => /GalleryTab-[\w-]+\.js$/.test(r.url())), 'the gallery chunk loads on demand');
  const models = await page.request.get(studio.url + '/api/models', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(models.headers()['content-encoding'], 'gzip', 'a large JSON answer is gzipped');
  for (const r of later) {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/media/')) assert.equal((await r.allHeaders())['content-encoding'], undefined, `${u.pathname} is sent as stored`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a phone the Create form keeps its place while the models load (CLS < 0.1)', async () => {
  const { context, page, problems } = await newPage({ browser, studio }, { viewport: PHONE, storageState, isMobile: true, hasTouch: true });
  // The models arrive late, as on a slow phone network: the skeleton is painted first.
  await page.route('**/api/models', async (route) => {
    await new Promise((r) => setTimeout(r, 700));
    await route.continue();
  });
  await page.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await page.goto(studio.url + '/');
  await page.getByLabel('Model', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Generate' }).waitFor();
  // Two frames: the layout after the form arrived has been painted and any shift reported.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const cls = await page.evaluate(() => window.__cls);
  console.log(`Create on a phone, models 700 ms late: CLS ${cls.toFixed(4)}`);
  assert.ok(cls < 0.1, `cumulative layout shift ${cls}`);
  assert.deepEqual(problems, []);
  await context.close();
});
