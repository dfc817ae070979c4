// Accessibility with the real tool: axe-core, injected into the running UI in Debian's Chromium,
// finds no WCAG 2.0/2.1 A or AA violation on any screen — sign-in, Create (with a finished
// result), Gallery with items, the detail dialog (and its delete confirmation), Account, Admin — in the
// light and the dark theme, on a desktop and at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startFalsim, startStudio, launchBrowser, newPage, screenshot } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PASSWORD = 'a long enough passphrase';
const SIZES = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } };
let sim, studio, browser, storageState;

before(async () => {
  sim = await startFalsim();
  studio = await startStudio(sim.env, { TRASH_DAYS: '0' }); // the delete confirmation; the trash's screens: trash.test.mjs
  browser = await launchBrowser();
  // One user with a key and two images, made through the API.
  const context = await browser.newContext();
  const req = context.request;
  assert.equal((await req.post(studio.url + '/api/auth/signup', { data: { email: 'a11y@example.com', password: PASSWORD } })).status(), 201);
  assert.equal((await req.put(studio.url + '/api/me/fal-key', { data: { falKey: 'sim-a11y-key' } })).status(), 200);
  for (const prompt of ['a lighthouse on a cliff', 'a field of poppies']) {
    const r = await req.post(studio.url + '/api/generations', { data: { model: 'fal-ai/flux/schnell', prompt, params: {} } });
    assert.equal(r.status(), 202);
    const { generation } = await r.json();
    for (let i = 0; i < 200; i++) {
      const g = (await (await req.get(`${studio.url}/api/generations/${generation.id}`)).json()).generation;
      if (g.status === 'succeeded') break;
      assert.ok(!['failed', 'canceled'].includes(g.status), `generation ${g.status}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  storageState = await context.storageState();
  await context.close();
});

after(async () => {
  await browser?.close();
  await studio?.stop();
  await sim?.stop();
});

// audit runs axe on the page as it is and returns one line per violating node.
async function audit(page, screen) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    // Through the DevTools protocol, so the studio's CSP (no inline script) stays as it is.
    await page.evaluate(AXE);
  }
  const violations = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }).then((r) => r.violations),
    TAGS,
  );
  return violations.flatMap((v) => v.nodes.map((n) => `${screen}: ${v.id} (${v.impact}) at ${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').trim()}`));
}

for (const [size, viewport] of Object.entries(SIZES)) {
  for (const scheme of ['light', 'dark']) {
    test(`axe finds no WCAG A/AA violation, ${scheme} theme, ${size}`, async () => {
      const found = [];
      const tag = `${size}-${scheme}`;

      // Sign-in and sign-up, with a validation error showing.
      const { context: anon, page: a, problems: anonErrors } = await newPage({ browser, studio }, { viewport, colorScheme: scheme });
      await a.goto(studio.url);
      await a.getByRole('button', { name: 'Log in' }).waitFor();
      found.push(...(await audit(a, `auth ${tag}`)));
      await a.getByRole('tab', { name: 'Sign up' }).click();
      await a.getByLabel('Email').fill('x');
      await a.getByRole('button', { name: 'Create account' }).click();
      await a.getByRole('alert').first().waitFor();
      found.push(...(await audit(a, `sign-up with an error ${tag}`)));
      assert.deepEqual(anonErrors, []);
      await anon.close();

      const { context, page, problems: errors } = await newPage({ browser, studio }, { viewport, colorScheme: scheme, storageState });

      // Create, empty and then with a finished result.
      await page.goto(studio.url + '/');
      await page.getByLabel('Model', { exact: true }).waitFor();
      found.push(...(await audit(page, `create ${tag}`)));
      await page.getByLabel('Prompt', { exact: true }).fill(`a paper boat, ${tag}`);
      await page.getByRole('button', { name: 'Generate' }).click();
      await page.waitForFunction(() => document.querySelector('[data-testid="generation-status"]')?.textContent === 'Done');
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="result-media"]')].every((i) => i.complete));
      found.push(...(await audit(page, `create with a result ${tag}`)));
      await screenshot(page, `a11y-create-${tag}`);

      // Gallery with items, opened by its own URL.
      await page.goto(studio.url + '/gallery');
      await page.getByTestId('asset-card').first().waitFor();
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="asset-card"] img')].every((i) => i.complete));
      found.push(...(await audit(page, `gallery ${tag}`)));
      await screenshot(page, `a11y-gallery-${tag}`);

      // The detail dialog, then its delete confirmation (a filled danger button).
      await page.getByTestId('asset-card').first().click();
      await page.getByRole('dialog').waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="detail-media"]')?.complete);
      found.push(...(await audit(page, `detail ${tag}`)));
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('button', { name: 'Yes, delete' }).waitFor();
      found.push(...(await audit(page, `delete confirmation ${tag}`)));
      await screenshot(page, `a11y-detail-${tag}`);
      await page.getByRole('button', { name: 'Keep' }).click();
      await page.keyboard.press('Escape');

      // Account.
      await page.goto(studio.url + '/account');
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      found.push(...(await audit(page, `account ${tag}`)));
      await screenshot(page, `a11y-account-${tag}`);

      // Admin (the first account is the admin): people, invites, the audit log.
      await page.goto(studio.url + '/admin');
      await page.getByRole('heading', { name: 'People' }).waitFor();
      found.push(...(await audit(page, `admin people ${tag}`)));
      for (const panel of ['Invites', 'Audit log']) {
        const t = page.getByRole('tab', { name: panel });
        if (await t.count()) {
          await t.click();
          await page.getByRole('heading', { name: panel === 'Invites' ? 'Invite someone' : 'Audit log' }).waitFor();
          found.push(...(await audit(page, `admin ${panel.toLowerCase()} ${tag}`)));
        }
      }
      await screenshot(page, `a11y-admin-${tag}`);

      assert.deepEqual(errors, []);
      assert.deepEqual(found, [], `axe-core ${TAGS.join(',')} violations:\n${found.join('\n')}`);
      await context.close();
    });
  }
}

test('every screen has one <h1> and a <main> landmark, and phone tab labels are at least 12 px', async () => {
  const { context, page, problems } = await newPage({ browser, studio }, { viewport: SIZES.phone, storageState });
  for (const [path, ready] of [
    ['/', () => page.getByLabel('Model', { exact: true }).waitFor()],
    ['/gallery', () => page.getByTestId('asset-card').first().waitFor()],
    ['/account', () => page.getByRole('button', { name: 'Log out' }).waitFor()],
    ['/admin', () => page.getByRole('heading', { name: 'People' }).waitFor()],
  ]) {
    await page.goto(studio.url + path);
    await ready();
    const s = await page.evaluate(() => ({
      h1: [...document.querySelectorAll('h1')].filter((h) => h.closest('[hidden]') === null).length,
      main: document.querySelectorAll('main').length,
      label: Math.min(...[...document.querySelectorAll('.tab-label')].map((l) => parseFloat(getComputedStyle(l).fontSize))),
    }));
    assert.deepEqual(s.h1, 1, `${path}: one visible <h1>`);
    assert.equal(s.main, 1, `${path}: one <main>`);
    assert.ok(s.label >= 12, `${path}: tab labels ${s.label}px`);
  }
  // Visible focus: a focused tab draws an outline.
  await page.keyboard.press('Tab');
  await page.getByRole('tab', { name: 'Account' }).focus();
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  assert.deepEqual(problems, []);
  await context.close();
});
