-- Budgets on keys, users and teams; batch reservations and leases; the
-- token estimates of input files. Same conventions as 0001_init.sql; the
-- schema mirrors internal/sqlite/migrations/0002_governance.sql.
--
-- Added NOT NULL columns carry a DEFAULT so that existing rows get a value
-- (a constant default adds the column without rewriting the table); the
-- store always writes them explicitly.

ALTER TABLE keys
	ADD COLUMN budget_duration text NOT NULL DEFAULT '',
	ADD COLUMN budget_reset_at timestamptz;

ALTER TABLE files
	ADD COLUMN estimated_input_tokens bigint NOT NULL DEFAULT 0,
	ADD COLUMN max_output_tokens      bigint NOT NULL DEFAULT 0;

ALTER TABLE batches
	ADD COLUMN reserved    double precision NOT NULL DEFAULT 0,
	ADD COLUMN lease_owner text NOT NULL DEFAULT '',
	ADD COLUMN lease_until timestamptz;

CREATE TABLE users (
	user_id         text PRIMARY KEY,
	user_email      text NOT NULL,
	user_alias      text NOT NULL,
	models          jsonb,
	max_budget      double precision,
	spend           double precision NOT NULL,
	budget_duration text NOT NULL,
	budget_reset_at timestamptz,
	metadata        jsonb,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);

-- members is a JSON array of {"user_id", "role"} objects, NULL when the Go
-- slice is nil (LiteLLM keeps members_with_roles as JSON too).
CREATE TABLE teams (
	team_id         text PRIMARY KEY,
	team_alias      text NOT NULL,
	models          jsonb,
	members         jsonb,
	max_budget      double precision,
	spend           double precision NOT NULL,
	budget_duration text NOT NULL,
	budget_reset_at timestamptz,
	metadata        jsonb,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);

-- ResetBudgets looks for budgets due for a reset.
CREATE INDEX keys_budget_reset_at ON keys (budget_reset_at) WHERE budget_reset_at IS NOT NULL;
CREATE INDEX users_budget_reset_at ON users (budget_reset_at) WHERE budget_reset_at IS NOT NULL;
CREATE INDEX teams_budget_reset_at ON teams (budget_reset_at) WHERE budget_reset_at IS NOT NULL;

-- ClaimBatches takes the stalest running batches first. ReservedSpend scans
-- the running batches through this index too: they are few, and owner
-- indexes over them would cost every batch write. The predicate must match
-- nonTerminal in batch.go.
CREATE INDEX batches_claim ON batches (updated_at, id)
	WHERE status NOT IN ('failed', 'completed', 'expired', 'cancelled');
