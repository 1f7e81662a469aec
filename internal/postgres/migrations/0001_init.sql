-- Times are timestamptz (UTC, microsecond precision). Nullable times are NULL when unset.
-- JSON columns (models, metadata) are jsonb and NULL when the Go value is nil.
-- The owner of a file, batch or spend log is denormalised into owner_* columns
-- so that scope checks are plain column comparisons; there are no foreign keys
-- to keys(token): a key may be deleted while its batches and spend remain.
-- The schema mirrors internal/sqlite/migrations/0001_init.sql.

CREATE TABLE keys (
	token      text PRIMARY KEY,
	key_name   text NOT NULL,
	key_alias  text NOT NULL,
	models     jsonb,
	user_id    text NOT NULL,
	team_id    text NOT NULL,
	max_budget double precision,
	spend      double precision NOT NULL,
	metadata   jsonb,
	expires_at timestamptz,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE INDEX keys_user_id ON keys (user_id);
CREATE INDEX keys_team_id ON keys (team_id);

CREATE TABLE files (
	id              text PRIMARY KEY,
	purpose         text NOT NULL,
	filename        text NOT NULL,
	bytes           bigint NOT NULL,
	records         bigint NOT NULL,
	created_at      timestamptz NOT NULL,
	expires_at      timestamptz,
	owner_key_token text NOT NULL,
	owner_user_id   text NOT NULL,
	owner_team_id   text NOT NULL,
	kind            text NOT NULL,
	endpoint        text NOT NULL,
	model           text NOT NULL,
	bucket          text NOT NULL,
	object_key      text NOT NULL,
	batch_id        text NOT NULL
);

-- Listings are newest first: (created_at DESC, id DESC), within a scope.
CREATE INDEX files_created ON files (created_at DESC, id DESC);
CREATE INDEX files_owner_key_token ON files (owner_key_token, created_at DESC, id DESC);
CREATE INDEX files_owner_team_id ON files (owner_team_id, created_at DESC, id DESC);

CREATE TABLE batches (
	id                 text PRIMARY KEY,
	endpoint           text NOT NULL,
	input_file_id      text NOT NULL,
	completion_window  text NOT NULL,
	metadata           jsonb,
	owner_key_token    text NOT NULL,
	owner_user_id      text NOT NULL,
	owner_team_id      text NOT NULL,
	model              text NOT NULL,
	model_id           text NOT NULL,
	status             text NOT NULL,
	message            text NOT NULL,
	client_token       text NOT NULL,
	job_name           text NOT NULL,
	job_arn            text NOT NULL,
	job_status         text NOT NULL,
	output_prefix      text NOT NULL,
	output_file_id     text NOT NULL,
	error_file_id      text NOT NULL,
	requests_total     bigint NOT NULL,
	requests_completed bigint NOT NULL,
	requests_failed    bigint NOT NULL,
	input_tokens       bigint NOT NULL,
	output_tokens      bigint NOT NULL,
	cost               double precision NOT NULL,
	created_at         timestamptz NOT NULL,
	expires_at         timestamptz,
	in_progress_at     timestamptz,
	finalizing_at      timestamptz,
	completed_at       timestamptz,
	failed_at          timestamptz,
	expired_at         timestamptz,
	cancelling_at      timestamptz,
	cancelled_at       timestamptz,
	updated_at         timestamptz NOT NULL
);

CREATE INDEX batches_created ON batches (created_at DESC, id DESC);
CREATE INDEX batches_owner_key_token ON batches (owner_key_token, created_at DESC, id DESC);
CREATE INDEX batches_owner_team_id ON batches (owner_team_id, created_at DESC, id DESC);
-- The reconciler lists running batches; they are few among many finished ones.
-- The predicate must match nonTerminal in batch.go for the planner to use it.
CREATE INDEX batches_running ON batches (created_at DESC, id DESC)
	WHERE status NOT IN ('failed', 'completed', 'expired', 'cancelled');

CREATE TABLE spend_logs (
	batch_id        text PRIMARY KEY,
	owner_key_token text NOT NULL,
	owner_user_id   text NOT NULL,
	owner_team_id   text NOT NULL,
	model           text NOT NULL,
	model_id        text NOT NULL,
	input_tokens    bigint NOT NULL,
	output_tokens   bigint NOT NULL,
	cost            double precision NOT NULL,
	created_at      timestamptz NOT NULL
);

CREATE INDEX spend_logs_owner_key_token ON spend_logs (owner_key_token);
CREATE INDEX spend_logs_owner_team_id ON spend_logs (owner_team_id);
