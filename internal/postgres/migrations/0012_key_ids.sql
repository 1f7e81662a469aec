-- Keys own their files, batches and spend by an ID that is never reused,
-- not by their token: the token is the secret's hash, and it repeats when
-- a custom secret is issued again after its key was deleted, which let the
-- new key read, cancel and be billed for the old key's objects.
-- Mirrors internal/sqlite/migrations/0012_key_ids.sql.

-- Every existing key gets a random ID (the store writes "key-" and 24 hex
-- characters for new keys; these have the same form).
ALTER TABLE keys ADD COLUMN key_id text;
UPDATE keys SET key_id = 'key-' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 24);
ALTER TABLE keys ALTER COLUMN key_id SET NOT NULL;
CREATE UNIQUE INDEX keys_key_id ON keys (key_id);

-- Owners: the token of a key that still exists becomes its ID. Rows of keys
-- deleted before this migration keep their token, a 64-character hash that
-- is never an ID: no key, the same secret issued again included, owns
-- them. The master key's rows keep their empty owner.
ALTER TABLE files RENAME COLUMN owner_key_token TO owner_key_id;
ALTER TABLE batches RENAME COLUMN owner_key_token TO owner_key_id;
ALTER TABLE spend_logs RENAME COLUMN owner_key_token TO owner_key_id;

UPDATE files f SET owner_key_id = k.key_id FROM keys k WHERE f.owner_key_id = k.token;
UPDATE batches b SET owner_key_id = k.key_id FROM keys k WHERE b.owner_key_id = k.token;
UPDATE spend_logs s SET owner_key_id = k.key_id FROM keys k WHERE s.owner_key_id = k.token;

ALTER INDEX files_owner_key_token RENAME TO files_owner_key_id;
ALTER INDEX batches_owner_key_token RENAME TO batches_owner_key_id;
ALTER INDEX spend_logs_owner_key_token RENAME TO spend_logs_owner_key_id;
