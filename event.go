package batchgate

import (
	"context"
	"time"
)

// BatchEvent records that a batch reached a terminal status. A batch has at
// most one: it is stored, with a webhook delivery per endpoint, before the
// batch's terminal status is, so that no restart can lose it and no retry can
// repeat it.
type BatchEvent struct {
	ID        string // evt_..., derived from the batch id
	BatchID   string
	Type      string // batch.completed, batch.failed, batch.cancelled or batch.expired
	CreatedAt time.Time
}

// Webhook delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after the last attempt
)

// WebhookDelivery is one event to send to one endpoint.
type WebhookDelivery struct {
	Event         BatchEvent
	URL           string
	State         string
	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
	LastError     string
}

// EventStore keeps batch events and their webhook deliveries. The SQL stores
// implement it next to Store.
type EventStore interface {
	// AddBatchEvent stores ev and a pending delivery, due at once, to each
	// url in one transaction, and reports true; if the batch already has an
	// event it stores nothing and reports false.
	AddBatchEvent(ctx context.Context, ev *BatchEvent, urls []string) (bool, error)
	// ClaimWebhookDeliveries leases up to limit pending deliveries due at now
	// by moving their NextAttemptAt to now+ttl, and returns them (as they
	// were before the lease), oldest first. A delivery is claimed by one
	// replica at a time.
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, ttl time.Duration, limit int) ([]*WebhookDelivery, error)
	// UpdateWebhookDelivery saves the state, attempts, next attempt, delivery
	// time and last error of d. It returns ENOTFOUND if d does not exist.
	UpdateWebhookDelivery(ctx context.Context, d *WebhookDelivery) error
	// RunningBatchStats counts the non-terminal batches by status and
	// returns the oldest UpdatedAt among them (nil if there are none).
	RunningBatchStats(ctx context.Context) (map[string]int64, *time.Time, error)
}
