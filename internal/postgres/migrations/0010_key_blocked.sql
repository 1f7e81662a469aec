-- A blocked key is refused on every route until unblocked (LiteLLM's
-- /key/block, /key/unblock). Keys created before this migration are not blocked.
-- Mirrors internal/sqlite/migrations/0010_key_blocked.sql.

ALTER TABLE keys ADD COLUMN blocked boolean NOT NULL DEFAULT false;
