-- OpenAI's output_expires_after of a batch: how long its output and error
-- files live from settlement, in seconds (0: the configured default).
-- Mirrors internal/sqlite/migrations/0011_batch_output_expiry.sql.

ALTER TABLE batches ADD COLUMN output_expires_after bigint NOT NULL DEFAULT 0;
