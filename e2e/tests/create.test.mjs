// Create like a power user, in Debian's Chromium against the real binaries: three jobs at once
// in the jobs panel on one event stream (and after a reload), variations as a group, presets,
// animate from the result and from the gallery, and a file dropped onto the references.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, newPage, screenshot, settledValue } from '../lib/harness.mjs';

const PASSWORD = 'a long enough passphrase';
const DESKTOP = { width: 1280, height: 900 };
let sim, studio;

let env;
before(async () => {
  env = await startAll();
  ({ sim, studio } = env);
});

after(async () => {
  await env?.stop();
});


async function signUpWithKey(page, email) {
  await page.goto(studio.url);
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByLabel('Confirm password').press('Enter');
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByLabel('fal API key', { exact: true }).fill('sim-power-key');
  await page.getByRole('button', { name: 'Save key' }).click();
  await page.getByText('Key saved.').waitFor();
  await page.getByRole('tab', { name: 'Create' }).click();
}

const jobStatuses = (page) => page.getByTestId('job').evaluateAll((els) => els.map((e) => e.dataset.status));

async function allDone(page, n) {
  await page.waitForFunction(
    (want) => {
      const jobs = [...document.querySelectorAll('[data-testid="job"]')];
      return jobs.length === want && jobs.every((j) => j.dataset.status === 'succeeded');
    },
    n,
    { timeout: 60_000 },
  );
}

test('three jobs at once in the jobs panel, on one event stream, surviving a reload', async () => {
  const { context, page, problems, streams } = await newPage(env);
  await signUpWithKey(page, 'jobs@example.com');
  await page.getByLabel('Model').selectOption('fal-ai/flux/schnell');
  for (const prompt of ['a red fox', 'a blue whale', 'a green parrot']) {
    await page.getByLabel('Prompt', { exact: true }).fill(prompt);
    await page.getByRole('button', { name: /^Generate( ·|$)/ }).click();
    await page.getByRole('button', { name: /^Generate( ·|$)/ }).waitFor(); // not "Starting…"
  }
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="job"]').length === 3);
  const statuses = await jobStatuses(page);
  assert.ok(statuses.filter((s) => s !== 'succeeded').length >= 2, `jobs run in parallel: ${statuses}`);
  // The newest job is the one shown; the running ones stay listed.
  assert.equal(await page.getByTestId('generation-status').getAttribute('data-generation-id'), await page.getByTestId('job').first().getAttribute('data-generation-id'));
  await screenshot(page, 'create-jobs');

  // A reload shows them again and follows them to their end.
  await page.reload();
  await allDone(page, 3);
  assert.deepEqual(
    await page.locator('[data-testid="job"] .job-prompt').allTextContents(),
    ['a green parrot', 'a blue whale', 'a red fox'],
  );
  // Every output arrived in the panel, from the studio's own storage. A preview is made just after
  // its job succeeds, and the job's stream announces it: wait for the three.
  await page
    .waitForFunction(() => {
      const srcs = [...document.querySelectorAll('.job-thumb img')].map((e) => e.getAttribute('src') ?? '');
      return srcs.length === 3 && srcs.every((s) => s.endsWith('/thumb'));
    }, null, { timeout: 15_000 })
    .catch(() => {}); // the assertions below say what is missing
  const thumbs = await page.locator('.job-thumb img').evaluateAll((els) => els.map((e) => e.getAttribute('src')));
  assert.equal(thumbs.length, 3);
  for (const src of thumbs) assert.match(src, /^\/media\/[a-z0-9]+\/thumb$/, 'the panel shows the stored previews');
  // One stream per page load, never one per job.
  assert.deepEqual(streams.filter((p) => p !== '/api/events'), [], 'no per-generation streams');
  assert.ok(streams.length <= 3, `streams opened: ${streams.length}`);

  // Choosing a job shows it.
  await page.getByRole('button', { name: /^Show\s*Done\s*a red fox$/ }).click();
  assert.equal(await page.getByTestId('result-media').first().getAttribute('src'), thumbs[2].replace(/\/thumb$/, ''));

  // At phone width the panel fits without sideways scrolling.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByTestId('jobs-panel').scrollIntoViewIfNeeded();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no horizontal overflow at 390 px');
  await screenshot(page, 'create-jobs-phone');
  assert.deepEqual(problems, []);
  await context.close();
});

