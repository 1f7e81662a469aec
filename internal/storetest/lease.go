package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// leaseTTL is the lease of the claim tests; now is base+leaseNow.
const (
	leaseTTL = 5 * time.Minute
	leaseNow = time.Hour
)

// claim calls ClaimBatches and returns the ids it got, checking that each
// batch carries the new lease and that they come stalest first.
func claim(t *testing.T, s batchgate.Store, owner string, now time.Time, limit int) []string {
	t.Helper()
	batches, err := s.ClaimBatches(t.Context(), owner, now, leaseTTL, limit)
	if err != nil {
		t.Fatalf("ClaimBatches(%s, limit %d): %v", owner, limit, err)
	}
	if len(batches) > max(limit, 0) {
		t.Errorf("ClaimBatches(%s, limit %d) returned %d batches", owner, limit, len(batches))
	}
	var ids []string
	for i, b := range batches {
		ids = append(ids, b.ID)
		if b.LeaseOwner != owner || b.LeaseUntil == nil || !sameTime(*b.LeaseUntil, now.Add(leaseTTL)) {
			t.Errorf("claimed batch %s: lease %q until %v, want %q until %v", b.ID, b.LeaseOwner, b.LeaseUntil, owner, now.Add(leaseTTL))
		}
		if i > 0 && b.UpdatedAt.Before(batches[i-1].UpdatedAt) {
			t.Errorf("claimed batches not stalest first: %s (updated %v) after %s (updated %v)",
				b.ID, b.UpdatedAt, batches[i-1].ID, batches[i-1].UpdatedAt)
		}
	}
	return ids
}

// sameTime reports whether a and b are equal at millisecond precision.
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

func testClaim(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	now := base.Add(leaseNow)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	var (
		created []batchgate.Batch
		want    []string // stalest first
	)
	add := func(b batchgate.Batch, claimable bool) {
		must(t, s.CreateBatch(ctx, &b))
		created = append(created, b)
		if claimable {
			want = append(want, b.ID)
		}
	}
	var full batchgate.Batch // every field is returned
	fill(t, &full, 1)
	full.ID, full.Status, full.LeaseOwner, full.LeaseUntil = "b-full", batchgate.StatusInProgress, "", nil
	full.UpdatedAt = base.Add(-30 * time.Minute)
	add(full, true)
	for _, c := range []struct {
		id, status string
		owner      string
		until      *time.Time
		claimable  bool
	}{
		{"b-lapsed", batchgate.StatusValidating, "other", at(-time.Second), true},
		{"b-no-end", batchgate.StatusInProgress, "other", nil, true},
		{"b-ends-now", batchgate.StatusFinalizing, "other", at(0), true},
		{"b-mine", batchgate.StatusCancelling, "me", at(time.Second), true},
		{"b-free", batchgate.StatusInProgress, "", nil, true},
		{"b-no-owner", batchgate.StatusInProgress, "", at(time.Hour), true},
		{"b-future-status", "some_future_status", "", nil, true},
		{"b-held", batchgate.StatusInProgress, "other", at(time.Second), false},
		{"b-held-long", batchgate.StatusValidating, "other", at(24 * time.Hour), false},
		{"b-completed", batchgate.StatusCompleted, "", nil, false},
		{"b-failed", batchgate.StatusFailed, "other", at(-time.Hour), false},
		{"b-expired", batchgate.StatusExpired, "", nil, false},
		{"b-cancelled", batchgate.StatusCancelled, "me", at(-time.Hour), false},
	} {
		// Updated in list order, later than b-full, and not in id order.
		add(batchgate.Batch{ID: c.id, Status: c.status, Owner: ownerA, LeaseOwner: c.owner, LeaseUntil: c.until,
			CreatedAt: base, UpdatedAt: base.Add(time.Duration(len(created)) * time.Second)}, c.claimable)
	}

	batches, err := s.ClaimBatches(ctx, "me", now, leaseTTL, 100)
	must(t, err)
	got, _ := batchIDs(batches, nil)
	if !slices.Equal(got, want) {
		t.Fatalf("ClaimBatches:\n got %q\nwant %q", got, want)
	}
	byID := map[string]*batchgate.Batch{}
	for _, b := range batches {
		byID[b.ID] = b
	}
	until := now.Add(leaseTTL)
	for _, c := range created {
		w := c
		if b := byID[c.ID]; b != nil {
			// The lease, and only the lease, changes: UpdatedAt too is kept.
			w.LeaseOwner, w.LeaseUntil = "me", &until
			checkEqual(t, "claimed batch "+c.ID, b, &w)
		}
		stored, err := s.FindBatchByID(ctx, c.ID)
		must(t, err)
		checkEqual(t, "stored batch "+c.ID, stored, &w)
	}
}

