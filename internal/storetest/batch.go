package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

var statuses = []string{
	batchgate.StatusValidating, batchgate.StatusFailed, batchgate.StatusInProgress, batchgate.StatusFinalizing,
	batchgate.StatusCompleted, batchgate.StatusExpired, batchgate.StatusCancelling, batchgate.StatusCancelled,
}

func testBatchRoundTrip(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var full batchgate.Batch
	fill(t, &full, 1)
	must(t, s.CreateBatch(ctx, &full))
	got, err := s.FindBatchByID(ctx, full.ID)
	must(t, err)
	checkEqual(t, "full batch", got, &full)

	batches, err := s.FindBatches(ctx, batchgate.BatchFilter{Scope: batchgate.Scope{All: true}})
	must(t, err)
	if len(batches) != 1 {
		t.Fatalf("FindBatches: got %d batches, want 1", len(batches))
	}
	checkEqual(t, "listed batch", batches[0], &full)

	bare := batchgate.Batch{ID: "batch-bare", Status: batchgate.StatusValidating, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &bare))
	got, err = s.FindBatchByID(ctx, bare.ID)
	must(t, err)
	checkEqual(t, "bare batch", got, &bare)
}

func testBatchConflict(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var b batchgate.Batch
	fill(t, &b, 1)
	must(t, s.CreateBatch(ctx, &b))
	dup := b
	dup.Status = batchgate.StatusFailed
	checkCode(t, "CreateBatch of an existing id", s.CreateBatch(ctx, &dup), batchgate.ECONFLICT)
	got, err := s.FindBatchByID(ctx, b.ID)
	must(t, err)
	checkEqual(t, "batch after conflict", got, &b)
}

func testBatchNotFound(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	_, err := s.FindBatchByID(ctx, "batch-missing")
	checkCode(t, "FindBatchByID", err, batchgate.ENOTFOUND)
	b := batchgate.Batch{ID: "batch-missing", CreatedAt: base, UpdatedAt: base}
	checkCode(t, "UpdateBatch", s.UpdateBatch(ctx, &b), batchgate.ENOTFOUND)
}

func testBatchUpdate(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var orig batchgate.Batch
	fill(t, &orig, 1)
	must(t, s.CreateBatch(ctx, &orig))

	// Every field changes, but ID, Owner, CreatedAt and Mode are kept, and so are
	// the write-once JobARN and CancellingAt (see testBatchStaleWriters).
	var upd batchgate.Batch
	fill(t, &upd, 2)
	upd.ID = orig.ID
	must(t, s.UpdateBatch(ctx, &upd))
	want := upd
	want.Owner, want.CreatedAt, want.Mode = orig.Owner, orig.CreatedAt, orig.Mode
	want.JobARN, want.CancellingAt = orig.JobARN, orig.CancellingAt
	want.Deployment = orig.Deployment // where the job runs, kept with it
	got, err := s.FindBatchByID(ctx, orig.ID)
	must(t, err)
	checkEqual(t, "updated batch", got, &want)

	// Set fields can be cleared (but a JobARN, with its JobStatus, and CancellingAt stay).
	clr := batchgate.Batch{ID: orig.ID, Owner: orig.Owner, CreatedAt: orig.CreatedAt, UpdatedAt: base}
	must(t, s.UpdateBatch(ctx, &clr))
	got, err = s.FindBatchByID(ctx, orig.ID)
	must(t, err)
	wantClr := clr
	wantClr.JobARN, wantClr.JobStatus, wantClr.CancellingAt, wantClr.Mode = want.JobARN, want.JobStatus, want.CancellingAt, orig.Mode
	wantClr.Deployment = want.Deployment
	checkEqual(t, "cleared batch", got, &wantClr)
}

func testBatchScope(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var objects []owned // newest first
	for i, o := range owners {
		b := batchgate.Batch{ID: fmt.Sprintf("batch-%d", i), Status: batchgate.StatusInProgress, Owner: o,
			CreatedAt: base.Add(time.Duration(i) * time.Second), UpdatedAt: base}
		must(t, s.CreateBatch(ctx, &b))
		objects = slices.Insert(objects, 0, owned{b.ID, o})
	}
	checkScope(t, objects, func(sc batchgate.Scope) ([]string, error) {
		return batchIDs(s.FindBatches(ctx, batchgate.BatchFilter{Scope: sc}))
	})
	checkScope(t, objects, func(sc batchgate.Scope) ([]string, error) {
		return batchIDs(s.FindBatches(ctx, batchgate.BatchFilter{Scope: sc, NonTerminal: true}))
	})
}

