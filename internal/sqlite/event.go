package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/sqlstore"
)

var _ batchgate.EventStore = (*DB)(nil)

// ClaimWebhookDeliveries leases the due pending deliveries. The write
// transaction (BEGIN IMMEDIATE) keeps other processes out meanwhile.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, now time.Time, ttl time.Duration, limit int) ([]*batchgate.WebhookDelivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []*batchgate.WebhookDelivery
	err := db.InTx(ctx, func(tx sqlstore.Querier) error {
		rows, err := tx.Query(ctx, `SELECT e.id, e.batch_id, e.type, e.created_at,
			d.url, d.state, d.attempts, d.next_attempt_at, d.delivered_at, d.last_error
			FROM webhook_deliveries d JOIN batch_events e ON e.id = d.event_id
			WHERE d.state = 'pending' AND d.next_attempt_at <= ?
			ORDER BY d.next_attempt_at, d.event_id, d.url LIMIT ?`, dialect.Time(now), min(limit, MaxLimit))
		if out, err = sqlstore.Collect(rows, err, sqlstore.ScanDelivery); err != nil {
			return err
		}
		for _, d := range out {
			if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE event_id = ? AND url = ?`,
				dialect.Time(now.Add(ttl)), d.Event.ID, d.URL); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim webhook deliveries: %w", err)
	}
	return out, nil
}
