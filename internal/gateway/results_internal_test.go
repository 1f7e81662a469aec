package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// TestResultSlots: at most maxLargeResultWrites settlements write large
// result files at once; small ones never wait.
func TestResultSlots(t *testing.T) {
	g := New(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	large := []batchgate.Object{{Size: largeResultBytes / 2}, {Size: largeResultBytes/2 + 1}}
	var releases []func()
	for range maxLargeResultWrites {
		r, err := g.resultSlot(ctx, large)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := g.resultSlot(short, large); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a large write beyond the bound got %v; want it to wait until its context ends", err)
	}
	if r, err := g.resultSlot(short, []batchgate.Object{{Size: largeResultBytes}}); err != nil {
		t.Fatalf("a small write waited: %v", err)
	} else {
		r()
	}
	releases[0]()
	r, err := g.resultSlot(ctx, large)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	r()
}

// TestKeepLease: while a settlement writes result files, the batch's lease
// is renewed, so another replica does not take it over; stop ends it.
func TestKeepLease(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir()+"/b.db")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	g := New(store, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	g.LeaseTTL = 30 * time.Millisecond
	now := time.Now().UTC().Truncate(time.Millisecond)
	b := &batchgate.Batch{ID: "batch_lease", Status: batchgate.StatusInProgress, CreatedAt: now, UpdatedAt: now,
		LeaseOwner: g.ReplicaID, LeaseUntil: ptr(now.Add(g.LeaseTTL))}
	if err := store.CreateBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	stop := g.keepLease(ctx, b)
	// Renewed again and again: past two leases from the start.
	var got *batchgate.Batch
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if got, err = store.FindBatchByID(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if got.LeaseUntil != nil && got.LeaseUntil.After(now.Add(2*g.LeaseTTL)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease until %v; never renewed past %v", got.LeaseUntil, now.Add(2*g.LeaseTTL))
		}
	}
	stop()
	if got.LeaseOwner != g.ReplicaID {
		t.Errorf("lease owner %q, want %q", got.LeaseOwner, g.ReplicaID)
	}
	if got.Status != batchgate.StatusInProgress || b.LeaseUntil.After(now.Add(g.LeaseTTL)) {
		t.Errorf("keepLease changed more than the stored lease: status %s, caller's lease %v", got.Status, b.LeaseUntil)
	}
}
