-- OpenAI's output_expires_after of a batch: how long its output and error
-- files live from settlement, in seconds (0: the configured default).
-- Same conventions as 0001_init.sql.

ALTER TABLE batches ADD COLUMN output_expires_after INTEGER NOT NULL DEFAULT 0;