func testBatchNonTerminal(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var all, running, runningA []string // newest first
	for i, st := range append(statuses, "some_future_status") {
		for j, o := range []batchgate.Owner{ownerA, ownerC} {
			b := batchgate.Batch{ID: fmt.Sprintf("batch-%d-%d", i, j), Status: st, Owner: o,
				CreatedAt: base.Add(time.Duration(2*i+j) * time.Second), UpdatedAt: base}
			must(t, s.CreateBatch(ctx, &b))
			all = slices.Insert(all, 0, b.ID)
			if !batchgate.Terminal(st) {
				running = slices.Insert(running, 0, b.ID)
				if o == ownerA {
					runningA = slices.Insert(runningA, 0, b.ID)
				}
			}
		}
	}
	for _, tc := range []struct {
		filter batchgate.BatchFilter
		want   []string
	}{
		{batchgate.BatchFilter{Scope: batchgate.Scope{All: true}}, all},
		{batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, NonTerminal: true}, running},
		{batchgate.BatchFilter{Scope: batchgate.Scope{KeyID: ownerA.KeyID}, NonTerminal: true}, runningA},
		{batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, NonTerminal: true, Page: batchgate.Page{Limit: 3}}, running[:3]},
		{batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, NonTerminal: true, Page: batchgate.Page{After: running[2], Limit: 3}}, running[3:6]},
	} {
		got, err := batchIDs(s.FindBatches(ctx, tc.filter))
		if err != nil {
			t.Errorf("%+v: %v", tc.filter, err)
		} else if !slices.Equal(got, tc.want) {
			t.Errorf("%+v:\n got %q\nwant %q", tc.filter, got, tc.want)
		}
	}

	// A running batch that finishes leaves the running list.
	b, err := s.FindBatchByID(ctx, running[0])
	must(t, err)
	b.Status = batchgate.StatusCompleted
	must(t, s.UpdateBatch(ctx, b))
	got, err := batchIDs(s.FindBatches(ctx, batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, NonTerminal: true}))
	must(t, err)
	if !slices.Equal(got, running[1:]) {
		t.Errorf("after completing %s:\n got %q\nwant %q", running[0], got, running[1:])
	}
}

func batchPager(s batchgate.Store) pager {
	return pager{
		create: func(t *testing.T, id string, createdAt time.Time, o batchgate.Owner) {
			t.Helper()
			must(t, s.CreateBatch(t.Context(), &batchgate.Batch{ID: id, Status: batchgate.StatusInProgress,
				Owner: o, CreatedAt: createdAt, UpdatedAt: createdAt}))
		},
		list: func(t *testing.T, sc batchgate.Scope, p batchgate.Page) ([]string, error) {
			return batchIDs(s.FindBatches(t.Context(), batchgate.BatchFilter{Scope: sc, Page: p}))
		},
	}
}

func testBatchPages(t *testing.T, s batchgate.Store)    { testPages(t, batchPager(s)) }
func testBatchLimitCap(t *testing.T, s batchgate.Store) { testLimitCap(t, batchPager(s)) }

// testBatchConcurrent creates and updates batches from several goroutines at
// once, as the API and the reconciler do: nothing may fail (no SQLITE_BUSY,
// no serialisation errors) and nothing may be lost.
func testBatchConcurrent(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	const workers, perWorker = 8, 15
	shared := batchgate.Batch{ID: "batch-shared", Status: batchgate.StatusValidating, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &shared))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				b := batchgate.Batch{ID: fmt.Sprintf("batch-%d-%d", w, i), Status: batchgate.StatusValidating,
					Owner: ownerA, CreatedAt: base.Add(time.Duration(i) * time.Millisecond), UpdatedAt: base}
				if err := s.CreateBatch(ctx, &b); err != nil {
					t.Errorf("CreateBatch %s: %v", b.ID, err)
					return
				}
				for _, st := range []string{batchgate.StatusInProgress, batchgate.StatusFinalizing, batchgate.StatusCompleted} {
					b.Status = st
					b.RequestCounts.Completed++
					if err := s.UpdateBatch(ctx, &b); err != nil {
						t.Errorf("UpdateBatch %s: %v", b.ID, err)
						return
					}
				}
				sh := shared
				sh.JobStatus = fmt.Sprintf("worker-%d-%d", w, i)
				if err := s.UpdateBatch(ctx, &sh); err != nil {
					t.Errorf("UpdateBatch %s: %v", sh.ID, err)
					return
				}
				if _, err := s.FindBatches(ctx, batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, NonTerminal: true}); err != nil {
					t.Errorf("FindBatches: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	batches, err := s.FindBatches(ctx, batchgate.BatchFilter{Scope: batchgate.Scope{KeyID: ownerA.KeyID}, Page: batchgate.Page{Limit: 1000}})
	must(t, err)
	if len(batches) != workers*perWorker {
		t.Errorf("got %d batches, want %d", len(batches), workers*perWorker)
	}
	for _, b := range batches {
		if b.Status != batchgate.StatusCompleted || b.RequestCounts.Completed != 3 {
			t.Errorf("batch %s: status %s, completed %d; want completed, 3", b.ID, b.Status, b.RequestCounts.Completed)
		}
	}
	running, err := s.FindBatches(ctx, batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, NonTerminal: true})
	must(t, err)
	if len(running) != 1 || running[0].ID != shared.ID {
		t.Errorf("running batches: got %d, want only %s", len(running), shared.ID)
	}
}

func batchIDs(batches []*batchgate.Batch, err error) ([]string, error) {
	var ids []string
	for _, b := range batches {
		ids = append(ids, b.ID)
	}
	return ids, err
}
