// Studio power in the browser (SPEC §14): Improve shows a suggestion beside the prompt that the
// person accepts; Compare runs one prompt on two models side by side with price and time, lays
// two images over each other and keeps the winner; the asset viewer upscales with its price; a
// cast member made from the gallery's selection shows in Library → Cast and as a chip in Create.
// axe-core finds no violation on the new screens in both themes. What fal receives is proven in
// internal/httpapi (compare_test.go, derive_test.go, prompts_test.go, cast_test.go).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startAll, newPage, screenshot } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PASSWORD = 'a long enough passphrase';
let env, storageState, assetIds;

before(async () => {
  env = await startAll();
  const { studio, browser } = env;
  const context = await browser.newContext();
  const req = context.request;
  assert.equal((await req.post(studio.url + '/api/auth/signup', { data: { email: 'power@example.com', password: PASSWORD } })).status(), 201);
  assert.equal((await req.put(studio.url + '/api/me/fal-key', { data: { falKey: 'sim-power-key' } })).status(), 200);
  assetIds = [];
  for (const prompt of ['a girl with red hair', 'a girl in profile']) {
    const r = await req.post(studio.url + '/api/generations', { data: { model: 'fal-ai/flux/schnell', prompt, params: {} } });
    assert.equal(r.status(), 202);
    const { generation } = await r.json();
    for (let i = 0; i < 200; i++) {
      const g = (await (await req.get(`${studio.url}/api/generations/${generation.id}`)).json()).generation;
      if (g.status === 'succeeded') {
        assetIds.push(g.assets[0].id);
        break;
      }
      assert.ok(!['failed', 'canceled'].includes(g.status), `generation ${g.status}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  storageState = await context.storageState();
  await context.close();
});

after(async () => {
  await env?.stop();
});

async function audit(page, screen) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE);
  const violations = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }).then((r) => r.violations),
    TAGS,
  );
  return violations.flatMap((v) => v.nodes.map((n) => `${screen}: ${v.id} (${v.impact}) at ${n.target.join(' ')}`));
}

test('Improve suggests a rewrite beside the prompt; the original stays until it is accepted', async () => {
  const { context, page, problems } = await newPage(env, { storageState });
  await page.goto(env.studio.url);
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByLabel('Model', { exact: true }).selectOption('fal-ai/flux/schnell');
  await page.getByLabel('Prompt', { exact: true }).fill('a fox in the snow');
  await page.getByRole('button', { name: 'Improve' }).click();
  const suggestion = page.getByTestId('prompt-suggestion');
  await suggestion.waitFor();
  assert.match(await suggestion.textContent(), /Suggested prompt · \$0\.0/);
  assert.equal(await page.getByLabel('Prompt', { exact: true }).inputValue(), 'a fox in the snow');
  const text = await page.getByLabel(/Suggested prompt/).inputValue();
  assert.match(text, /^a fox in the snow, in rich detail/);
  await page.getByRole('button', { name: 'Use suggestion' }).click();
  assert.equal(await page.getByLabel('Prompt', { exact: true }).inputValue(), text);
  assert.deepEqual(problems, []);
  await context.close();
});

test('Compare runs one prompt on two models side by side, with a slider and Keep', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { context, page, problems } = await newPage(env, { storageState, colorScheme });
    await page.goto(env.studio.url);
    await page.getByRole('tab', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.getByLabel('Prompt').fill(`a lighthouse at dusk (${colorScheme})`);
    await page.getByLabel('Column 1', { exact: true }).selectOption('fal-ai/flux/schnell');
    await page.getByLabel('Column 2', { exact: true }).selectOption('fal-ai/flux/dev');
    // Each column has its own settings.
    await page.getByText('Settings of column 1').click();
    await page.locator('#compare-0-num_images').fill('2');
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/compare') && r.method() === 'POST');
    const go = page.getByRole('button', { name: /^Compare · ~\$/ });
    await go.waitFor();
    await go.click();
    const body = JSON.parse((await sent).postData());
    assert.equal(body.runs[0].params.num_images, 2);
    assert.equal(body.runs[1].model, 'fal-ai/flux/dev');
    const grid = page.getByTestId('compare-grid');
    await grid.locator('section').nth(1).waitFor();
    await page.locator('.compare-slider input[type="range"]').waitFor();
    const first = grid.locator('section').first();
    assert.match(await first.textContent(), /FLUX\.1 \[schnell\]\$0\.00\d+ · \d+\.\d s/);
    await first.getByRole('button', { name: 'Keep' }).click();
    await page.getByText(/Kept fal-ai\/flux\/schnell as a favourite\./).waitFor();
    assert.deepEqual(await audit(page, `compare ${colorScheme}`), []);
    await screenshot(page, `power-compare-${colorScheme}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('Compare with one reference: columns that take none are explained, the set sends referenceAssetIds', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { context, page, problems } = await newPage(env, { storageState, colorScheme });
    await page.goto(env.studio.url);
    await page.getByRole('tab', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.getByLabel('Prompt').fill(`the same girl as a watercolour (${colorScheme})`);
    await page.getByLabel('Column 1', { exact: true }).selectOption('fal-ai/flux/schnell');
    await page.getByLabel('Column 2', { exact: true }).selectOption('fal-ai/nano-banana/edit');
    await page.getByRole('button', { name: 'Choose reference images…' }).click();
    const chooser = page.getByRole('group', { name: 'Your recent images' });
    await chooser.getByRole('button', { name: /a girl with red hair/ }).first().click();
    await page.getByTestId('compare-reference').waitFor();
    // schnell has no reference field: the set would be refused, so the button waits.
    assert.match(await page.getByTestId('compare-ref-blocker').textContent(), /Column 1 \(FLUX\.1 \[schnell\]\) takes no reference images/);
    assert.ok(await page.locator('.compare .row .btn.primary').isDisabled());
    assert.deepEqual(await audit(page, `compare references ${colorScheme}`), []);
    await page.getByLabel('Column 1', { exact: true }).selectOption('fal-ai/flux-pro/kontext');
    assert.match(await page.getByTestId('compare-ref-note-1').textContent(), /takes references \(up to 4\)/);
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/compare') && r.method() === 'POST');
    const go = page.getByRole('button', { name: /^Compare · ~\$/ });
    await go.waitFor();
    await go.click();
    const body = JSON.parse((await sent).postData());
    assert.equal(body.referenceAssetIds.length, 1);
    assert.ok(assetIds.includes(body.referenceAssetIds[0]));
    assert.deepEqual(body.runs.map((r) => r.model), ['fal-ai/flux-pro/kontext', 'fal-ai/nano-banana/edit']);
    const grid = page.getByTestId('compare-grid');
    await grid.locator('section img').nth(1).waitFor();
    assert.deepEqual(await audit(page, `compare with reference ${colorScheme}`), []);
    await screenshot(page, `power-compare-reference-${colorScheme}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('the asset viewer upscales with its price; a cast member from the selection shows in Cast and Create', async () => {
  const { context, page, problems } = await newPage(env, { storageState });
  await page.goto(env.studio.url + '/gallery');
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().waitFor();
  const r = await context.request.post(env.studio.url + '/api/cast', { data: { name: 'Mia', kind: 'person', assetIds, description: 'red hair' } });
  assert.equal(r.status(), 201);

  await page.getByRole('button', { name: 'Cast', exact: true }).click();
  await page.getByText('@Mia').first().waitFor();
  assert.match(await page.locator('.cast-card').first().textContent(), /person · 2 pictures/);
  // The owner reorders the pictures.
  await page.getByRole('button', { name: 'Edit' }).click();
  const second = await page.getByRole('img', { name: 'Picture 2 of @Mia' }).getAttribute('src');
  await page.getByRole('button', { name: 'Move picture 2 earlier' }).click();
  await page.waitForFunction((src) => document.querySelector('img[alt="Picture 1 of @Mia"]')?.getAttribute('src') === src, second);
  assert.deepEqual(await audit(page, 'cast'), []);
  await screenshot(page, 'power-cast');
  await page.getByRole('button', { name: 'Show assets' }).click();
  await page.getByLabel('Features').waitFor();

  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByLabel('Model', { exact: true }).selectOption('fal-ai/flux/schnell');
  const chip = page.getByRole('button', { name: '@Mia' });
  await chip.waitFor();
  assert.equal(await chip.isDisabled(), true, 'a model without a reference field disables the chip');
  await page.getByLabel('Model', { exact: true }).selectOption('fal-ai/flux-pro/kontext');
  await page.getByRole('button', { name: '@Mia (1 of 2 pictures)' }).click();
  assert.equal(await page.getByRole('button', { name: '@Mia (1 of 2 pictures)' }).getAttribute('aria-pressed'), 'true');

  await page.goto(env.studio.url + '/gallery');
  await page.getByTestId('asset-card').first().click();
  const upscale = page.getByRole('button', { name: /^Upscale · \$0\.004$/ });
  await upscale.waitFor();
  await upscale.click();
  await page.getByText('Upscale started: the result will appear in the gallery.').waitFor();
  await screenshot(page, 'power-derive');
  assert.deepEqual(problems, []);
  await context.close();
});
