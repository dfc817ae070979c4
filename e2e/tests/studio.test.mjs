// End to end: a new user, in Debian's Chromium, against the real falstudio binary pointed at the
// real falsim binary — sign up, save a key, generate, see it in the gallery, reload, reuse its
// settings, delete it, log out; a moderation error; a video generated and playable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, newPage, screenshot, settledValue } from '../lib/harness.mjs';

const PASSWORD = 'a long enough passphrase';
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
let sim, studio, browser;

let env;
before(async () => {
  env = await startAll({ TRASH_DAYS: '0' }); // a delete is immediate (the trash: trash.test.mjs)
  ({ sim, studio, browser } = env);
});

after(async () => {
  await env?.stop();
});


async function signUp(page, email) {
  await page.goto(studio.url);
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByLabel('Confirm password').press('Enter');
  await page.getByRole('tab', { name: 'Create' }).waitFor();
}

async function saveKey(page, key) {
  await page.getByRole('tab', { name: 'Account' }).click();
  const input = page.getByLabel('fal API key', { exact: true });
  assert.equal(await input.inputValue(), '', 'the key input is never prefilled');
  await input.fill(key);
  await page.getByRole('button', { name: 'Save key' }).click();
  await page.getByText('Key saved. It is stored encrypted').waitFor();
  assert.equal(await page.getByTestId('key-status').textContent(), 'a key is saved');
  assert.equal(await page.getByLabel('Replace fal API key').inputValue(), '', 'the key input is cleared after saving');
}

async function currentGeneration(page) {
  const pill = page.getByTestId('generation-status');
  return (await pill.count()) ? pill.getAttribute('data-generation-id') : null;
}

// finished waits until a generation other than `previous` shows the given status.
async function finished(page, previous, status = 'Done') {
  await page.waitForFunction(
    ([prev, want]) => {
      const p = document.querySelector('[data-testid="generation-status"]');
      return p && p.dataset.generationId !== prev && p.textContent === want;
    },
    [previous, status],
  );
}

async function generate(page, model, prompt) {
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByLabel('Model').selectOption(model);
  await page.getByLabel('Prompt', { exact: true }).fill(prompt);
  const previous = await currentGeneration(page);
  await page.getByLabel('Prompt', { exact: true }).press('Control+Enter');
  return previous;
}

