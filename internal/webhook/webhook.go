// Package webhook sends batch events to the endpoints of
// batchgate_settings.webhooks in OpenAI's webhook event format, signed per
// the Standard Webhooks scheme (https://www.standardwebhooks.com).
//
// Events are durable: Store records the event and one pending delivery per
// endpoint in the database before a batch's terminal status is written, and
// Sender delivers them from a background loop on every replica (each
// delivery is leased to one at a time), retrying with exponential backoff
// until the endpoint answers 2xx or MaxAttempts is reached. The event id is
// derived from the batch id and the batch has one event, so each terminal
// transition is announced once; receivers deduplicate retries by webhook-id.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/config"
)

// Event is the body of a webhook request, as OpenAI sends it.
type Event struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"` // "event"
	CreatedAt int64     `json:"created_at"`
	Type      string    `json:"type"`
	Data      EventData `json:"data"`
}

// EventData names the batch.
type EventData struct {
	ID string `json:"id"`
}

// EventID returns the id of a batch's event: "evt_" and 32 hex characters,
// derived from the batch id so that every attempt and replica agrees on it.
func EventID(batchID string) string {
	h := sha256.Sum256([]byte("batchgate-event:" + batchID))
	return "evt_" + hex.EncodeToString(h[:16])
}

// EventType returns the event type for a terminal batch status, e.g. "batch.completed".
func EventType(status string) string { return "batch." + status }

// Body renders the event of e as the JSON body sent.
func Body(e batchgate.BatchEvent) ([]byte, error) {
	return json.Marshal(Event{ID: e.ID, Object: "event", CreatedAt: e.CreatedAt.Unix(), Type: e.Type, Data: EventData{ID: e.BatchID}})
}

// Sign returns the webhook-signature header value of the Standard Webhooks
// scheme: "v1," and the base64 HMAC-SHA256, keyed with the decoded secret,
// of "{webhook-id}.{webhook-timestamp}.{body}".
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Store wraps a batchgate.Store: before a batch is stored with a terminal
// status it records the batch's event and its deliveries (once per batch:
// later terminal writes of the same batch find the event and add nothing).
// The event is stored first so that a crash in between cannot lose it; the
// Sender holds a delivery back while its batch is not terminal in the store.
type Store struct {
	batchgate.Store
	Events    batchgate.EventStore
	Endpoints []config.Webhook
	// Added, if set, is called for each new event (metrics, waking the Sender).
	Added func(e *batchgate.BatchEvent)
}

// UpdateBatch records the event of a batch that becomes terminal, then updates the batch.
func (s *Store) UpdateBatch(ctx context.Context, b *batchgate.Batch) error {
	if batchgate.Terminal(b.Status) {
		ev := &batchgate.BatchEvent{ID: EventID(b.ID), BatchID: b.ID, Type: EventType(b.Status), CreatedAt: b.UpdatedAt.UTC()}
		if ev.CreatedAt.IsZero() {
			ev.CreatedAt = timeNow().UTC()
		}
		var urls []string
		for _, w := range s.Endpoints {
			if w.Wants(ev.Type) {
				urls = append(urls, w.URL)
			}
		}
		added, err := s.Events.AddBatchEvent(ctx, ev, urls)
		if err != nil {
			return err // the batch stays as it was; the caller retries the transition
		}
		if added && s.Added != nil {
			s.Added(ev)
		}
	}
	return s.Store.UpdateBatch(ctx, b)
}

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() batchgate.Store { return s.Store }
