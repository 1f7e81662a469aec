-- File expiry: the reconciler looks up the files whose expires_at has
-- passed. Same conventions as 0001_init.sql.

CREATE INDEX files_expires_at ON files (expires_at, id) WHERE expires_at IS NOT NULL;

-- Running batches by input file: an input file in use does not expire, and
-- DELETE /v1/files refuses it (CountRunningBatchesOfFile). The predicate
-- must match nonTerminal in batch.go.
CREATE INDEX batches_running_input ON batches (input_file_id)
	WHERE status NOT IN ('failed', 'completed', 'expired', 'cancelled');
