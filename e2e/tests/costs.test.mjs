// Costs and budgets in the browser: the Generate button shows the simulator's price and follows
// the settings; the Account tab shows spend against a budget with a chart; a submit over the
// budget is refused with a clear banner (that it never reaches fal is proven in internal/httpapi/costs_test.go).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, newPage, screenshot } from '../lib/harness.mjs';

const PASSWORD = 'a long enough passphrase';
let sim, studio;

let env;
before(async () => {
  env = await startAll();
  ({ sim, studio } = env);
});

after(async () => {
  await env?.stop();
});

test('the Generate button shows the price and a budget refusal shows a clear banner', async () => {
  const { context, page, problems } = await newPage(env);
  const estimates = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/generations/estimate')) estimates.push(r.postData());
  });

  await page.goto(studio.url);
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill('costs@example.com');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByLabel('Confirm password').press('Enter');
  await page.getByRole('tab', { name: 'Create' }).waitFor();
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByLabel('fal API key', { exact: true }).fill('sim-key-costs');
  await page.getByRole('button', { name: 'Save key' }).click();
  await page.getByText('Key saved.').waitFor();

  // FLUX.1 [schnell] is $0.003 per megapixel in the simulator, like fal; 1024×768 is one.
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByLabel('Model').selectOption('fal-ai/flux/schnell');
  await page.getByRole('button', { name: 'Generate · ~$0.003' }).waitFor();
  // Typing the prompt sends no estimate requests for a model priced per megapixel.
  const before = estimates.length;
  await page.getByLabel('Prompt').pressSequentially('a lighthouse at dusk', { delay: 20 });
  await page.waitForTimeout(600);
  assert.equal(estimates.length, before, 'typing a prompt asked for prices');
  // Four images cost four times as much; the button follows, with one request for the change.
  await page.getByLabel(/^Images/).fill('4');
  await page.getByRole('button', { name: 'Generate · ~$0.012' }).waitFor();
  assert.ok(estimates.length - before <= 2, `${estimates.length - before} estimate requests for one change`);
  assert.match(await page.getByTestId('estimate-note').textContent(), /4 megapixels × \$0\.003/);

  // A budget of two cents: the first four images fit, the second batch does not.
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByLabel('Monthly budget (USD)').fill('0.02');
  await page.getByRole('button', { name: 'Save budget' }).click();
  await page.getByText('Your own budget is $0.02 a month.').waitFor();
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByRole('button', { name: 'Generate · ~$0.012' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid="generation-status"]')?.textContent === 'Done');

  await page.getByTestId('budget-warning').waitFor(); // seen before clicking: $0.012 + $0.012 > $0.02
  await page.getByRole('button', { name: 'Generate · ~$0.012' }).click();
  const banner = page.getByTestId('budget-refusal');
  await banner.waitFor();
  assert.equal(await banner.getAttribute('role'), 'alert');
  const text = await banner.textContent();
  assert.match(text, /^Monthly budget reached\./);
  assert.match(text, /monthly budget of \$0\.02/);
  assert.match(text, /spent \$0\.012 this month/);
  await screenshot(page, 'costs-budget-refused');

  // The Account tab shows the spend against the budget and the day's bar.
  await page.getByRole('tab', { name: 'Account' }).click();
  const summary = page.getByTestId('spend-summary');
  await summary.waitFor();
  assert.match(await summary.textContent(), /\$0\.012 spent this month of your \$0\.02 budget/);
  const chart = page.getByRole('img', { name: /Your spend per day/ });
  await chart.waitFor();
  assert.match(await chart.locator('desc').textContent(), /\$0\.012 in total/);
  await screenshot(page, 'costs-account');

  // The Admin tab (the first account is the admin) shows each person's spend against the budget
  // an admin gives them, editable in place, and a Spending section per person.
  await page.getByRole('tab', { name: 'Admin' }).click();
  const cell = page.locator('[data-testid="user-row"][data-email="costs@example.com"]').getByTestId('budget-cell');
  await cell.waitFor();
  assert.match(await cell.textContent(), /^\$0\.012/);
  await cell.getByRole('button', { name: /budget of costs@example.com/i }).click();
  await page.getByLabel(/Monthly budget of costs@example.com/).fill('5');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('[data-testid="budget-cell"]', { hasText: '$0.012 of $5.00' }).waitFor();
  await page.getByRole('tab', { name: 'Spending' }).click();
  const row = page.getByRole('row', { name: /costs@example\.com/ });
  await row.waitFor();
  assert.match(await row.textContent(), /\$0\.012/);
  await screenshot(page, 'costs-admin');
  assert.deepEqual(problems, []);
  await context.close();
});
