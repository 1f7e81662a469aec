package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/config"
)

var timeNow = time.Now

// Sender delivers pending webhook deliveries.
type Sender struct {
	Events    batchgate.EventStore
	Batches   batchgate.Store // to hold back events whose batch is not terminal yet
	Endpoints []config.Webhook
	Client    *http.Client
	Log       *slog.Logger
	Now       func() time.Time
	// Outcome, if set, is told the outcome of each attempt: delivered, retry or failed.
	Outcome func(eventType, outcome string)

	// Interval is how often due deliveries are looked for (default 1s);
	// Lease how long a claimed delivery is held (default 2m, longer than
	// any timeout); MinBackoff and MaxBackoff bound the delay between
	// attempts, doubling from MinBackoff (defaults 5s and 1h).
	Interval   time.Duration
	Lease      time.Duration
	MinBackoff time.Duration
	MaxBackoff time.Duration

	wake chan struct{}
}

// NewSender returns a Sender with defaults.
func NewSender(events batchgate.EventStore, batches batchgate.Store, endpoints []config.Webhook, log *slog.Logger) *Sender {
	return &Sender{
		Events: events, Batches: batches, Endpoints: endpoints, Log: log, Now: time.Now,
		Client:   &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		Interval: time.Second, Lease: 2 * time.Minute, MinBackoff: 5 * time.Second, MaxBackoff: time.Hour,
		wake: make(chan struct{}, 1),
	}
}

// Wake makes Run look for due deliveries now (after a new event).
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers due webhooks until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		if _, err := s.Send(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Send makes one attempt at each due delivery and returns how many it took on.
func (s *Sender) Send(ctx context.Context) (int, error) {
	ds, err := s.Events.ClaimWebhookDeliveries(ctx, s.Now().UTC(), s.Lease, 100)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		s.attempt(ctx, d)
	}
	return len(ds), nil
}

func (s *Sender) endpoint(url string) (config.Webhook, bool) {
	for _, w := range s.Endpoints {
		if w.URL == url {
			return w, true
		}
	}
	return config.Webhook{}, false
}

// attempt sends d once and stores the outcome.
func (s *Sender) attempt(ctx context.Context, d *batchgate.WebhookDelivery) {
	// Webhook URLs can carry credentials (a token in the path or query):
	// logs and stored errors name the endpoint by its host only.
	log := s.Log.With("event_id", d.Event.ID, "batch_id", d.Event.BatchID, "endpoint", Redact(d.URL))
	w, ok := s.endpoint(d.URL)
	if !ok {
		// The endpoint was removed from the config: nothing to send it to.
		d.State, d.LastError = batchgate.DeliveryFailed, "endpoint no longer configured"
		s.save(ctx, d, log)
		return
	}
	b, err := s.Batches.FindBatchByID(ctx, d.Event.BatchID)
	switch {
	case err != nil && !batchgate.IsNotFound(err):
		d.NextAttemptAt = s.Now().UTC().Add(s.MinBackoff) // the store is in trouble: try again soon
		s.save(ctx, d, log)
		return
	case err == nil && !batchgate.Terminal(b.Status):
		// The event was stored but the batch's terminal status was not (yet):
		// hold the event until it is.
		d.NextAttemptAt = s.Now().UTC().Add(s.MinBackoff)
		s.save(ctx, d, log)
		return
	case err == nil && EventType(b.Status) != d.Event.Type:
		d.Event.Type = EventType(b.Status) // the batch settled differently from the first attempt to store it
	}
	err = s.post(ctx, w, d.Event)
	d.Attempts++
	now := s.Now().UTC()
	switch {
	case err == nil:
		d.State, d.DeliveredAt, d.LastError = batchgate.DeliveryDelivered, &now, ""
		log.Info("webhook delivered", "type", d.Event.Type, "attempts", d.Attempts)
		s.outcome(d.Event.Type, "delivered")
	case d.Attempts >= w.MaxAttempts && w.MaxAttempts > 0:
		d.State, d.LastError = batchgate.DeliveryFailed, err.Error()
		log.Error("webhook not delivered: giving up", "type", d.Event.Type, "attempts", d.Attempts, "err", err)
		s.outcome(d.Event.Type, "failed")
	default:
		d.NextAttemptAt, d.LastError = now.Add(s.backoff(d.Attempts)), err.Error()
		log.Warn("webhook not delivered: will retry", "type", d.Event.Type, "attempts", d.Attempts, "next_attempt_at", d.NextAttemptAt, "err", err)
		s.outcome(d.Event.Type, "retry")
	}
	s.save(ctx, d, log)
}

func (s *Sender) outcome(typ, outcome string) {
	if s.Outcome != nil {
		s.Outcome(typ, outcome)
	}
}

func (s *Sender) save(ctx context.Context, d *batchgate.WebhookDelivery, log *slog.Logger) {
	if err := s.Events.UpdateWebhookDelivery(context.WithoutCancel(ctx), d); err != nil {
		// The lease runs out and the delivery is tried again: at least once.
		log.Error("save webhook delivery", "err", err)
	}
}

// backoff is the delay after the n-th failed attempt: MinBackoff doubled
// n-1 times, at most MaxBackoff, less up to 20% jitter so that endpoints
// coming back are not hit by every retry at once.
func (s *Sender) backoff(n int) time.Duration {
	d := s.MinBackoff
	for i := 1; i < n && d < s.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.MaxBackoff)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// post sends one signed request; any answer but 2xx is an error.
func (s *Sender) post(ctx context.Context, w config.Webhook, e batchgate.BatchEvent) error {
	key, err := w.Key()
	if err != nil {
		return fmt.Errorf("webhook secret: %w", err) // refused by config validation
	}
	body, err := Body(e)
	if err != nil {
		return err
	}
	ts := s.Now().Unix()
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "batchgate-webhooks")
	req.Header.Set("webhook-id", e.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(key, e.ID, ts, body))
	resp, err := s.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return nil
}

// Redact returns the scheme and host of a webhook URL, for logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid url)"
	}
	return u.Scheme + "://" + u.Host + "/..."
}
