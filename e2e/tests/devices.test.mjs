// On every device (SPEC §16): Chromium finds the studio installable (DevTools'
// Page.getInstallabilityErrors), offline it shows a friendly page, and a photo or video shared
// from the system's share sheet opens Create — also when the person signs in first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startAll, newPage, screenshot } from '../lib/harness.mjs';

const PASSWORD = 'a long enough passphrase';
let env;

before(async () => {
  env = await startAll();
});

after(async () => {
  await env?.stop();
});

// A 2×2 PNG and the start of an MP4: the studio takes a file's type from its bytes.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAF0lEQVR4nGLpjvnGwMDAxAAGgAAAAP//FkUB5E+AmyAAAAAASUVORK5CYII=',
  'base64',
);
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isommp41'), Buffer.alloc(2048)]);

async function signUp(page, email) {
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByLabel('Confirm password').press('Enter');
  await page.getByRole('tab', { name: 'Create' }).waitFor();
}

// share posts what a share sheet sends (a top-level navigation: Sec-Fetch-Site none) with the
// context's cookies, and returns the redirect it answers.
async function share(context, multipart) {
  const res = await context.request.post(env.studio.url + '/share-target', {
    multipart,
    maxRedirects: 0,
    headers: { 'Sec-Fetch-Site': 'none', Accept: 'text/html' },
  });
  assert.equal(res.status(), 303, await res.text());
  return res.headers()['location'];
}

test('the studio is installable, and offline it says so', async () => {
  // Chromium installs nothing from an incognito profile (every newContext is one): a profile
  // on disk, like a person's browser.
  const profile = mkdtempSync(path.join(tmpdir(), 'falstudio-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-sync', '--disable-component-update'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(env.studio.url);
    await page.getByRole('tab', { name: 'Log in' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.active !== null)), true);
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.match(manifest.url, /\/manifest\.webmanifest$/);
    assert.deepEqual(manifest.errors, []);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], JSON.stringify(installabilityErrors));

    // Once the worker controls the page, a navigation without a network shows the offline page.
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await context.setOffline(true);
    await page.goto(env.studio.url + '/gallery');
    await page.getByRole('heading', { name: 'You are offline' }).waitFor();
    // Nothing private is answered from a cache: the API fails offline.
    const api = await page.evaluate(() => fetch('/api/status').then((r) => r.status).catch(() => 'network error'));
    assert.equal(api, 'network error');
    await screenshot(page, 'devices-offline');
    await context.setOffline(false);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('a photo shared while signed in becomes the reference in Create; a video can be imported', async () => {
  const { page, context, problems } = await newPage(env, { viewport: { width: 390, height: 844 } });
  await page.goto(env.studio.url);
  await signUp(page, 'sharer@example.com');
  const key = await page.request.put(env.studio.url + '/api/me/fal-key', { data: { falKey: 'sim-devices-key' } });
  assert.equal(key.status(), 200);

  const to = await share(context, { media: { name: 'IMG_2041.png', mimeType: 'image/png', buffer: PNG }, text: 'a fox' });
  assert.match(to, /^\/create\?shared=[a-z0-9]+$/);
  await page.goto(env.studio.url + to);
  await page.getByRole('img', { name: 'Reference 1' }).waitFor();
  assert.match(await page.getByRole('img', { name: 'Reference 1' }).getAttribute('src'), /^\/api\/shared\/[a-z0-9]+\/file$/);
  await screenshot(page, 'devices-shared-image');

  const video = await share(context, { media: { name: 'clip.mp4', mimeType: 'video/mp4', buffer: MP4 } });
  await page.goto(env.studio.url + video);
  const banner = page.getByTestId('shared-banner');
  await banner.getByRole('button', { name: 'Import to Gallery' }).click();
  await banner.getByText('Imported to the Gallery.').waitFor();

  // A notification's link opens that generation; a failed one offers Run again.
  const sub = await page.request.post(env.studio.url + '/api/generations', { data: { model: 'fal-ai/flux/schnell', prompt: 'a fox invalid', params: {} } });
  assert.equal(sub.status(), 202);
  const { generation } = await sub.json();
  await page.goto(env.studio.url + '/create?generation=' + generation.id);
  await page.getByRole('button', { name: 'Run again' }).waitFor();
  assert.equal(await page.getByTestId('generation-status').getAttribute('data-generation-id'), generation.id);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a photo shared before signing in waits for the sign-in', async () => {
  const { page, context, problems } = await newPage(env);
  const to = await share(context, { media: { name: 'later.png', mimeType: 'image/png', buffer: PNG } });
  assert.equal(to, '/login?shared=pending');
  await page.goto(env.studio.url + to);
  await signUp(page, 'later@example.com');
  // No fal key yet: the image is offered in Create, with what to do about it.
  await page.getByTestId('shared-banner').getByRole('img', { name: 'later.png' }).waitFor();
  await page.getByTestId('shared-banner').getByText(/fal/i).first().waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('Account shows the notification settings', async () => {
  const { page, context, problems } = await newPage(env);
  await page.goto(env.studio.url);
  await signUp(page, 'notified@example.com');
  await page.getByRole('tab', { name: 'Account' }).click();
  const card = page.getByRole('region', { name: 'Notifications' });
  const away = card.getByTestId('push-away');
  await away.waitFor();
  assert.equal(await away.isChecked(), true);
  await away.click();
  await card.getByText('Every time a generation ends.').waitFor();
  assert.equal(await away.isChecked(), false);
  const prefs = await page.request.get(env.studio.url + '/api/me/notifications');
  assert.deepEqual(await prefs.json(), { notifications: { push: true, onlyWhenAway: false } });
  assert.deepEqual(problems, []);
  await context.close();
});
