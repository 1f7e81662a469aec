package sqlstore

import (
	"context"
	"time"

	"github.com/batchgate/batchgate"
)

// AddBatchEvent stores the event and its deliveries unless the batch has one.
func (s *Store) AddBatchEvent(ctx context.Context, ev *batchgate.BatchEvent, urls []string) (bool, error) {
	var added bool
	err := s.InTx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `INSERT INTO batch_events (id, batch_id, type, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, ev.ID, ev.BatchID, ev.Type, s.D.Time(ev.CreatedAt))
		if err != nil || n == 0 {
			return err
		}
		for _, u := range urls {
			if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (event_id, url, state, attempts, next_attempt_at, delivered_at, last_error)
				VALUES (?, ?, ?, 0, ?, NULL, '') ON CONFLICT DO NOTHING`, ev.ID, u, batchgate.DeliveryPending, s.D.Time(ev.CreatedAt)); err != nil {
				return err
			}
		}
		added = true
		return nil
	})
	if err != nil {
		return false, s.D.errorf("add batch event", err)
	}
	return added, nil
}

// ScanDelivery scans the columns e.id, e.batch_id, e.type, e.created_at,
// d.url, d.state, d.attempts, d.next_attempt_at, d.delivered_at,
// d.last_error of a webhook delivery joined with its event.
func ScanDelivery(row Row) (*batchgate.WebhookDelivery, error) {
	var d batchgate.WebhookDelivery
	err := row.Scan(&d.Event.ID, &d.Event.BatchID, &d.Event.Type, Time{&d.Event.CreatedAt},
		&d.URL, &d.State, &d.Attempts, Time{&d.NextAttemptAt}, NullTime{&d.DeliveredAt}, &d.LastError)
	return &d, err
}

// UpdateWebhookDelivery saves the outcome of an attempt.
func (s *Store) UpdateWebhookDelivery(ctx context.Context, d *batchgate.WebhookDelivery) error {
	n, err := s.Write.Exec(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?,
		delivered_at = ?, last_error = ? WHERE event_id = ? AND url = ?`,
		d.State, d.Attempts, s.D.Time(d.NextAttemptAt), s.D.TimePtr(d.DeliveredAt), d.LastError, d.Event.ID, d.URL)
	if err != nil {
		return s.D.errorf("update webhook delivery", err)
	}
	if n == 0 {
		return batchgate.Errorf(batchgate.ENOTFOUND, "No such webhook delivery: %s to %s", d.Event.ID, d.URL)
	}
	return nil
}

// RunningBatchStats counts running batches by status through the
// batches_claim index, whose predicate is NonTerminal.
func (s *Store) RunningBatchStats(ctx context.Context) (map[string]int64, *time.Time, error) {
	type stat struct {
		status string
		n      int64
		oldest time.Time
	}
	rows, err := s.Read.Query(ctx, `SELECT status, count(*), min(updated_at) FROM batches WHERE `+nonTerminal+` GROUP BY status`)
	stats, err := Collect(rows, err, func(row Row) (stat, error) {
		var st stat
		err := row.Scan(&st.status, &st.n, Time{&st.oldest})
		return st, err
	})
	if err != nil {
		return nil, nil, s.D.errorf("running batch stats", err)
	}
	counts := map[string]int64{}
	var oldest *time.Time
	for _, st := range stats {
		counts[st.status] = st.n
		if t := st.oldest; oldest == nil || t.Before(*oldest) {
			oldest = &t
		}
	}
	return counts, oldest, nil
}