func testClaimLimit(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	now := base.Add(leaseNow)
	for _, i := range []int{3, 0, 5, 1, 4, 2} { // b-0 is the stalest
		must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: fmt.Sprintf("b-%d", i), Status: batchgate.StatusInProgress,
			CreatedAt: base, UpdatedAt: base.Add(time.Duration(i) * time.Second)}))
	}
	for _, c := range []struct {
		owner string
		limit int
		want  []string
	}{
		{"a", 2, []string{"b-0", "b-1"}},
		{"b", 3, []string{"b-2", "b-3", "b-4"}},
		{"a", 10, []string{"b-0", "b-1", "b-5"}}, // renews its own, takes the free one
		{"b", 10, []string{"b-2", "b-3", "b-4"}},
		{"c", 10, nil},
		{"a", 0, nil},
		{"a", -1, nil},
	} {
		if got := claim(t, s, c.owner, now, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("ClaimBatches(%s, limit %d) = %q, want %q", c.owner, c.limit, got, c.want)
		}
	}
}

func testClaimExpiry(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	now := base.Add(leaseNow)
	all := []string{"b-0", "b-1", "b-2"}
	for i, id := range all {
		must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: id, Status: batchgate.StatusInProgress,
			CreatedAt: base, UpdatedAt: base.Add(time.Duration(i) * time.Second)}))
	}
	check := func(owner string, now time.Time, want []string) {
		t.Helper()
		if got := claim(t, s, owner, now, 10); !slices.Equal(got, want) {
			t.Errorf("ClaimBatches(%s) at %v = %q, want %q", owner, now, got, want)
		}
	}
	check("a", now, all)
	check("b", now.Add(leaseTTL-time.Second), nil)
	// A's leases end at now+ttl: B takes the batches over, and A loses them.
	later := now.Add(leaseTTL)
	check("b", later, all)
	check("a", later, nil)

	// The holder releases a batch by clearing its lease: it is free at once.
	b, err := s.FindBatchByID(ctx, "b-1")
	must(t, err)
	b.LeaseOwner, b.LeaseUntil = "", nil
	must(t, s.UpdateBatch(ctx, b))
	check("a", later, []string{"b-1"})

	// A batch that finishes is never claimed again, lease or not.
	b, err = s.FindBatchByID(ctx, "b-0")
	must(t, err)
	b.Status = batchgate.StatusCompleted
	must(t, s.UpdateBatch(ctx, b))
	check("c", later.Add(10*leaseTTL), []string{"b-1", "b-2"})
}

func testClaimInvalid(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	now := base.Add(leaseNow)
	b := batchgate.Batch{ID: "b-free", Status: batchgate.StatusInProgress, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &b))
	_, err := s.ClaimBatches(ctx, "", now, leaseTTL, 10)
	checkCode(t, "ClaimBatches with no owner", err, batchgate.EINVALID)
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := s.ClaimBatches(ctx, "me", now, ttl, 10)
		checkCode(t, fmt.Sprintf("ClaimBatches with ttl %v", ttl), err, batchgate.EINVALID)
	}
	got, err := s.FindBatchByID(ctx, b.ID)
	must(t, err)
	checkEqual(t, "batch after invalid claims", got, &b)
}

