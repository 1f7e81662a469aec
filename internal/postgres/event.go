package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/sqlstore"
)

var _ batchgate.EventStore = (*DB)(nil)

// ClaimWebhookDeliveries leases the due pending deliveries; SKIP LOCKED lets
// replicas claim at once without taking the same rows (see ClaimBatches).
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, now time.Time, ttl time.Duration, limit int) ([]*batchgate.WebhookDelivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `WITH claimed AS (
			SELECT event_id, url, next_attempt_at FROM webhook_deliveries
			WHERE state = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, event_id, url
			LIMIT $3
			FOR UPDATE SKIP LOCKED
		), updated AS (
			UPDATE webhook_deliveries d SET next_attempt_at = $2
			FROM claimed c WHERE d.event_id = c.event_id AND d.url = c.url
			RETURNING d.event_id, d.url, d.state, d.attempts, c.next_attempt_at, d.delivered_at, d.last_error
		)
		SELECT e.id, e.batch_id, e.type, e.created_at, u.url, u.state, u.attempts, u.next_attempt_at, u.delivered_at, u.last_error
		FROM updated u JOIN batch_events e ON e.id = u.event_id
		ORDER BY u.next_attempt_at, u.event_id, u.url`,
		now.UTC(), now.Add(ttl).UTC(), min(limit, MaxLimit))
	out, err := sqlstore.Collect(sqlstore.Rows(rows), err, sqlstore.ScanDelivery)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim webhook deliveries: %w", err)
	}
	return out, nil
}
