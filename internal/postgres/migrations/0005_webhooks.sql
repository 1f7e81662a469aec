-- Batch events (one per batch that reached a terminal status) and their
-- webhook deliveries, one per configured endpoint. Same conventions as
-- 0001_init.sql. The event is stored before the batch's terminal status, so
-- the UNIQUE batch_id is what makes it exactly once.

CREATE TABLE batch_events (
	id         text PRIMARY KEY,
	batch_id   text NOT NULL UNIQUE,
	type       text NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
	event_id        text NOT NULL REFERENCES batch_events (id),
	url             text NOT NULL,
	state           text NOT NULL,
	attempts        integer NOT NULL,
	next_attempt_at timestamptz NOT NULL,
	delivered_at    timestamptz,
	last_error      text NOT NULL,
	PRIMARY KEY (event_id, url)
);

-- The sender takes the pending deliveries that are due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
