-- Costs and budgets (SPEC §7). Money is DOUBLE PRECISION USD.

-- The estimate recorded at submit; NULL when fal had no price. A failed or canceled
-- generation costs 0 whatever this says (fal bills successful outputs only).
ALTER TABLE generations ADD COLUMN cost_usd DOUBLE PRECISION;
-- 'estimate' (recorded at submit) or 'billed' (fal's billed amount); '' when unknown.
ALTER TABLE generations ADD COLUMN cost_source TEXT NOT NULL DEFAULT '';
-- This month's spending of one person and everyone's usage reports read finished generations
-- by completion time.
CREATE INDEX generations_user_spent ON generations(user_id, status, completed_at);
CREATE INDEX generations_completed ON generations(completed_at);

-- The budget an admin set, and the lower one the person set for themselves; NULL: none.
ALTER TABLE users ADD COLUMN monthly_budget_usd DOUBLE PRECISION;
ALTER TABLE users ADD COLUMN self_budget_usd DOUBLE PRECISION;