test('a new user signs up, generates, browses, reuses, deletes and logs out', async () => {
  const { context, page, problems } = await newPage(env);
  // The auth screen refuses a short password before asking the server.
  await page.goto(studio.url);
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  assert.equal(await page.getByText('Your session ended').count(), 0, 'no session notice on a first visit');
  await screenshot(page, 'auth-desktop');
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill('short@example.com');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Confirm password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').filter({ hasText: 'at least 8 characters' }).waitFor();

  await signUp(page, 'e2e@example.com');
  // No key yet: Generate is disabled and the hint leads to Account.
  await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse');
  assert.equal(await page.getByRole('button', { name: 'Generate' }).isDisabled(), true);
  await page.getByTestId('generate-hint').getByRole('button', { name: 'Go to Account' }).click();
  await screenshot(page, 'account-desktop');
  await saveKey(page, 'sim-e2e-key');

  // Credits with an API key explain that the balance needs billing access.
  await page.getByRole('button', { name: 'Refresh balance' }).click();
  await page.getByText('needs a key with billing access').waitFor();

  await finished(page, await generate(page, 'fal-ai/flux/schnell', 'a lighthouse at dusk, oil painting'), 'Done');
  const img = page.getByTestId('result-media').first();
  const src = await img.getAttribute('src');
  assert.match(src, /^\/media\/[a-z0-9]+$/, 'the result shows the persisted asset URL');
  await page.waitForFunction(() => {
    const i = document.querySelector('[data-testid="result-media"]');
    return i && i.complete && i.naturalWidth > 0;
  });
  await screenshot(page, 'create-desktop');

  // The gallery lists it, and still does after a reload.
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().waitFor();
  assert.equal(await page.getByTestId('asset-card').count(), 1);
  await page.reload();
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().waitFor();
  await screenshot(page, 'gallery-desktop');

  // Search narrows the grid; the empty result says so.
  await page.getByLabel('Search prompts').fill('submarine');
  await page.getByText('Nothing matches').waitFor();
  await page.getByLabel('Search prompts').fill('lighthouse');
  await page.getByTestId('asset-card').first().waitFor();

  // Detail view: Reuse settings loads the model and prompt into Create.
  await page.getByTestId('asset-card').first().click();
  await page.getByRole('dialog').waitFor();
  await screenshot(page, 'detail-desktop');
  // Download saves the file as an attachment (the marked copy; "Download original" the stored
  // bytes); Copy prompt fills the clipboard.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download', exact: true }).click()]);
  assert.match(download.suggestedFilename(), /\.png$/);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: studio.url });
  await page.getByRole('button', { name: 'Copy prompt' }).click();
  await page.getByText('Prompt copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'a lighthouse at dusk, oil painting');
  // Arrow keys and Escape work in the dialog.
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await page.getByTestId('asset-card').first().click();
  await page.getByRole('button', { name: 'Reuse settings' }).click();
  assert.equal(await settledValue(page.getByLabel('Prompt', { exact: true }), 'a lighthouse at dusk, oil painting'), 'a lighthouse at dusk, oil painting');
  assert.equal(await settledValue(page.getByLabel('Model'), 'fal-ai/flux/schnell'), 'fal-ai/flux/schnell');

  // Delete with confirmation; the gallery is empty again and leads to Create.
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().click();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByText('Your gallery is empty').waitFor();
  const media = await page.request.get(studio.url + src);
  assert.equal(media.status(), 404, 'the deleted media is gone');

  // Log out: back to the login screen, and the old session no longer works.
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  const me = await page.request.get(studio.url + '/api/me');
  assert.equal(me.status(), 401);

  // A session that ends while in use (here: revoked by a password change elsewhere) returns
  // to the login screen with a notice on the next request.
  await page.getByLabel('Email').fill('e2e@example.com');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('tab', { name: 'Gallery' }).waitFor();
  const other = await browser.newContext();
  const login = await other.request.post(studio.url + '/api/auth/login', { data: { email: 'e2e@example.com', password: PASSWORD } });
  assert.equal(login.status(), 200);
  const changed = await other.request.put(studio.url + '/api/me/password', { data: { currentPassword: PASSWORD, newPassword: PASSWORD + '!' } });
  assert.equal(changed.status(), 204);
  await other.close();
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByText('Your session ended. Log in again.').waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('moderation errors show the provider message', async () => {
  const { context, page, problems } = await newPage(env);
  await signUp(page, 'moderation@example.com');
  await saveKey(page, 'sim-mod-key');
  await finished(page, await generate(page, 'fal-ai/flux/dev', 'something blocked by the checker'), 'Failed');
  await page.getByRole('alert').filter({ hasText: 'Blocked by provider safety/content policy: ' }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('a video is generated and plays', async () => {
  const { context, page, problems } = await newPage(env);
  await signUp(page, 'video@example.com');
  await saveKey(page, 'sim-video-key');
  await finished(page, await generate(page, 'fal-ai/veo3', 'waves rolling onto a beach'), 'Done');
  const video = page.locator('video[data-testid="result-media"]');
  await video.waitFor();
  const played = await video.evaluate(async (v) => {
    v.muted = true;
    await v.play();
    await new Promise((r) => setTimeout(r, 600));
    return { time: v.currentTime, error: v.error ? v.error.code : null, w: v.videoWidth };
  });
  assert.equal(played.error, null, 'the video decodes');
  assert.ok(played.time > 0 && played.w > 0, `the video plays (t=${played.time}, w=${played.w})`);
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('an image is used as a reference for an edit, and a custom model runs', async () => {
  const { context, page, problems } = await newPage(env);
  await signUp(page, 'reference@example.com');
  await saveKey(page, 'sim-ref-key');
  await finished(page, await generate(page, 'fal-ai/flux/schnell', 'a red bicycle'), 'Done');
  // The file picker uploads an image as a removable reference (an HTML file is refused).
  const png = await (await page.request.get(studio.url + (await page.getByTestId('result-media').first().getAttribute('src')))).body();
  await page.getByLabel('Model').selectOption('fal-ai/flux-pro/kontext');
  await page.getByTestId('reference-input').setInputFiles({ name: 'mine.png', mimeType: 'image/png', buffer: png });
  await page.getByRole('button', { name: 'Remove reference 1' }).click();
  await page.getByRole('button', { name: 'Remove reference 1' }).waitFor({ state: 'detached' });
  await page.getByTestId('reference-input').setInputFiles({ name: 'evil.png', mimeType: 'image/png', buffer: Buffer.from('<html><script>1</script></html>') });
  await page.getByRole('alert').filter({ hasText: 'Upload an image' }).waitFor();

  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().click();
  await page.getByRole('button', { name: 'Use as reference' }).click();
  // Back in Create with an edit model and the image as a removable reference.
  await page.getByRole('button', { name: 'Remove reference 1' }).waitFor();
  assert.equal(await settledValue(page.getByLabel('Model'), 'fal-ai/flux-pro/kontext'), 'fal-ai/flux-pro/kontext');
  await page.getByLabel('Prompt', { exact: true }).fill('make it blue');
  let previous = await currentGeneration(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  await finished(page, previous);

  // A custom model id, found through fal's live catalogue, with a JSON input.
  await page.getByLabel('Model').selectOption('__custom__');
  await page.getByLabel('Custom model id').fill('kling');
  await page.waitForFunction(() => document.querySelectorAll('#live-models option').length > 0);
  // A catalogue model's input schema becomes a form.
  await page.getByLabel('Custom model id').fill('fal-ai/recraft/v3/text-to-image');
  await page.getByRole('combobox', { name: /image size/i }).waitFor();
  await page.getByLabel('Custom model id').fill('someone/custom-app/v1');
  await page.getByRole('combobox', { name: /image size/i }).waitFor({ state: 'detached' });
  await page.getByLabel('Model input (JSON, optional)').fill('not json');
  await page.getByLabel('Prompt', { exact: true }).fill('custom run');
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.getByRole('alert').filter({ hasText: 'must be a JSON object' }).waitFor();
  await page.getByLabel('Model input (JSON, optional)').fill('{"image_size": "square"}');
  previous = await currentGeneration(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  await finished(page, previous);
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="asset-card"]').length === 3);
  assert.deepEqual(problems, []);
  await context.close();
});

test('every tab at phone width', async () => {
  const { context, page, problems } = await newPage(env, { viewport: PHONE });
  await page.goto(studio.url);
  await screenshot(page, 'auth-phone');
  await signUp(page, 'phone@example.com');
  await saveKey(page, 'sim-phone-key');
  await screenshot(page, 'account-phone');
  await finished(page, await generate(page, 'fal-ai/flux/schnell', 'a tiny robot'), 'Done');
  await screenshot(page, 'create-phone');
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().waitFor();
  await screenshot(page, 'gallery-phone');
  // The tab bar sits at the bottom on a phone.
  const box = await page.getByRole('tablist', { name: 'Sections' }).boundingBox();
  assert.ok(box.y > PHONE.height - 120, `tab bar at y=${box.y}`);
  assert.deepEqual(problems, []);
  await context.close();
});
