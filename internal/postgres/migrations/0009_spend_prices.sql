-- The prices each batch was billed at and their source, kept with the
-- spend log (rows billed before this migration have 0 and '').
-- Mirrors internal/sqlite/migrations/0009_spend_prices.sql.

ALTER TABLE spend_logs
	ADD COLUMN input_cost_per_token double precision NOT NULL DEFAULT 0,
	ADD COLUMN output_cost_per_token double precision NOT NULL DEFAULT 0,
	ADD COLUMN price_source text NOT NULL DEFAULT '';