func testClaimConcurrent(t *testing.T, s batchgate.Store) {
	testClaimConcurrently(t, []batchgate.Store{s})
}

func testReplicasClaim(t *testing.T, replicas []batchgate.Store) {
	testClaimConcurrently(t, replicas)
}

// testClaimConcurrently has workers claim batches at once, spread over
// stores, first while no lease has ended, then after every lease has ended:
// no batch may be leased to two owners in either round, and the store must
// agree with what the claims returned.
func testClaimConcurrently(t *testing.T, stores []batchgate.Store) {
	ctx := t.Context()
	const batches, workers = 20, 6
	for i := range batches {
		must(t, stores[0].CreateBatch(ctx, &batchgate.Batch{ID: fmt.Sprintf("b-%02d", i), Status: batchgate.StatusInProgress,
			CreatedAt: base, UpdatedAt: base.Add(time.Duration(i%7) * time.Second)}))
	}
	now := base.Add(leaseNow)
	first := claimConcurrently(t, stores, workers, "first", now)
	// One more owner takes what is left: together they hold every batch.
	for _, id := range claim(t, stores[0], "last", now, 100) {
		if owner, ok := first[id]; ok {
			t.Errorf("batch %s leased to both %s and last", id, owner)
		}
		first[id] = "last"
	}
	if len(first) != batches {
		t.Errorf("%d batches leased, want %d", len(first), batches)
	}
	checkLeaseOwners(t, stores[len(stores)-1], first)

	// Every lease has ended: new owners take the batches over.
	second := claimConcurrently(t, stores, workers, "second", now.Add(leaseTTL))
	if len(second) == 0 {
		t.Errorf("no batch with an ended lease was taken over")
	}
	for id, owner := range second {
		first[id] = owner
	}
	checkLeaseOwners(t, stores[len(stores)-1], first)
}

// claimConcurrently has workers claim batches at now, a few rounds each,
// through stores[w%len(stores)], and returns who got each batch. It fails the
// test if a batch is leased to two owners.
func claimConcurrently(t *testing.T, stores []batchgate.Store, workers int, prefix string, now time.Time) map[string]string {
	const rounds, limit = 4, 3
	var (
		mu  sync.Mutex
		got = map[string]string{}
		wg  sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			s := stores[w%len(stores)]
			owner := fmt.Sprintf("%s-%d", prefix, w)
			for range rounds {
				batches, err := s.ClaimBatches(t.Context(), owner, now, leaseTTL, limit)
				if err != nil {
					t.Errorf("ClaimBatches(%s): %v", owner, err)
					return
				}
				if len(batches) > limit {
					t.Errorf("ClaimBatches(%s, limit %d) returned %d batches", owner, limit, len(batches))
				}
				mu.Lock()
				for _, b := range batches {
					if b.LeaseOwner != owner {
						t.Errorf("ClaimBatches(%s) returned %s leased to %s", owner, b.ID, b.LeaseOwner)
					}
					if prev, ok := got[b.ID]; ok && prev != owner {
						t.Errorf("batch %s leased to both %s and %s", b.ID, prev, owner)
					}
					got[b.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return got
}

// checkLeaseOwners checks that the stored lease owner of each batch in owners is as given.
func checkLeaseOwners(t *testing.T, s batchgate.Store, owners map[string]string) {
	t.Helper()
	all, err := s.FindBatches(t.Context(), batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, Page: batchgate.Page{Limit: 1000}})
	must(t, err)
	for _, b := range all {
		if want, ok := owners[b.ID]; ok && b.LeaseOwner != want {
			t.Errorf("batch %s: stored lease owner %q, but the claims gave it to %q", b.ID, b.LeaseOwner, want)
		}
	}
}
