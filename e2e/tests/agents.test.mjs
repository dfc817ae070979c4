// Apps & agents in the browser: create a personal access token (name, scopes, models, cap),
// see its secret once with a ready MCP configuration, use it from outside the browser (the
// token makes a generation), see it listed with its last use and this month's spend, split the
// spending by token, revoke it — and axe-core finds no violation in the light and the dark theme,
// on a desktop and at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startAll, newPage, screenshot } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PASSWORD = 'a long enough passphrase';
let env;

before(async () => {
  env = await startAll();
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

test('create a token, see the secret once, use it, see its spend, revoke it', async () => {
  const { studio } = env;
  const { context, page, problems } = await newPage(env, { clipboard: true });
  await page.goto(studio.url);
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill('agents@example.com');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByLabel('Confirm password').press('Enter');
  await page.getByRole('tab', { name: 'Create' }).waitFor();
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByLabel('fal API key', { exact: true }).fill('sim-key-agents');
  await page.getByRole('button', { name: 'Save key' }).click();
  await page.getByText('Key saved.').waitFor();

  const card = page.getByRole('region', { name: 'Apps & agents' });
  await card.getByTestId('no-tokens').waitFor();
  await card.getByLabel('Name').fill('Claude Code');
  await card.getByLabel(/Share links/).check();
  await card.getByLabel(/Monthly cap/).fill('1');
  await card.getByLabel(/Models/).fill('fal-ai/flux/schnell');
  await card.getByRole('button', { name: 'Create token' }).click();

  const secretField = card.getByLabel('Secret');
  await secretField.waitFor();
  const secret = await secretField.inputValue();
  assert.match(secret, /^fst_[A-Za-z0-9_-]{43}$/);
  const config = JSON.parse(await card.getByLabel(/MCP configuration/).inputValue());
  assert.equal(config.mcpServers['fal-studio'].url, `${new URL(studio.url).origin}/mcp`);
  assert.equal(config.mcpServers['fal-studio'].headers.Authorization, `Bearer ${secret}`);
  await card.getByRole('button', { name: 'Copy configuration' }).click();
  await card.getByText('Copied to the clipboard.').waitFor();
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /"Authorization": "Bearer fst_/);
  await screenshot(page, 'agents-secret');
  const item = card.getByTestId('token-item');
  await item.waitFor();
  assert.match(await item.textContent(), /Claude Code/);
  assert.match(await item.textContent(), /never used/);
  assert.ok(!(await item.textContent()).includes(secret.slice(12)), 'the list shows the secret');

  // The token works from outside the browser (no cookie): it makes a generation.
  const api = await env.browser.newContext();
  const auth = { Authorization: `Bearer ${secret}` };
  const r = await api.request.post(studio.url + '/api/generations', { headers: auth, data: { model: 'fal-ai/flux/schnell', prompt: 'a robot painting' } });
  assert.equal(r.status(), 202);
  const { generation } = await r.json();
  assert.equal(generation.via.name, 'Claude Code');
  for (let i = 0; i < 200; i++) {
    const g = (await (await api.request.get(`${studio.url}/api/generations/${generation.id}`, { headers: auth })).json()).generation;
    if (g.status === 'succeeded') break;
    assert.ok(!['failed', 'canceled'].includes(g.status), `generation ${g.status}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  await api.close();

  // Once saved, the secret is gone from the page; the list shows the use and the spend.
  await card.getByRole('button', { name: 'I have saved it' }).click();
  await page.reload();
  await page.getByRole('tab', { name: 'Account' }).click();
  await item.waitFor();
  assert.equal(await card.getByLabel('Secret').count(), 0);
  assert.match(await item.textContent(), /last used/);
  assert.match(await item.textContent(), /\$0\.003 this month of \$1\.00 cap/);

  // Spending split by token: the token's bucket beside the browser's.
  await page.getByRole('button', { name: 'Per app & token' }).click();
  const table = page.getByTestId('spend-by-token');
  await table.waitFor();
  assert.match(await table.getByRole('row', { name: /Claude Code/ }).textContent(), /\$0\.003/);

  // The gallery's detail and the history mark the generation with the token.
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await page.getByTestId('asset-card').first().click();
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.getByTestId('detail-via').textContent(), 'via Claude Code');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  const history = page.getByRole('tab', { name: 'History' });
  if (await history.count()) {
    await history.click();
    await page.getByTestId('via').first().waitFor();
    assert.equal(await page.getByTestId('via').first().textContent(), 'via Claude Code');
  }

  // axe in both themes, on a desktop and a phone, with a token listed and a secret shown.
  const found = [];
  for (const [size, viewport] of Object.entries({ desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } })) {
    for (const scheme of ['light', 'dark']) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await page.getByRole('tab', { name: 'Account' }).click();
      await item.waitFor();
      found.push(...(await audit(page, `account ${scheme} ${size}`)));
      if (size === 'phone') {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `the Account tab scrolls sideways by ${overflow}px at 390 px`);
        await screenshot(page, `agents-phone-${scheme}`);
      }
    }
  }
  await page.setViewportSize({ width: 1280, height: 860 });
  assert.deepEqual(found, [], `axe-core violations:\n${found.join('\n')}`);

  // Revoke: the token stops working at once.
  page.once('dialog', (d) => void d.accept());
  await card.getByRole('button', { name: 'Revoke Claude Code' }).click();
  await card.getByText('“Claude Code” is revoked.').waitFor();
  await card.getByTestId('no-tokens').waitFor();
  const after = await env.browser.newContext();
  assert.equal((await after.request.get(studio.url + '/api/me', { headers: auth })).status(), 401);
  await after.close();

  assert.deepEqual(problems, []);
  await context.close();
});
