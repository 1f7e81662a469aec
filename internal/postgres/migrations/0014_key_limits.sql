-- LiteLLM's key fields beyond budgets (/key/generate, /key/update):
-- key_type, the duration as sent, tpm/rpm limits, max_parallel_requests,
-- soft_budget and allowed_routes (a JSON list). Keys created before this
-- migration have none of them: no limit, key_type "" (LiteLLM's "default").
-- Mirrors internal/sqlite/migrations/0014_key_limits.sql.

ALTER TABLE keys ADD COLUMN key_type text NOT NULL DEFAULT '';
ALTER TABLE keys ADD COLUMN duration text NOT NULL DEFAULT '';
ALTER TABLE keys ADD COLUMN tpm_limit bigint;
ALTER TABLE keys ADD COLUMN rpm_limit bigint;
ALTER TABLE keys ADD COLUMN max_parallel_requests bigint;
ALTER TABLE keys ADD COLUMN soft_budget double precision;
ALTER TABLE keys ADD COLUMN allowed_routes jsonb;
