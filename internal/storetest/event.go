package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// EventStore is a store that also keeps batch events.
type EventStore interface {
	batchgate.Store
	batchgate.EventStore
}

// RunEvents checks batchgate.EventStore. open must return a new, empty
// store; share, when not nil, returns n stores on one new database (as
// replicas), for the concurrent-claim check.
func RunEvents(t *testing.T, open func(t *testing.T) EventStore, share func(t *testing.T, n int) []EventStore) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ev := func(batch string) *batchgate.BatchEvent {
		return &batchgate.BatchEvent{ID: "evt_" + batch, BatchID: batch, Type: "batch.completed", CreatedAt: now}
	}

	t.Run("AddOncePerBatch", func(t *testing.T) {
		s := open(t)
		ok, err := s.AddBatchEvent(ctx, ev("b1"), []string{"https://a.example/h", "https://b.example/h"})
		if err != nil || !ok {
			t.Fatalf("first add: %v %v", ok, err)
		}
		again := ev("b1")
		again.ID, again.Type = "evt_other", "batch.failed"
		ok, err = s.AddBatchEvent(ctx, again, []string{"https://c.example/h"})
		if err != nil || ok {
			t.Fatalf("second add of the batch: %v %v, want false", ok, err)
		}
		ds, err := s.ClaimWebhookDeliveries(ctx, now, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 2 {
			t.Fatalf("%d deliveries, want 2", len(ds))
		}
		for _, d := range ds {
			if d.Event.ID != "evt_b1" || d.Event.BatchID != "b1" || d.Event.Type != "batch.completed" || !d.Event.CreatedAt.Equal(now) ||
				d.State != batchgate.DeliveryPending || d.Attempts != 0 || d.URL == "https://c.example/h" {
				t.Fatalf("delivery %+v", d)
			}
		}
	})

	t.Run("ClaimLeaseAndUpdate", func(t *testing.T) {
		s := open(t)
		if _, err := s.AddBatchEvent(ctx, ev("b1"), []string{"https://a.example/h"}); err != nil {
			t.Fatal(err)
		}
		if ds, err := s.ClaimWebhookDeliveries(ctx, now.Add(-time.Second), time.Minute, 10); err != nil || len(ds) != 0 {
			t.Fatalf("claimed %d before due (%v)", len(ds), err)
		}
		ds, err := s.ClaimWebhookDeliveries(ctx, now, time.Minute, 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("claimed %d (%v), want 1", len(ds), err)
		}
		if again, _ := s.ClaimWebhookDeliveries(ctx, now.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
			t.Fatal("a leased delivery was claimed again")
		}
		if again, _ := s.ClaimWebhookDeliveries(ctx, now.Add(time.Minute), time.Minute, 10); len(again) != 1 {
			t.Fatal("an expired lease was not claimed again")
		}
		d := ds[0]
		d.Attempts, d.NextAttemptAt, d.LastError = 1, now.Add(time.Hour), "endpoint answered 500"
		if err := s.UpdateWebhookDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ClaimWebhookDeliveries(ctx, now.Add(time.Hour), time.Minute, 10)
		if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "endpoint answered 500" || !got[0].NextAttemptAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("after update: %+v", got)
		}
		d = got[0]
		at := now.Add(time.Hour)
		d.State, d.DeliveredAt = batchgate.DeliveryDelivered, &at
		if err := s.UpdateWebhookDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ClaimWebhookDeliveries(ctx, now.Add(100*time.Hour), time.Minute, 10); len(got) != 0 {
			t.Fatal("a delivered webhook was claimed")
		}
		d.URL = "https://missing.example/h"
		if err := s.UpdateWebhookDelivery(ctx, d); batchgate.ErrorCode(err) != batchgate.ENOTFOUND {
			t.Fatalf("update of a missing delivery: %v, want ENOTFOUND", err)
		}
	})

	t.Run("RunningBatchStats", func(t *testing.T) {
		s := open(t)
		counts, oldest, err := s.RunningBatchStats(ctx)
		if err != nil || len(counts) != 0 || oldest != nil {
			t.Fatalf("empty store: %v %v %v", counts, oldest, err)
		}
		for i, st := range []string{batchgate.StatusInProgress, batchgate.StatusInProgress, batchgate.StatusValidating, batchgate.StatusCompleted} {
			at := now.Add(time.Duration(i) * time.Minute)
			if st == batchgate.StatusCompleted {
				at = now.Add(-time.Hour) // finished batches don't count
			}
			b := &batchgate.Batch{ID: "batch_" + string(rune('a'+i)), Endpoint: "/v1/chat/completions", InputFileID: "f", CompletionWindow: "24h",
				Model: "m", ModelID: "mid", Status: st, CreatedAt: at, UpdatedAt: at}
			if err := s.CreateBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		counts, oldest, err = s.RunningBatchStats(ctx)
		if err != nil || counts[batchgate.StatusInProgress] != 2 || counts[batchgate.StatusValidating] != 1 || counts[batchgate.StatusCompleted] != 0 ||
			oldest == nil || !oldest.Equal(now) {
			t.Fatalf("stats %v oldest %v (%v)", counts, oldest, err)
		}
	})

	if share == nil {
		return
	}
	t.Run("ConcurrentClaims", func(t *testing.T) {
		stores := share(t, 3)
		const n = 60
		for i := range n {
			if _, err := stores[0].AddBatchEvent(ctx, ev("b"+string(rune('A'+i%26))+string(rune('a'+i/26))), []string{"https://a.example/h"}); err != nil {
				t.Fatal(err)
			}
		}
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
		)
		for _, s := range stores {
			for range 2 {
				wg.Go(func() {
					for {
						ds, err := s.ClaimWebhookDeliveries(ctx, now, time.Hour, 7)
						if err != nil {
							t.Error(err)
							return
						}
						if len(ds) == 0 {
							return
						}
						mu.Lock()
						for _, d := range ds {
							seen[d.Event.ID]++
						}
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct deliveries, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Fatalf("%s claimed %d times", id, c)
			}
		}
	})
}
