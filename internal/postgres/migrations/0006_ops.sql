-- Bedrock's per-job quotas: the parts of an input file split over several
-- jobs, and the jobs of such a batch. Mirrors
-- internal/sqlite/migrations/0006_ops.sql. A file or batch that fits one job
-- has no rows here.

CREATE TABLE file_parts (
	file_id    text NOT NULL,
	idx        integer NOT NULL,
	object_key text NOT NULL,
	records    integer NOT NULL,
	bytes      bigint NOT NULL,
	PRIMARY KEY (file_id, idx)
);

CREATE TABLE batch_jobs (
	batch_id           text NOT NULL,
	idx                integer NOT NULL,
	input_key          text NOT NULL,
	records            integer NOT NULL,
	client_token       text NOT NULL,
	job_name           text NOT NULL,
	job_arn            text NOT NULL,
	job_status         text NOT NULL,
	message            text NOT NULL,
	requests_total     bigint NOT NULL,
	requests_completed bigint NOT NULL,
	requests_failed    bigint NOT NULL,
	input_tokens       bigint NOT NULL,
	output_tokens      bigint NOT NULL,
	submitted_at       timestamptz,
	settled_at         timestamptz,
	PRIMARY KEY (batch_id, idx)
);
