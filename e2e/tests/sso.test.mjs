// Single sign-on end to end, in Debian's Chromium against the real binaries: a real OpenID
// provider (cmd/oidcprovider, loopback only) beside the studio. The button signs the first
// person in through the provider's login page (PKCE, state, nonce: the studio's real flow);
// an email that belongs to a password account is refused with the sentence that explains how
// to link; the password account links single sign-on from Account and then signs in with it.
// axe-core finds nothing on the sign-in screen with the button and its error, light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startFalsim, startStudio, startOIDCProvider, freePort, launchBrowser, newPage, screenshot } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'a long enough passphrase';
const LABEL = 'Sign in with Test IdP';
let env;

before(async () => {
  env = {};
  env.sim = await startFalsim();
  const port = await freePort();
  const publicURL = `http://127.0.0.1:${port}`;
  env.op = await startOIDCProvider(`${publicURL}/api/auth/oidc/callback`);
  env.studio = await startStudio(env.sim.env, { ...env.op.env, ADDR: `127.0.0.1:${port}`, PUBLIC_URL: publicURL, OIDC_BUTTON_LABEL: LABEL });
  env.browser = await launchBrowser();
});

after(async () => {
  await env?.browser?.close();
  await env?.studio?.stop();
  await env?.op?.stop();
  await env?.sim?.stop();
});

// The provider is the one other origin these pages may load.
function ownProblems(problems) {
  return problems.filter((p) => !p.startsWith(`request to another origin: ${env.op.issuer}`));
}

// loginAtProvider fills the provider's own login page and comes back to the studio.
async function loginAtProvider(page, username) {
  await page.waitForURL((u) => u.href.startsWith(env.op.issuer));
  await page.getByLabel('Username:').fill(username);
  await page.getByLabel('Password:').fill(env.op.password);
  await page.getByRole('button', { name: 'Login' }).click();
  await page.waitForURL((u) => u.href.startsWith(env.studio.url));
}

async function audit(page, what) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE);
  const violations = await page.evaluate(() =>
    window.axe
      .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
      .then((r) => r.violations),
  );
  return violations.flatMap((v) => v.nodes.map((n) => `${what}: ${v.id} at ${n.target.join(' ')}`));
}

