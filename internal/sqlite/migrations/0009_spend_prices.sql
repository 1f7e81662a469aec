-- The prices each batch was billed at and their source, kept with the
-- spend log (rows billed before this migration have 0 and '').
-- Same conventions as 0001_init.sql.

ALTER TABLE spend_logs ADD COLUMN input_cost_per_token REAL NOT NULL DEFAULT 0;
ALTER TABLE spend_logs ADD COLUMN output_cost_per_token REAL NOT NULL DEFAULT 0;
ALTER TABLE spend_logs ADD COLUMN price_source TEXT NOT NULL DEFAULT '';
