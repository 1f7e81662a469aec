-- Batch events (one per batch that reached a terminal status) and their
-- webhook deliveries, one per configured endpoint. Same conventions as
-- 0001_init.sql. The event is stored before the batch's terminal status, so
-- the UNIQUE batch_id is what makes it exactly once.

CREATE TABLE batch_events (
	id         TEXT PRIMARY KEY,
	batch_id   TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
	event_id        TEXT NOT NULL REFERENCES batch_events (id),
	url             TEXT NOT NULL,
	state           TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	delivered_at    INTEGER,
	last_error      TEXT NOT NULL,
	PRIMARY KEY (event_id, url)
) STRICT;

-- The sender takes the pending deliveries that are due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
