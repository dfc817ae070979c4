import type { EstimateState } from './useEstimate';
import { formatUsd } from '../lib/money';

/** The estimate's basis under the Generate button, and a warning when it would go over budget. */
export function EstimateNote({ estimate, onGoAccount }: { estimate: EstimateState; onGoAccount: () => void }) {
  const b = estimate.result?.budget;
  return (
    <>
      {estimate.refusal && (
        <div className="banner banner-error budget-refusal" role="alert" data-testid="budget-refusal">
          <strong>Monthly budget reached.</strong> {estimate.refusal} Nothing was sent to fal.{' '}
          <button type="button" className="link" onClick={onGoAccount}>
            See your spending and budget
          </button>
        </div>
      )}
      {estimate.note && (
        <p className="hint" data-testid="estimate-note">
          {estimate.note}
        </p>
      )}
      {estimate.overBudget && !estimate.refusal && b && b.monthlyBudgetUsd !== null && (
        <p className="hint budget-warning" data-testid="budget-warning">
          This would go over your monthly budget of {formatUsd(b.monthlyBudgetUsd)} ({formatUsd(b.spentThisMonthUsd)} spent
          {b.reservedUsd > 0 ? `, ${formatUsd(b.reservedUsd)} held by running jobs` : ''}).{' '}
          <button type="button" className="link" onClick={onGoAccount}>
            See your spending
          </button>
        </p>
      )}
    </>
  );
}
