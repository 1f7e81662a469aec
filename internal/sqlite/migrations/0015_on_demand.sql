-- Small batches on demand (model_info.batch_below_minimum: on_demand): a
-- batch's mode says it runs through Bedrock's runtime API rather than as
-- batch jobs, and its spend log says it was billed at on-demand prices.
-- '' is a batch job, as every batch before this migration.

ALTER TABLE batches ADD COLUMN mode TEXT NOT NULL DEFAULT '';
ALTER TABLE spend_logs ADD COLUMN mode TEXT NOT NULL DEFAULT '';
