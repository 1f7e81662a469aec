-- LiteLLM's key fields beyond budgets (/key/generate, /key/update):
-- key_type, the duration as sent, tpm/rpm limits, max_parallel_requests,
-- soft_budget and allowed_routes (a JSON list). Keys created before this
-- migration have none of them: no limit, key_type "" (LiteLLM's "default").
-- Same conventions as 0001_init.sql.

ALTER TABLE keys ADD COLUMN key_type TEXT NOT NULL DEFAULT '';
ALTER TABLE keys ADD COLUMN duration TEXT NOT NULL DEFAULT '';
ALTER TABLE keys ADD COLUMN tpm_limit INTEGER;
ALTER TABLE keys ADD COLUMN rpm_limit INTEGER;
ALTER TABLE keys ADD COLUMN max_parallel_requests INTEGER;
ALTER TABLE keys ADD COLUMN soft_budget REAL;
ALTER TABLE keys ADD COLUMN allowed_routes TEXT;
