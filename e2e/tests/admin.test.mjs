// Teams end to end, in Debian's Chromium against the real binaries: the first account is the
// admin (even with SIGNUP_MODE=invite); it invites someone, who signs up from the link in a
// second browser context and appears in the users list; a member never sees the Admin tab and
// the API refuses it; disabling the account logs its other browser out; a reset link sets a new
// password once; the audit log shows it all; the Admin tab works on a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, newPage, screenshot } from '../lib/harness.mjs';

const PASSWORD = 'a long enough passphrase';
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
let sim, studio;

let env;
before(async () => {
  env = await startAll({ SIGNUP_MODE: 'invite' });
  ({ sim, studio } = env);
});

after(async () => {
  await env?.stop();
});


async function fillPasswords(page, password = PASSWORD) {
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
}

test('invite, sign up from the link, administer, disable, reset', async () => {
  const admin = await newPage(env, { clipboard: true });
  const { page } = admin;
  // The first account signs up although sign-up needs an invite: it becomes the admin.
  await page.goto(studio.url);
  await page.getByRole('tab', { name: 'Sign up' }).click();
  assert.equal(await page.getByLabel('Invite code').count(), 0, 'an empty studio asks no invite of its first account');
  await page.getByLabel('Email').fill('owner@example.com');
  await fillPasswords(page);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('tab', { name: 'Admin' }).click();
  await page.getByTestId('user-row').filter({ hasText: 'owner@example.com' }).waitFor();
  assert.match(await page.getByTestId('signup-mode').textContent(), /by invite only/);

  // Invite someone by email; the link is shown once, with a copy button.
  await page.getByRole('tab', { name: 'Invites' }).click();
  await page.getByLabel('Email (optional)').fill('member@example.com');
  await page.getByLabel('Expires after').selectOption('24');
  await page.getByRole('button', { name: 'Create invite link' }).click();
  const linkField = page.getByLabel('Invite link for member@example.com');
  const link = await linkField.inputValue();
  assert.match(link, /\/#invite=[A-Z2-7]{26}$/);
  await page.getByTestId('new-invite').getByRole('button', { name: 'Copy' }).click();
  await page.getByText('Copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  await page.getByTestId('invite-row').filter({ hasText: 'member@example.com' }).getByText('Waiting').waitFor();
  await screenshot(page, 'admin-invites-desktop');

  // A second browser opens the link: sign-up, with the invite filled in and the email fixed.
  const member = await newPage(env, { clipboard: true });
  const m = member.page;
  await m.goto(link);
  await m.getByText('You are invited to this studio as member@example.com').waitFor();
  assert.equal(await m.getByRole('tab', { name: 'Sign up' }).getAttribute('aria-selected'), 'true');
  assert.equal(new URL(m.url()).search + new URL(m.url()).hash, '', 'the invite token leaves the address bar');
  assert.ok((await m.getByLabel('Invite code').inputValue()).length >= 26);
  assert.equal(await m.getByLabel('Email').inputValue(), 'member@example.com');
  assert.equal(await m.getByLabel('Email').getAttribute('readonly'), '');
  await fillPasswords(m);
  await m.getByRole('button', { name: 'Create account' }).click();
  await m.getByRole('tab', { name: 'Create' }).waitFor();
  // A member never sees the Admin tab, and the API refuses it.
  assert.equal(await m.getByRole('tab', { name: 'Admin' }).count(), 0);
  const refused = await m.evaluate(async () => {
    const r = await fetch('/api/admin/users', { credentials: 'include' });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'forbidden');

  // The invite is used, and the new account is in the users list.
  await page.getByRole('tab', { name: 'Invites' }).click(); // already selected: reload by switching
  await page.getByRole('tab', { name: 'People' }).click();
  const row = page.getByTestId('user-row').filter({ hasText: 'member@example.com' });
  await row.waitFor();
  await page.getByRole('tab', { name: 'Invites' }).click();
  await page.getByTestId('invite-row').filter({ hasText: 'member@example.com' }).getByText('Used').waitFor();
  await page.getByRole('tab', { name: 'People' }).click();
  await screenshot(page, 'admin-people-desktop');

  // Disable: the member's other browser is logged out at its next request.
  await row.getByRole('button', { name: 'Disable' }).click();
  await page.getByText('member@example.com is disabled and was logged out everywhere.').waitFor();
  await row.getByText('disabled').waitFor();
  await m.getByRole('tab', { name: 'Gallery' }).click();
  await m.getByText('Your session ended. Log in again.').waitFor();
  await m.getByLabel('Email').fill('member@example.com');
  await m.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await m.getByRole('button', { name: 'Log in' }).click();
  await m.getByRole('alert').filter({ hasText: 'This account is disabled' }).waitFor();

  // Enable again, and hand the member a one-time reset link.
  await row.getByRole('button', { name: 'Enable' }).click();
  await page.getByText('member@example.com can log in again.').waitFor();
  await row.getByRole('button', { name: 'Reset link for member@example.com' }).click();
  const resetLink = await page.getByLabel('One-time reset link for member@example.com').inputValue();
  assert.match(resetLink, /\/reset#token=[A-Z2-7]{26}$/);
  await m.goto(resetLink);
  await m.getByRole('heading', { name: 'Set a new password' }).waitFor();
  assert.equal(new URL(m.url()).hash, '', 'the reset token leaves the address bar');
  await m.getByLabel('New password', { exact: true }).fill('the member reset passphrase');
  await m.getByLabel('Confirm new password').fill('the member reset passphrase');
  await m.getByRole('button', { name: 'Set password' }).click();
  await m.getByText('Your password is set.').waitFor();
  await m.getByRole('button', { name: 'Go to log in' }).click();
  await m.getByLabel('Email').fill('member@example.com');
  await m.getByLabel('Password', { exact: true }).fill('the member reset passphrase');
  await m.getByRole('button', { name: 'Log in' }).click();
  await m.getByRole('tab', { name: 'Create' }).waitFor();
  // The link worked once.
  await m.goto(resetLink);
  await m.getByLabel('New password', { exact: true }).fill('yet another passphrase');
  await m.getByLabel('Confirm new password').fill('yet another passphrase');
  await m.getByRole('button', { name: 'Set password' }).click();
  await m.getByRole('alert').filter({ hasText: 'This reset link is not valid' }).waitFor();

  // The audit log tells the story, newest first.
  await page.getByRole('tab', { name: 'Audit log' }).click();
  await page.locator('[data-action="password.reset"]').first().waitFor();
  for (const action of ['user.signup', 'invite.create', 'invite.use', 'user.disable', 'user.enable', 'auth.login_failed', 'password.reset_link']) {
    assert.ok((await page.locator(`[data-action="${action}"]`).count()) > 0, `audit has ${action}`);
  }
  const text = await page.locator('.audit-list').textContent();
  assert.ok(!text.includes(PASSWORD) && !text.includes(link.split('=')[1]) && !text.includes(resetLink.split('=')[1]), 'no secret in the audit log');
  await screenshot(page, 'admin-audit-desktop');

  // Delete with a typed confirmation.
  await page.getByRole('tab', { name: 'People' }).click();
  await page.getByRole('button', { name: 'Delete member@example.com' }).click();
  const del = page.getByRole('button', { name: 'Delete account' });
  assert.equal(await del.isDisabled(), true);
  await page.getByLabel('Type the email address to confirm').fill('member@example.com');
  await del.click();
  await page.getByText('member@example.com and everything it stored were deleted.').waitFor();
  assert.equal(await page.getByTestId('user-row').filter({ hasText: 'member@example.com' }).count(), 0);

  assert.deepEqual(admin.problems, []);
  assert.deepEqual(member.problems, []);
  await member.context.close();
  await admin.context.close();
  assert.ok(!studio.logs().includes(link.split('=')[1]), 'the invite token is not in the server log');
  assert.ok(!studio.logs().includes(resetLink.split('=')[1]), 'the reset token is not in the server log');
});

test('the Admin tab on a phone', async () => {
  const { context, page, problems } = await newPage(env, { viewport: PHONE, clipboard: true });
  await page.goto(studio.url);
  await page.getByLabel('Email').fill('owner@example.com');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('tab', { name: 'Admin' }).click();
  const row = page.getByTestId('user-row').first();
  await row.waitFor();
  // One card per account: nothing wider than the screen.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `page is ${width}px wide`);
  await screenshot(page, 'admin-people-phone');
  await page.getByRole('tab', { name: 'Invites' }).click();
  await page.getByRole('button', { name: 'Create invite link' }).click();
  await page.getByLabel('Invite link', { exact: true }).waitFor();
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width);
  await screenshot(page, 'admin-invites-phone');
  assert.deepEqual(problems, []);
  await context.close();
});
