import { useEffect, useState } from 'react';
import { api, type Usage } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { formatUsd } from '../lib/money';
import { SpendTable } from './SpendTable';

/** Spend per user this month (GET /api/admin/usage?groupBy=user), for the Admin tab. */
export function AdminSpend() {
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .adminUsage({ groupBy: 'user' })
      .then(setUsage)
      .catch((err) => setError(messageOf(err, 'Spending could not be loaded.')));
  }, []);
  return (
    <section className="card admin-spend" aria-labelledby="admin-spend-title">
      <h2 id="admin-spend-title">Spend per person this month</h2>
      <Banner kind="error">{error}</Banner>
      {usage && (
        <>
          <p data-testid="admin-spend-total">
            <strong>{formatUsd(usage.totalUsd)}</strong> across {usage.count} {usage.count === 1 ? 'generation' : 'generations'} (
            {usage.from} to {usage.to})
            {usage.reservedUsd > 0 && <span className="muted"> · {formatUsd(usage.reservedUsd)} held by running jobs</span>}
          </p>
          {usage.buckets.length === 0 ? (
            <p className="muted">Nobody has spent anything this month.</p>
          ) : (
            <SpendTable buckets={usage.buckets} keyHeading="Person" />
          )}
        </>
      )}
    </section>
  );
}
