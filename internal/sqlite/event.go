package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
)

var _ batchgate.EventStore = (*DB)(nil)

// AddBatchEvent stores the event and its deliveries unless the batch has one.
func (db *DB) AddBatchEvent(ctx context.Context, ev *batchgate.BatchEvent, urls []string) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: add batch event: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO batch_events (id, batch_id, type, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, ev.ID, ev.BatchID, ev.Type, millis(ev.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlite: add batch event: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for _, u := range urls {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (event_id, url, state, attempts, next_attempt_at, delivered_at, last_error)
			VALUES (?, ?, ?, 0, ?, NULL, '') ON CONFLICT DO NOTHING`, ev.ID, u, batchgate.DeliveryPending, millis(ev.CreatedAt)); err != nil {
			return false, fmt.Errorf("sqlite: add webhook delivery: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: add batch event: %w", err)
	}
	return true, nil
}

// ClaimWebhookDeliveries leases the due pending deliveries. The write
// transaction (BEGIN IMMEDIATE) keeps other processes out meanwhile.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, now time.Time, ttl time.Duration, limit int) ([]*batchgate.WebhookDelivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim webhook deliveries: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT e.id, e.batch_id, e.type, e.created_at,
		d.url, d.state, d.attempts, d.next_attempt_at, d.delivered_at, d.last_error
		FROM webhook_deliveries d JOIN batch_events e ON e.id = d.event_id
		WHERE d.state = 'pending' AND d.next_attempt_at <= ?
		ORDER BY d.next_attempt_at, d.event_id, d.url LIMIT ?`, millis(now), min(limit, MaxLimit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim webhook deliveries: %w", err)
	}
	var out []*batchgate.WebhookDelivery
	for rows.Next() {
		var (
			d             batchgate.WebhookDelivery
			created, next int64
			delivered     sql.NullInt64
		)
		if err := rows.Scan(&d.Event.ID, &d.Event.BatchID, &d.Event.Type, &created,
			&d.URL, &d.State, &d.Attempts, &next, &delivered, &d.LastError); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: claim webhook deliveries: %w", err)
		}
		d.Event.CreatedAt, d.NextAttemptAt, d.DeliveredAt = fromMillis(created), fromMillis(next), fromMillisPtr(delivered)
		out = append(out, &d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: claim webhook deliveries: %w", err)
	}
	for _, d := range out {
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE event_id = ? AND url = ?`,
			millis(now.Add(ttl)), d.Event.ID, d.URL); err != nil {
			return nil, fmt.Errorf("sqlite: claim webhook deliveries: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: claim webhook deliveries: %w", err)
	}
	return out, nil
}

// UpdateWebhookDelivery saves the outcome of an attempt.
func (db *DB) UpdateWebhookDelivery(ctx context.Context, d *batchgate.WebhookDelivery) error {
	res, err := db.write.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?,
		delivered_at = ?, last_error = ? WHERE event_id = ? AND url = ?`,
		d.State, d.Attempts, millis(d.NextAttemptAt), millisPtr(d.DeliveredAt), d.LastError, d.Event.ID, d.URL)
	if err != nil {
		return fmt.Errorf("sqlite: update webhook delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return batchgate.Errorf(batchgate.ENOTFOUND, "No such webhook delivery: %s to %s", d.Event.ID, d.URL)
	}
	return nil
}

// RunningBatchStats counts running batches by status through the
// batches_claim index, whose predicate is nonTerminal.
func (db *DB) RunningBatchStats(ctx context.Context) (map[string]int64, *time.Time, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT status, count(*), min(updated_at) FROM batches WHERE `+nonTerminal+` GROUP BY status`)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: running batch stats: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	var oldest *time.Time
	for rows.Next() {
		var (
			status string
			n, ms  int64
		)
		if err := rows.Scan(&status, &n, &ms); err != nil {
			return nil, nil, fmt.Errorf("sqlite: running batch stats: %w", err)
		}
		counts[status] = n
		if t := fromMillis(ms); oldest == nil || t.Before(*oldest) {
			oldest = &t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlite: running batch stats: %w", err)
	}
	return counts, oldest, nil
}
