-- A blocked key is refused on every route until unblocked (LiteLLM's
-- /key/block, /key/unblock). Keys created before this migration are not blocked.
-- Same conventions as 0001_init.sql.

ALTER TABLE keys ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