test('sign in through the provider, refuse an existing email, link from Account', async () => {
  // The first person signs in with the button: an account, the studio's admin.
  const ann = await newPage(env);
  await ann.page.goto(env.studio.url);
  const button = ann.page.getByRole('link', { name: LABEL });
  await button.waitFor();
  await screenshot(ann.page, 'sso-sign-in');
  await button.click();
  await loginAtProvider(ann.page, 'ann');
  await ann.page.getByRole('tab', { name: 'Admin' }).waitFor();
  await ann.page.getByRole('tab', { name: 'Account' }).click();
  const card = ann.page.getByTestId('sso-card');
  await card.getByText('Linked to').waitFor();
  assert.match(await card.textContent(), new RegExp(env.op.issuer.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  await ann.page.getByRole('heading', { name: 'Set a password' }).waitFor();
  assert.deepEqual(ownProblems(ann.problems), []);

  // cy has a password account; the provider's cy has the same email: refused, and told how.
  const cy = await newPage(env, { viewport: { width: 390, height: 844 } });
  await cy.page.goto(env.studio.url);
  await cy.page.getByRole('tab', { name: 'Sign up' }).click();
  await cy.page.getByLabel('Email').fill('cy@example.com');
  await cy.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await cy.page.getByLabel('Confirm password').fill(PASSWORD);
  await cy.page.getByRole('button', { name: 'Create account' }).click();
  await cy.page.getByRole('tab', { name: 'Account' }).waitFor();
  const other = await newPage(env, { viewport: { width: 390, height: 844 } });
  await other.page.goto(env.studio.url);
  await other.page.getByRole('link', { name: LABEL }).click();
  await loginAtProvider(other.page, 'cy');
  const error = other.page.getByTestId('sso-error');
  await error.waitFor();
  assert.match(await error.textContent(), /already exists\. Sign in with your password, then link single sign-on in Account/);
  assert.equal(new URL(other.page.url()).search, '', 'the address is cleaned of ?ssoError');
  await screenshot(other.page, 'sso-account-exists-phone');
  for (const scheme of ['light', 'dark']) {
    await other.page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(await audit(other.page, `sign-in with SSO error, ${scheme}`), []);
  }

  // cy links single sign-on from Account (password first), through the provider, and is back.
  await cy.page.getByRole('tab', { name: 'Account' }).click();
  const cyCard = cy.page.getByTestId('sso-card');
  await cyCard.getByRole('button', { name: 'Link single sign-on…' }).click();
  await cyCard.getByLabel('Your password').fill(PASSWORD);
  await cyCard.getByRole('button', { name: 'Link single sign-on' }).click();
  await loginAtProvider(cy.page, 'cy');
  await cy.page.getByRole('tab', { name: 'Account' }).click();
  await cy.page.getByTestId('sso-card').getByText('Single sign-on is linked to this account.').waitFor();
  await screenshot(cy.page, 'sso-linked-phone');

  // Now the provider's cy signs in to cy's account.
  const again = await newPage(env);
  await again.page.goto(env.studio.url);
  await again.page.getByRole('link', { name: LABEL }).click();
  await loginAtProvider(again.page, 'cy');
  await again.page.getByRole('tab', { name: 'Account' }).click();
  assert.equal(await again.page.getByTestId('account-email').textContent(), 'cy@example.com');
  for (const p of [cy, other, again]) assert.deepEqual(ownProblems(p.problems), []);
});

test('an admin protects a member with a policy: locked safety checker, only the allowed models', async () => {
  // ann is the admin (the previous test's first account); bob signs in through the provider.
  const ann = await newPage(env);
  await ann.page.goto(env.studio.url);
  await ann.page.getByRole('link', { name: LABEL }).click();
  await loginAtProvider(ann.page, 'ann');
  const bob = await newPage(env, { viewport: { width: 390, height: 844 } });
  await bob.page.goto(env.studio.url);
  await bob.page.getByRole('link', { name: LABEL }).click();
  await loginAtProvider(bob.page, 'bob');
  await bob.page.getByLabel('Model').waitFor();

  // Admin → Policies: a policy forcing the safety checker, two models, a blocked term.
  await ann.page.getByRole('tab', { name: 'Admin' }).click();
  await ann.page.getByRole('tab', { name: 'Policies' }).click();
  await ann.page.getByRole('button', { name: 'New policy' }).click();
  await ann.page.getByLabel('Name', { exact: true }).fill('Kids');
  await ann.page.getByLabel('Only these models').check();
  await ann.page.getByLabel('FLUX.1 [schnell]').check();
  await ann.page.getByLabel('FLUX.1 [dev]').check();
  await ann.page.getByLabel('Blocked terms, one per line').fill('dragon');
  await screenshot(ann.page, 'sso-policy-editor');
  await ann.page.getByRole('button', { name: 'Save policy' }).click();
  await ann.page.getByTestId('policy-item').filter({ hasText: 'Kids' }).waitFor();
  // People: bob gets the policy.
  await ann.page.getByRole('tab', { name: 'People' }).click();
  await ann.page.getByLabel('Policy of bob@example.com').selectOption({ label: 'Kids' });
  await ann.page.getByText('Policy assigned to bob@example.com.').waitFor();

  // bob's Create: only the two models, the safety checker locked and naming the policy.
  await bob.page.reload();
  await bob.page.getByLabel('Model').locator('option', { hasText: 'FLUX.1 [schnell]' }).waitFor({ state: 'attached' });
  const options = await bob.page.getByLabel('Model').locator('option').allTextContents();
  assert.ok(options.some((o) => o.includes('FLUX.1 [schnell]')), `models offered: ${options}`);
  assert.ok(!options.some((o) => o.includes('pro')), `a model outside the policy is offered: ${options}`);
  await bob.page.getByLabel('Model').selectOption('fal-ai/flux/dev');
  const locked = bob.page.getByTestId('locked-enable_safety_checker');
  await locked.waitFor();
  assert.equal(await locked.getAttribute('title'), 'Set by the policy “Kids”');
  assert.equal(await bob.page.getByLabel('Safety checker').isDisabled(), true);
  assert.equal(await bob.page.getByLabel('Safety checker').isChecked(), true);
  await screenshot(bob.page, 'sso-policy-locked-phone');
  assert.deepEqual(await audit(bob.page, 'Create with a locked param'), []);
  for (const p of [ann, bob]) assert.deepEqual(ownProblems(p.problems), []);
});
