import { useEffect, useState } from 'react';
import { api, type Usage } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { formatUsd } from '../lib/money';

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
  const max = Math.max(0, ...(usage?.buckets.map((b) => b.usd) ?? []));
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
            <table className="spend-table">
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Spent</th>
                  <th scope="col">Generations</th>
                </tr>
              </thead>
              <tbody>
                {usage.buckets.map((b) => (
                  <tr key={b.key}>
                    <th scope="row">{b.key}</th>
                    <td>
                      <span className="spend-track" aria-hidden="true">
                        <span className="spend-bar" style={{ width: `${max > 0 ? (b.usd / max) * 100 : 0}%` }} />
                      </span>
                      {formatUsd(b.usd)}
                    </td>
                    <td>{b.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
