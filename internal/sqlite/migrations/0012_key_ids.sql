-- Keys own their files, batches and spend by an ID that is never reused,
-- not by their token: the token is the secret's hash, and it repeats when
-- a custom secret is issued again after its key was deleted, which let the
-- new key read, cancel and be billed for the old key's objects.
-- Same conventions as 0001_init.sql.

-- Every existing key gets a random ID (the store writes "key-" and 24 hex
-- characters for new keys; these have the same form).
ALTER TABLE keys ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
UPDATE keys SET key_id = 'key-' || lower(hex(randomblob(12)));
CREATE UNIQUE INDEX keys_key_id ON keys (key_id);

-- Owners: the token of a key that still exists becomes its ID. Rows of keys
-- deleted before this migration keep their token, a 64-character hash that
-- is never an ID: no key, the same secret issued again included, owns
-- them. The master key's rows keep their empty owner.
ALTER TABLE files RENAME COLUMN owner_key_token TO owner_key_id;
ALTER TABLE batches RENAME COLUMN owner_key_token TO owner_key_id;
ALTER TABLE spend_logs RENAME COLUMN owner_key_token TO owner_key_id;

UPDATE files SET owner_key_id = (SELECT key_id FROM keys WHERE token = files.owner_key_id)
	WHERE owner_key_id IN (SELECT token FROM keys);
UPDATE batches SET owner_key_id = (SELECT key_id FROM keys WHERE token = batches.owner_key_id)
	WHERE owner_key_id IN (SELECT token FROM keys);
UPDATE spend_logs SET owner_key_id = (SELECT key_id FROM keys WHERE token = spend_logs.owner_key_id)
	WHERE owner_key_id IN (SELECT token FROM keys);

-- The owner indexes follow the columns; only their names change.
DROP INDEX files_owner_key_token;
CREATE INDEX files_owner_key_id ON files (owner_key_id, created_at DESC, id DESC);
DROP INDEX batches_owner_key_token;
CREATE INDEX batches_owner_key_id ON batches (owner_key_id, created_at DESC, id DESC);
DROP INDEX spend_logs_owner_key_token;
CREATE INDEX spend_logs_owner_key_id ON spend_logs (owner_key_id);
