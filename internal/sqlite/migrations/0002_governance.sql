-- Budgets on keys, users and teams; batch reservations and leases; the
-- token estimates of input files. Same conventions as 0001_init.sql.
--
-- Added NOT NULL columns carry a DEFAULT so that existing rows get a value;
-- the store always writes them explicitly.

ALTER TABLE keys ADD COLUMN budget_duration TEXT NOT NULL DEFAULT '';
ALTER TABLE keys ADD COLUMN budget_reset_at INTEGER;

ALTER TABLE files ADD COLUMN estimated_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN max_output_tokens INTEGER NOT NULL DEFAULT 0;

ALTER TABLE batches ADD COLUMN reserved REAL NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE batches ADD COLUMN lease_until INTEGER;

CREATE TABLE users (
	user_id         TEXT PRIMARY KEY,
	user_email      TEXT NOT NULL,
	user_alias      TEXT NOT NULL,
	models          TEXT,
	max_budget      REAL,
	spend           REAL NOT NULL,
	budget_duration TEXT NOT NULL,
	budget_reset_at INTEGER,
	metadata        TEXT,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;

-- members is a JSON array of {"user_id", "role"} objects, NULL when the Go
-- slice is nil (LiteLLM keeps members_with_roles as JSON too).
CREATE TABLE teams (
	team_id         TEXT PRIMARY KEY,
	team_alias      TEXT NOT NULL,
	models          TEXT,
	members         TEXT,
	max_budget      REAL,
	spend           REAL NOT NULL,
	budget_duration TEXT NOT NULL,
	budget_reset_at INTEGER,
	metadata        TEXT,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;

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
