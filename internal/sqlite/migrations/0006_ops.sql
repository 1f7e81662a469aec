-- Bedrock's per-job quotas: the parts of an input file split over several
-- jobs, and the jobs of such a batch. Same conventions as 0001_init.sql.
-- A file or batch that fits one job has no rows here.

CREATE TABLE file_parts (
	file_id    TEXT NOT NULL,
	idx        INTEGER NOT NULL,
	object_key TEXT NOT NULL,
	records    INTEGER NOT NULL,
	bytes      INTEGER NOT NULL,
	PRIMARY KEY (file_id, idx)
) STRICT;

CREATE TABLE batch_jobs (
	batch_id           TEXT NOT NULL,
	idx                INTEGER NOT NULL,
	input_key          TEXT NOT NULL,
	records            INTEGER NOT NULL,
	client_token       TEXT NOT NULL,
	job_name           TEXT NOT NULL,
	job_arn            TEXT NOT NULL,
	job_status         TEXT NOT NULL,
	message            TEXT NOT NULL,
	requests_total     INTEGER NOT NULL,
	requests_completed INTEGER NOT NULL,
	requests_failed    INTEGER NOT NULL,
	input_tokens       INTEGER NOT NULL,
	output_tokens      INTEGER NOT NULL,
	submitted_at       INTEGER,
	settled_at         INTEGER,
	PRIMARY KEY (batch_id, idx)
) STRICT;
