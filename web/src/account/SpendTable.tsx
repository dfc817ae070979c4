import type { Usage } from '../lib/api';
import { formatUsd } from '../lib/money';

/** A usage report's buckets as rows: what they are, the spend with a bar against the largest, and the generations. */
export function SpendTable({
  buckets,
  keyHeading,
  nameOf = (b) => b.key,
  caption,
  testId,
}: {
  buckets: Usage['buckets'];
  keyHeading: string;
  nameOf?: (b: Usage['buckets'][number]) => string;
  caption?: string;
  testId?: string;
}) {
  const max = Math.max(0, ...buckets.map((b) => b.usd));
  return (
    <table className="spend-table" data-testid={testId}>
      {caption && <caption className="visually-hidden">{caption}</caption>}
      <thead>
        <tr>
          <th scope="col">{keyHeading}</th>
          <th scope="col">Spent</th>
          <th scope="col">Generations</th>
        </tr>
      </thead>
      <tbody>
        {buckets.map((b) => (
          <tr key={b.key}>
            <th scope="row">{nameOf(b)}</th>
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
  );
}
