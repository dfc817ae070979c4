import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, type Usage } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { formatUsd } from '../lib/money';
import { SpendChart } from './SpendChart';
import { SpendTable } from './SpendTable';

/** This month's spend split by personal access token (the browser's under "web"). */
function SpendByToken() {
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .usage({ groupBy: 'token' })
      .then(setUsage)
      .catch((err) => setError(messageOf(err, 'Spending by app could not be loaded.')));
  }, []);
  if (error) return <Banner kind="error">{error}</Banner>;
  if (!usage) return <div className="skeleton line" aria-label="Loading spending by app" />;
  if (usage.buckets.length === 0) return <p className="muted">Nothing spent this month.</p>;
  return (
    <SpendTable
      buckets={usage.buckets}
      keyHeading="App"
      nameOf={(b) => (b.key === 'web' ? 'In the browser' : (b.name ?? b.key))}
      caption={`Your spend by app, ${usage.from} to ${usage.to}`}
      testId="spend-by-token"
    />
  );
}

/** This month's spend against the budget, the person's own budget, and spend per day or per app. */
export function UsageCard() {
  const [split, setSplit] = useState<'day' | 'token'>('day');
  const [usage, setUsage] = useState<Usage | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [success, setSuccess] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const u = await api.usage();
      if (!Array.isArray(u?.buckets)) throw new Error('unexpected answer');
      setUsage(u);
      setLoadError(null);
      setAmount(u.selfBudgetUsd === null ? '' : String(u.selfBudgetUsd));
    } catch {
      // One plain sentence: the card sits beside others that report their own failures.
      setLoadError('Your spending could not be loaded. Reload the page to try again.');
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const save = async (value: number | null) => {
    setBusy(true);
    setError(null);
    setSuccess(null);
    try {
      await api.setBudget(value);
      setSuccess(value === null ? 'Your own budget is removed.' : `Your own budget is ${formatUsd(value)} a month.`);
      await load();
    } catch (err) {
      setError(messageOf(err, 'The budget could not be saved.'));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v = Number(amount);
    if (amount.trim() === '' || !Number.isFinite(v) || v < 0) {
      setError('Enter an amount in USD, for example 20.');
      return;
    }
    void save(v);
  };

  const budget = usage?.monthlyBudgetUsd ?? null;
  const spent = usage?.spentThisMonthUsd ?? 0;
  const reserved = usage?.reservedUsd ?? 0;
  const share = budget && budget > 0 ? Math.min(1, (spent + reserved) / budget) : 0;
  return (
    <div className="card usage-card">
      <h2>Spending</h2>
      <Banner kind="error">{loadError}</Banner>
      {usage === null && !loadError ? (
        <div className="skeleton line" aria-label="Loading your spending" />
      ) : usage ? (
        <>
          <p className="spend-line" data-testid="spend-summary">
            <strong>{formatUsd(spent)}</strong> spent this month
            {budget !== null ? (
              <>
                {' '}
                of your <strong>{formatUsd(budget)}</strong> budget
              </>
            ) : (
              ' (no budget)'
            )}
            {reserved > 0 && <span className="muted"> · {formatUsd(reserved)} held by running jobs</span>}
          </p>
          {budget !== null && (
            <div
              className={`meter${share >= 1 ? ' full' : share >= 0.8 ? ' high' : ''}`}
              role="meter"
              aria-label="Share of your monthly budget used"
              aria-valuemin={0}
              aria-valuemax={budget}
              aria-valuenow={Math.min(budget, spent + reserved)}
              aria-valuetext={`${formatUsd(spent + reserved)} of ${formatUsd(budget)}`}
            >
              <span style={{ width: `${share * 100}%` }} />
            </div>
          )}
          {usage.unpricedCount > 0 && (
            <p className="hint">
              {usage.unpricedCount} {usage.unpricedCount === 1 ? 'generation has' : 'generations have'} no price from fal and
              {usage.unpricedCount === 1 ? ' is' : ' are'} not counted.
            </p>
          )}
          <div className="spend-split" role="group" aria-label="Show spending">
            <button type="button" className="btn" aria-pressed={split === 'day'} onClick={() => setSplit('day')}>
              Per day
            </button>
            <button type="button" className="btn" aria-pressed={split === 'token'} onClick={() => setSplit('token')}>
              Per app &amp; token
            </button>
          </div>
          {split === 'day' ? <SpendChart days={usage.buckets} title={`Your spend per day, ${usage.from} to ${usage.to}`} /> : <SpendByToken />}
          <p className="hint">
            Amounts are the estimates recorded when each generation started; failed and canceled ones cost nothing. fal's own
            billing may differ slightly.
          </p>
          <form className="budget-form" onSubmit={submit} aria-busy={busy}>
            <h3>Your own monthly budget</h3>
            <Banner kind="error">{error}</Banner>
            <Banner kind="success">{success}</Banner>
            {usage.adminBudgetUsd !== null && (
              <p className="hint">An admin set your budget to {formatUsd(usage.adminBudgetUsd)}; yours can only be lower.</p>
            )}
            <div className="field">
              <label htmlFor="self-budget">Monthly budget (USD)</label>
              <input
                id="self-budget"
                type="number"
                inputMode="decimal"
                min={0}
                step="0.01"
                placeholder="No budget"
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
                aria-describedby="self-budget-hint"
              />
              <small id="self-budget-hint" className="hint">
                Generations that would go over it are refused before they reach fal.
              </small>
            </div>
            <div className="row">
              <button className="btn" type="submit" disabled={busy}>
                {busy ? 'Saving…' : 'Save budget'}
              </button>
              {usage.selfBudgetUsd !== null && (
                <button className="btn danger-ghost" type="button" disabled={busy} onClick={() => void save(null)}>
                  Remove my budget
                </button>
              )}
            </div>
          </form>
        </>
      ) : null}
    </div>
  );
}
