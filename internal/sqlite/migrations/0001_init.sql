-- Times are INTEGER unix milliseconds, UTC. Nullable times are NULL when unset.
-- JSON columns (models, metadata) hold JSON text and are NULL when the Go value is nil.
-- The owner of a file, batch or spend log is denormalised into owner_* columns
-- so that scope checks are plain column comparisons; there are no foreign keys
-- to keys(token): a key may be deleted while its batches and spend remain.

CREATE TABLE keys (
	token      TEXT PRIMARY KEY,
	key_name   TEXT NOT NULL,
	key_alias  TEXT NOT NULL,
	models     TEXT,
	user_id    TEXT NOT NULL,
	team_id    TEXT NOT NULL,
	max_budget REAL,
	spend      REAL NOT NULL,
	metadata   TEXT,
	expires_at INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX keys_user_id ON keys (user_id);
CREATE INDEX keys_team_id ON keys (team_id);

CREATE TABLE files (
	id              TEXT PRIMARY KEY,
	purpose         TEXT NOT NULL,
	filename        TEXT NOT NULL,
	bytes           INTEGER NOT NULL,
	records         INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER,
	owner_key_token TEXT NOT NULL,
	owner_user_id   TEXT NOT NULL,
	owner_team_id   TEXT NOT NULL,
	kind            TEXT NOT NULL,
	endpoint        TEXT NOT NULL,
	model           TEXT NOT NULL,
	bucket          TEXT NOT NULL,
	object_key      TEXT NOT NULL,
	batch_id        TEXT NOT NULL
) STRICT;

-- Listings are newest first: (created_at DESC, id DESC), within a scope.
CREATE INDEX files_created ON files (created_at DESC, id DESC);
CREATE INDEX files_owner_key_token ON files (owner_key_token, created_at DESC, id DESC);
CREATE INDEX files_owner_team_id ON files (owner_team_id, created_at DESC, id DESC);

CREATE TABLE batches (
	id                 TEXT PRIMARY KEY,
	endpoint           TEXT NOT NULL,
	input_file_id      TEXT NOT NULL,
	completion_window  TEXT NOT NULL,
	metadata           TEXT,
	owner_key_token    TEXT NOT NULL,
	owner_user_id      TEXT NOT NULL,
	owner_team_id      TEXT NOT NULL,
	model              TEXT NOT NULL,
	model_id           TEXT NOT NULL,
	status             TEXT NOT NULL,
	message            TEXT NOT NULL,
	client_token       TEXT NOT NULL,
	job_name           TEXT NOT NULL,
	job_arn            TEXT NOT NULL,
	job_status         TEXT NOT NULL,
	output_prefix      TEXT NOT NULL,
	output_file_id     TEXT NOT NULL,
	error_file_id      TEXT NOT NULL,
	requests_total     INTEGER NOT NULL,
	requests_completed INTEGER NOT NULL,
	requests_failed    INTEGER NOT NULL,
	input_tokens       INTEGER NOT NULL,
	output_tokens      INTEGER NOT NULL,
	cost               REAL NOT NULL,
	created_at         INTEGER NOT NULL,
	expires_at         INTEGER,
	in_progress_at     INTEGER,
	finalizing_at      INTEGER,
	completed_at       INTEGER,
	failed_at          INTEGER,
	expired_at         INTEGER,
	cancelling_at      INTEGER,
	cancelled_at       INTEGER,
	updated_at         INTEGER NOT NULL
) STRICT;

CREATE INDEX batches_created ON batches (created_at DESC, id DESC);
CREATE INDEX batches_owner_key_token ON batches (owner_key_token, created_at DESC, id DESC);
CREATE INDEX batches_owner_team_id ON batches (owner_team_id, created_at DESC, id DESC);
-- The reconciler lists running batches; they are few among many finished ones.
-- The predicate must match nonTerminal in batch.go for the planner to use it.
CREATE INDEX batches_running ON batches (created_at DESC, id DESC)
	WHERE status NOT IN ('failed', 'completed', 'expired', 'cancelled');

CREATE TABLE spend_logs (
	batch_id        TEXT PRIMARY KEY,
	owner_key_token TEXT NOT NULL,
	owner_user_id   TEXT NOT NULL,
	owner_team_id   TEXT NOT NULL,
	model           TEXT NOT NULL,
	model_id        TEXT NOT NULL,
	input_tokens    INTEGER NOT NULL,
	output_tokens   INTEGER NOT NULL,
	cost            REAL NOT NULL,
	created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX spend_logs_owner_key_token ON spend_logs (owner_key_token);
CREATE INDEX spend_logs_owner_team_id ON spend_logs (owner_team_id);
