import { useId, useState, type FormEvent } from 'react';
import { api, type AdminUser } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { formatUsd } from '../lib/money';

/**
 * A person's spend this month and the budget an admin gives them, editable in place
 * (PATCH /api/admin/users/{id} {"monthlyBudgetUsd"}; empty means no budget).
 */
export function BudgetCell({ u, disabled, onSaved }: { u: AdminUser; disabled: boolean; onSaved: (u: AdminUser) => void }) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const budget = u.monthlyBudgetUsd;
  const over = budget !== null && u.spentThisMonthUsd >= budget;

  const open = () => {
    setValue(budget === null ? '' : String(budget));
    setError(null);
    setEditing(true);
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const v = value.trim() === '' ? null : Number(value);
    if (v !== null && (!Number.isFinite(v) || v < 0)) {
      setError('Enter an amount in USD, or leave it empty for no budget.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api.admin.updateUser(u.id, { monthlyBudgetUsd: v });
      onSaved(r.user);
      setEditing(false);
    } catch (err) {
      setError(messageOf(err, 'The budget could not be saved.'));
    } finally {
      setBusy(false);
    }
  };

  if (!editing) {
    return (
      <div className="budget-cell" data-testid="budget-cell">
        <span className={over ? 'spend over' : 'spend'}>
          {formatUsd(u.spentThisMonthUsd)}
          {budget !== null ? ` of ${formatUsd(budget)}` : ''}
          {over ? ' · budget reached' : ''}
        </span>
        <button type="button" className="link" disabled={disabled} onClick={open} aria-label={`${budget === null ? 'Set budget' : 'Change budget'} of ${u.email}`}>
          {budget === null ? 'Set budget' : 'Change budget'}
        </button>
      </div>
    );
  }
  return (
    <form className="budget-cell editing" onSubmit={save} aria-busy={busy}>
      <label htmlFor={id} className="visually-hidden">
        Monthly budget of {u.email} (USD, empty for none)
      </label>
      <input id={id} type="number" inputMode="decimal" min={0} step="0.01" placeholder="No budget" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
      <button type="submit" className="btn small" disabled={busy}>
        Save
      </button>
      <button type="button" className="btn small" disabled={busy} onClick={() => setEditing(false)}>
        Cancel
      </button>
      {error && (
        <span className="budget-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
