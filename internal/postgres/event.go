package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

var _ batchgate.EventStore = (*DB)(nil)

// AddBatchEvent stores the event and its deliveries unless the batch has one.
func (db *DB) AddBatchEvent(ctx context.Context, ev *batchgate.BatchEvent, urls []string) (bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: add batch event: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	n, err := affected(tx.Exec(ctx, `INSERT INTO batch_events (id, batch_id, type, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, ev.ID, ev.BatchID, ev.Type, utc(ev.CreatedAt)))
	if err != nil {
		return false, fmt.Errorf("postgres: add batch event: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	for _, u := range urls {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (event_id, url, state, attempts, next_attempt_at, delivered_at, last_error)
			VALUES ($1, $2, $3, 0, $4, NULL, '') ON CONFLICT DO NOTHING`, ev.ID, u, batchgate.DeliveryPending, utc(ev.CreatedAt)); err != nil {
			return false, fmt.Errorf("postgres: add webhook delivery: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: add batch event: %w", err)
	}
	return true, nil
}

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
		utc(now), utc(now.Add(ttl)), min(limit, MaxLimit))
	if err != nil {
		return nil, fmt.Errorf("postgres: claim webhook deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.WebhookDelivery, error) {
		var d batchgate.WebhookDelivery
		err := row.Scan(&d.Event.ID, &d.Event.BatchID, &d.Event.Type, &d.Event.CreatedAt,
			&d.URL, &d.State, &d.Attempts, &d.NextAttemptAt, &d.DeliveredAt, &d.LastError)
		d.Event.CreatedAt, d.NextAttemptAt, d.DeliveredAt = utc(d.Event.CreatedAt), utc(d.NextAttemptAt), utcPtr(d.DeliveredAt)
		return &d, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim webhook deliveries: %w", err)
	}
	return out, nil
}

// UpdateWebhookDelivery saves the outcome of an attempt.
func (db *DB) UpdateWebhookDelivery(ctx context.Context, d *batchgate.WebhookDelivery) error {
	n, err := affected(db.pool.Exec(ctx, `UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_at = $3,
		delivered_at = $4, last_error = $5 WHERE event_id = $6 AND url = $7`,
		d.State, d.Attempts, utc(d.NextAttemptAt), utcPtr(d.DeliveredAt), d.LastError, d.Event.ID, d.URL))
	if err != nil {
		return fmt.Errorf("postgres: update webhook delivery: %w", err)
	}
	if n == 0 {
		return batchgate.Errorf(batchgate.ENOTFOUND, "No such webhook delivery: %s to %s", d.Event.ID, d.URL)
	}
	return nil
}

// RunningBatchStats counts running batches by status through the
// batches_claim index, whose predicate is nonTerminal.
func (db *DB) RunningBatchStats(ctx context.Context) (map[string]int64, *time.Time, error) {
	rows, err := db.pool.Query(ctx, `SELECT status, count(*), min(updated_at) FROM batches WHERE `+nonTerminal+` GROUP BY status`)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: running batch stats: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	var oldest *time.Time
	for rows.Next() {
		var (
			status string
			n      int64
			t      time.Time
		)
		if err := rows.Scan(&status, &n, &t); err != nil {
			return nil, nil, fmt.Errorf("postgres: running batch stats: %w", err)
		}
		counts[status] = n
		if t = t.UTC(); oldest == nil || t.Before(*oldest) {
			oldest = &t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("postgres: running batch stats: %w", err)
	}
	return counts, oldest, nil
}
