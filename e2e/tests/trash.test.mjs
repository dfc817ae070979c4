// The trash in a real browser (SPEC §13.1): deleting from the detail view moves the asset to the
// trash with a "Moved to trash · Undo" toast; Undo brings it back in place; a bulk delete goes
// to the Trash view, which restores one item, deletes another for good and empties the rest after
// a confirmation naming the count. axe-core finds no WCAG A/AA violation on the toast or the
// Trash view, in the light and the dark theme.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startAll, newPage, screenshot } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PASSWORD = 'a long enough passphrase';
let env, studio;

before(async () => {
  env = await startAll();
  ({ studio } = env);
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
  return violations.flatMap((v) => v.nodes.map((n) => `${screen}: ${v.id} at ${n.target.join(' ')}`));
}

// seed signs up through the API in the page's context and makes n images, waiting (bounded).
async function seed(page, email, n) {
  const req = page.request;
  assert.equal((await req.post(studio.url + '/api/auth/signup', { data: { email, password: PASSWORD } })).status(), 201);
  assert.equal((await req.put(studio.url + '/api/me/fal-key', { data: { falKey: 'sim-trash-key' } })).status(), 200);
  for (let i = 0; i < n; i++) {
    const r = await req.post(studio.url + '/api/generations', { data: { model: 'fal-ai/flux/schnell', prompt: `trash picture ${i}`, params: {} } });
    assert.equal(r.status(), 202, await r.text());
  }
  for (let tries = 0; tries < 200; tries++) {
    const r = await req.get(studio.url + '/api/generations?active=1');
    if ((await r.json()).generations.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the generations did not finish within 20 s');
}

const cards = (page) => page.getByTestId('asset-card').evaluateAll((els) => els.map((e) => e.dataset.assetId));

test('delete moves to the trash with Undo; the Trash view restores, deletes for good and empties', async () => {
  const { page, problems } = await newPage(env);
  await seed(page, 'trash-e2e@example.com', 4);
  await page.goto(studio.url + '/gallery');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 4);
  const before = await cards(page);

  // Delete from the detail view: no confirmation, a toast with Undo.
  await page.getByTestId('asset-card').first().click();
  await page.getByRole('dialog').waitFor();
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  const toast = page.getByTestId('toast');
  await toast.waitFor();
  assert.match(await toast.textContent(), /Moved to trash/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 3);
  const found = await audit(page, 'gallery with the toast');
  await screenshot(page, 'trash-toast');
  // Undo: the same asset back in its place.
  await toast.getByRole('button', { name: 'Undo' }).click();
  await toast.waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 4);
  assert.deepEqual(await cards(page), before);
  const trashNow = await (await page.request.get(studio.url + '/api/trash')).json();
  assert.equal(trashNow.assets.length, 0);
  assert.equal(trashNow.retentionSeconds, 30 * 24 * 3600);

  // Select three and move them to the trash.
  await page.getByTestId('select-asset').nth(0).click();
  await page.getByTestId('select-asset').nth(1).click();
  await page.getByTestId('select-asset').nth(2).click();
  await page.getByTestId('bulk-bar').getByRole('button', { name: 'Move to trash' }).click();
  await page.getByTestId('toast').waitFor();
  assert.match(await page.getByTestId('toast').textContent(), /3 items moved to trash/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 1);

  // The Trash view lists them, newest deleted first, with their times.
  await page.getByRole('button', { name: 'Trash', exact: true }).click();
  await page.getByTestId('trash-view').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="trash-item"]').length === 3);
  assert.match(await page.getByTestId('trash-view').textContent(), /kept for 30 days/);
  assert.match(await page.getByTestId('trash-item').first().textContent(), /Deleted (just now|1 minute ago) · deleted for good on /);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="trash-item"] img')].every((i) => i.complete));
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    found.push(...(await audit(page, `trash view ${scheme}`)));
  }
  await screenshot(page, 'trash-view');
  const listed = await page.getByTestId('trash-item').evaluateAll((els) => els.map((e) => e.dataset.assetId));

  // Restore the first.
  await page.getByTestId('trash-item').first().getByRole('button', { name: /^Restore/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="trash-item"]').length === 2);
  // Delete the next for good (a confirmation first).
  await page.getByTestId('trash-item').first().getByRole('button', { name: /^Delete for good/ }).click();
  await page.getByRole('button', { name: 'Yes, delete for good' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="trash-item"]').length === 1);
  assert.equal((await page.request.get(`${studio.url}/api/assets/${listed[1]}`)).status(), 404, 'purged for good');
  // Empty the trash: the confirmation names the count.
  await page.getByRole('button', { name: 'Empty trash' }).click();
  await page.getByText('Delete 1 item for good?').waitFor();
  found.push(...(await audit(page, 'empty confirmation')));
  await page.getByRole('button', { name: 'Yes, empty trash' }).click();
  await page.getByText('The trash is empty.').waitFor();

  // Back in the gallery: the restored one and the one never deleted.
  await page.getByRole('button', { name: 'Assets', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 2);
  assert.ok((await cards(page)).includes(listed[0]), 'the restored asset is back');
  assert.deepEqual(found, [], `axe-core violations:\n${found.join('\n')}`);
  assert.deepEqual(problems, []);
});
