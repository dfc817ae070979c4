// The library in a real browser: favourites, shift-click selection with the bulk bar, a
// collection made from a selection, a share link opened in a fresh context without a session
// (and revoked), the history, and the phone layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, newPage, screenshot } from '../lib/harness.mjs';

const PASSWORD = 'a long enough passphrase';
const EMAIL = 'library-e2e@example.com';
let sim, studio;

let env;
before(async () => {
  env = await startAll({ TRASH_DAYS: '0' }); // deletes confirm first (the trash: trash.test.mjs)
  ({ sim, studio } = env);
});

after(async () => {
  await env?.stop();
});

// seed signs up in the UI, saves a key and generates n images through the API (same session).
async function seed(page, n) {
  await page.goto(studio.url);
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByLabel('Confirm password').press('Enter');
  await page.getByRole('tab', { name: 'Create' }).waitFor();
  const key = await page.request.put(studio.url + '/api/me/fal-key', { data: { falKey: 'sim-library-key' } });
  assert.equal(key.status(), 200);
  for (let i = 0; i < n; i++) {
    const r = await page.request.post(studio.url + '/api/generations', {
      data: { model: 'fal-ai/flux/schnell', prompt: `library picture ${i}`, params: { num_images: 1 } },
    });
    assert.equal(r.status(), 202, await r.text());
  }
  // Poll the studio, bounded (200 × 100 ms), until no job is active.
  for (let tries = 0; tries < 200; tries++) {
    const r = await page.request.get(studio.url + '/api/generations?active=1');
    if ((await r.json()).generations.length === 0) {
      await page.reload(); // the UI learns of the key saved behind its back
      await page.getByRole('tab', { name: 'Create' }).waitFor();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the generations did not finish within 20 s');
}

const selectedFlags = (page) => page.getByTestId('asset-card').evaluateAll((els) => els.map((e) => e.dataset.selected === 'true'));

test('favourites, shift-click selection, a collection, a share link without a session, history', async () => {
  const { page, problems } = await newPage(env);
  await seed(page, 4);
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 4);

  // Favourite one from the grid, then filter by favourites.
  const fav = page.getByTestId('favorite-asset').nth(1);
  await fav.click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="favorite-asset"]')[1].getAttribute('aria-pressed') === 'true');
  await page.getByRole('button', { name: '★ Favourites', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 1);
  await page.getByRole('button', { name: '★ Favourites', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 4);

  // Click selects the first; shift-click on the third selects the range; Escape clears.
  await page.getByTestId('select-asset').first().click();
  await page.getByTestId('bulk-bar').waitFor();
  await page.getByTestId('asset-card').nth(2).click({ modifiers: ['Shift'] });
  assert.equal(await page.getByTestId('selected-count').textContent(), '3 selected');
  assert.deepEqual(await selectedFlags(page), [true, true, true, false]);
  await page.getByRole('button', { name: /Select all loaded/ }).click();
  assert.equal(await page.getByTestId('selected-count').textContent(), '4 selected');
  await page.keyboard.press('Escape');
  await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
  assert.deepEqual(await selectedFlags(page), [false, false, false, false]);

  // A selection of two goes into a new collection.
  await page.getByTestId('select-asset').nth(0).click();
  await page.getByTestId('select-asset').nth(1).click({ modifiers: ['Shift'] });
  assert.equal(await page.getByTestId('selected-count').textContent(), '2 selected');
  await screenshot(page, 'library-selection-desktop');
  await page.getByLabel('Add to collection').selectOption('__new');
  await page.getByTestId('bulk-bar').getByLabel('New collection name').fill('Best of');
  await page.getByTestId('bulk-bar').getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByText('Added to “Best of”.').waitFor();
  // The zip of the selection is the caller's files.
  const zipHref = await page.getByRole('link', { name: 'Download zip' }).getAttribute('href');
  const zip = await page.request.get(studio.url + zipHref);
  assert.equal(zip.status(), 200);
  assert.equal(zip.headers()['content-type'], 'application/zip');
  await page.keyboard.press('Escape');

  // The detail view shows the membership; f toggles the favourite.
  await page.getByTestId('asset-card').first().click();
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.getByTestId('detail-collections').textContent(), 'Best of');
  await page.keyboard.press('f');
  await page.getByRole('button', { name: '★ Favourite', exact: true }).waitFor();
  await page.keyboard.press('Delete');
  await page.getByRole('button', { name: 'Yes, delete' }).waitFor();
  await page.getByRole('button', { name: 'Keep' }).click();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });

  // The collection is a board; opening it filters the gallery.
  await page.getByRole('button', { name: 'Collections', exact: true }).click();
  const board = page.getByTestId('collection-card');
  await board.waitFor();
  assert.match(await board.textContent(), /Best of\s*2 items/);
  await page.getByRole('button', { name: 'Open collection Best of' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 2);

  // Share it and open the link in a fresh browser context: no session, only the media.
  await page.getByRole('button', { name: 'Share collection…' }).click();
  const dialog = page.getByTestId('share-dialog');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const link = await dialog.getByTestId('share-link').inputValue();
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/s\/[A-Za-z0-9_-]{43}$/);

  const { context: guest, page: gp, problems: guestProblems } = await newPage(env, { viewport: { width: 390, height: 844 } });
  const guestRequests = [];
  gp.on('request', (r) => guestRequests.push(new URL(r.url()).pathname));
  await gp.goto(link);
  await gp.waitForFunction(() => document.querySelectorAll('[data-testid="shared-asset"]').length === 2);
  await gp.waitForFunction(() => [...document.querySelectorAll('[data-testid="shared-asset"] img')].every((i) => i.complete && i.naturalWidth > 0));
  const text = await gp.textContent('body');
  assert.ok(text.includes('Best of') && text.includes('library picture'), 'the page shows the collection and its prompts');
  assert.ok(!text.includes(EMAIL), 'the owner’s email is never shown');
  assert.equal((await guest.cookies()).length, 0, 'no session cookie in the guest context');
  assert.ok(!guestRequests.some((p) => p === '/api/me' || p.startsWith('/media/')), `the page asked only for the share: ${guestRequests}`);
  await screenshot(gp, 'library-share-phone');

  // Revoke: the link stops working at once.
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await dialog.getByText('Link revoked').waitFor();
  await gp.reload();
  await gp.getByText('This link has expired, was revoked, or never existed.').waitFor();
  assert.deepEqual(guestProblems, []);
  await guest.close();
  await page.keyboard.press('Escape');

  // "Save to" before generating: the output lands in the collection too.
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByLabel('Model').selectOption('fal-ai/flux/schnell');
  await page.getByLabel('Prompt', { exact: true }).fill('saved straight to the board');
  await page.getByTestId('save-to').selectOption({ label: 'Gallery and “Best of”' });
  await page.getByLabel('Prompt', { exact: true }).press('Control+Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="generation-status"]')?.textContent === 'Done');
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByRole('button', { name: 'Collections', exact: true }).click();
  await page.waitForFunction(() => /Best of\s*3 items/.test(document.querySelector('[data-testid="collection-card"]')?.textContent ?? ''));

  // History lists every generation.
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-item"]').length === 5);
  assert.equal(problems.length, 0, problems.join('\n'));
});

test('the gallery with a selection fits a phone', async () => {
  const { context, page, problems } = await newPage(env, { viewport: { width: 390, height: 844 } });
  const login = await page.request.post(studio.url + '/api/auth/login', { data: { email: EMAIL, password: PASSWORD } });
  assert.equal(login.status(), 200);
  await page.goto(studio.url + '/#gallery');
  await page.getByTestId('asset-card').first().waitFor();
  await page.getByTestId('select-asset').first().click();
  await page.getByTestId('bulk-bar').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const bar = await page.getByTestId('bulk-bar').boundingBox();
  assert.ok(bar && bar.x >= 0 && bar.x + bar.width <= 390, 'the bulk bar fits the screen');
  await screenshot(page, 'library-selection-phone');
  await page.keyboard.press('Escape');
  for (const view of ['Collections', 'History']) {
    await page.getByRole('button', { name: view, exact: true }).click();
    await page.getByTestId(view === 'Collections' ? 'collection-card' : 'history-item').first().waitFor();
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(sideways <= 0, `${view} scrolls sideways by ${sideways}px`);
    await screenshot(page, `library-${view.toLowerCase()}-phone`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});