test('variations run as one group with consecutive seeds, and presets keep settings', async () => {
  const { context, page, problems } = await newPage(env);
  await signUpWithKey(page, 'vary@example.com');
  await page.getByLabel('Model').selectOption('fal-ai/flux/schnell');
  await page.getByLabel('Prompt', { exact: true }).fill('a paper lantern');
  await page.getByLabel('Seed', { exact: true }).fill('100');
  await page.getByLabel('Variations').selectOption('3');
  await page.getByRole('button', { name: /^Generate ×3/ }).click();
  const group = page.getByTestId('job-group');
  await group.waitFor();
  await allDone(page, 3);
  const text = await group.textContent();
  assert.match(text, /Variations · 3/);
  for (const s of ['seed 100', 'seed 101', 'seed 102']) assert.ok(text.includes(s), `${s} in ${text}`);
  await screenshot(page, 'create-variations');

  // Save the settings as a preset, change them, apply the preset, then rename and delete it.
  await page.getByLabel(/^Size/).selectOption('square_hd');
  await page.getByRole('button', { name: 'Save as preset' }).click();
  await page.getByLabel('New preset name').fill('Square lanterns');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved “Square lanterns”.').waitFor();
  await page.reload();
  await page.getByLabel('Model').waitFor();
  assert.equal(await settledValue(page.getByLabel(/^Size/), 'landscape_4_3'), 'landscape_4_3');
  await page.getByLabel('Preset').selectOption({ label: 'Square lanterns' });
  assert.equal(await settledValue(page.getByLabel(/^Size/), 'square_hd'), 'square_hd');
  assert.equal(await settledValue(page.getByLabel('Seed', { exact: true }), '100'), '100');
  await page.getByRole('button', { name: 'Save as preset' }).click();
  await page.getByLabel('New preset name').fill('square LANTERNS');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'already have a preset named' }).waitFor();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await page.getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('New name').fill('Lanterns');
  await page.getByRole('button', { name: 'Save name' }).click();
  await page.getByText('Renamed to “Lanterns”.').waitFor();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByText('Deleted “Lanterns”.').waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('animate an image from the result and from the gallery', async () => {
  const { context, page, problems } = await newPage(env);
  await signUpWithKey(page, 'animate@example.com');
  await page.getByLabel('Model').selectOption('fal-ai/flux/schnell');
  await page.getByLabel('Prompt', { exact: true }).fill('a sailing boat');
  await page.getByRole('button', { name: /^Generate( ·|$)/ }).click();
  await allDone(page, 1);
  const still = await page.getByTestId('result-media').first().getAttribute('src');

  await page.getByRole('button', { name: 'Animate' }).click();
  await page.getByRole('button', { name: 'Remove reference 1' }).waitFor();
  const model = await page.getByLabel('Model').inputValue();
  assert.match(model, /image-to-video/, `an image-to-video model is chosen: ${model}`);
  assert.equal(await page.getByAltText('Reference 1').getAttribute('src'), still, 'the reference shows the stored image');
  await page.getByLabel('Prompt', { exact: true }).fill('the boat drifts, waves roll');
  await page.getByRole('button', { name: /^Generate( ·|$)/ }).click();
  await allDone(page, 2);
  await page.locator('video[data-testid="result-media"]').waitFor();

  // From the gallery's detail view: Create opens with the animator and that image.
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.locator(`[data-testid="asset-card"]:has(img)`).first().click();
  await page.getByRole('button', { name: 'Animate' }).click();
  await page.getByRole('tab', { name: 'Create', selected: true }).waitFor();
  await page.getByRole('button', { name: 'Remove reference 1' }).waitFor();
  assert.match(await page.getByLabel('Model').inputValue(), /image-to-video/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a file dropped onto the references uploads it, several where the model takes a list', async () => {
  const { context, page, problems } = await newPage(env);
  await signUpWithKey(page, 'drop@example.com');
  await page.getByLabel('Model').selectOption('fal-ai/flux/schnell');
  await page.getByLabel('Prompt', { exact: true }).fill('a teapot');
  await page.getByRole('button', { name: /^Generate( ·|$)/ }).click();
  await allDone(page, 1);
  const png = [...(await (await page.request.get(studio.url + (await page.getByTestId('result-media').first().getAttribute('src')))).body())];

  // drop dispatches a real drop event whose DataTransfer holds `count` PNG files.
  const drop = (target, count) =>
    page.getByTestId(target).evaluate(
      (el, [bytes, n]) => {
        const dt = new DataTransfer();
        for (let i = 0; i < n; i++) dt.items.add(new File([new Uint8Array(bytes)], `drop-${i}.png`, { type: 'image/png' }));
        el.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
        el.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
      },
      [png, count],
    );

  // One image: the drop becomes the reference; a second drop replaces it.
  await page.getByLabel('Model').selectOption('fal-ai/flux-pro/kontext');
  await drop('reference-dropzone', 1);
  await page.getByRole('button', { name: 'Remove reference 1' }).waitFor();
  assert.match(await page.getByAltText('Reference 1').getAttribute('src'), /^blob:/, 'the preview is the local file');
  const first = await page.getByAltText('Reference 1').getAttribute('src');
  await page.getByText('drop another to replace it').waitFor();
  await drop('reference-dropzone', 1);
  await page.waitForFunction((was) => document.querySelector('img[alt="Reference 1"]')?.getAttribute('src') !== was, first);
  assert.equal(await page.getByTestId('reference-thumb').count(), 1, 'the new image replaced the old one');
  await page.getByLabel('Prompt', { exact: true }).fill('make it gold');
  await page.getByRole('button', { name: /^Generate( ·|$)/ }).click();
  await allDone(page, 2);

  // A list model takes several at once, up to its count (Nano Banana Edit: 4).
  await page.getByLabel('Model').selectOption('fal-ai/nano-banana/edit');
  await page.getByRole('button', { name: 'Remove reference 1' }).click();
  await drop('reference-dropzone', 5);
  await page.getByRole('button', { name: 'Remove reference 4' }).waitFor();
  assert.equal(await page.getByTestId('reference-thumb').count(), 4);
  await page.getByRole('alert').filter({ hasText: 'Only 4 more reference images fit' }).waitFor();
  await page.getByLabel('Prompt', { exact: true }).fill('combine them');
  await page.getByRole('button', { name: /^Generate( ·|$)/ }).click();
  await allDone(page, 3);
  await screenshot(page, 'create-drop');
  assert.deepEqual(problems, []);
  await context.close();
});
