package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// testMarkCancelling: MarkCancelling changes status, CancellingAt (once) and
// UpdatedAt only, so a cancel never undoes what the reconciler wrote since
// the caller read the batch; a finished batch is ECONFLICT, a missing one
// ENOTFOUND.
func testMarkCancelling(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	lease := base.Add(time.Hour)
	b := batchgate.Batch{ID: "batch-mc", Status: batchgate.StatusInProgress, Owner: ownerA, Model: "m",
		JobARN: "arn:job/1", JobStatus: "InProgress", Reserved: 3,
		RequestCounts: batchgate.RequestCounts{Total: 10, Completed: 4, Failed: 1},
		LeaseOwner:    "replica-1", LeaseUntil: &lease, InProgressAt: &lease,
		CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &b))
	at := base.Add(2 * time.Second)
	must(t, s.MarkCancelling(ctx, b.ID, at))
	got, err := s.FindBatchByID(ctx, b.ID)
	must(t, err)
	want := b
	want.Status, want.CancellingAt, want.UpdatedAt = batchgate.StatusCancelling, &at, at
	if !reflect.DeepEqual(norm(got), norm(&want)) {
		t.Errorf("after MarkCancelling:\n got %+v\nwant %+v", got, &want)
	}
	// Twice: CancellingAt stays.
	must(t, s.MarkCancelling(ctx, b.ID, at.Add(time.Minute)))
	if got, _ = s.FindBatchByID(ctx, b.ID); got.CancellingAt == nil || !sameTime(*got.CancellingAt, at) || got.Status != batchgate.StatusCancelling {
		t.Errorf("second MarkCancelling: status %s, CancellingAt %v; want cancelling, %v", got.Status, got.CancellingAt, at)
	}
	// A finished batch does not change.
	done := batchgate.Batch{ID: "batch-mc-done", Status: batchgate.StatusCompleted, Owner: ownerA, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &done))
	if err := s.MarkCancelling(ctx, done.ID, at); batchgate.ErrorCode(err) != batchgate.ECONFLICT {
		t.Errorf("MarkCancelling(completed) = %v; want ECONFLICT", err)
	}
	if got, _ = s.FindBatchByID(ctx, done.ID); got.Status != batchgate.StatusCompleted || got.CancellingAt != nil {
		t.Errorf("completed batch changed: status %s, CancellingAt %v", got.Status, got.CancellingAt)
	}
	if err := s.MarkCancelling(ctx, "batch-missing", at); !batchgate.IsNotFound(err) {
		t.Errorf("MarkCancelling(missing) = %v; want ENOTFOUND", err)
	}
}

// norm truncates a batch's times to the millisecond in UTC for comparison.
func norm(b *batchgate.Batch) batchgate.Batch {
	c := *b
	tr := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.UTC().Truncate(time.Millisecond)
		return &v
	}
	c.CreatedAt, c.UpdatedAt = *tr(&c.CreatedAt), *tr(&c.UpdatedAt)
	c.LeaseUntil, c.ExpiresAt, c.InProgressAt, c.FinalizingAt = tr(c.LeaseUntil), tr(c.ExpiresAt), tr(c.InProgressAt), tr(c.FinalizingAt)
	c.CompletedAt, c.FailedAt, c.ExpiredAt = tr(c.CompletedAt), tr(c.FailedAt), tr(c.ExpiredAt)
	c.CancellingAt, c.CancelledAt = tr(c.CancellingAt), tr(c.CancelledAt)
	return c
}

// testCountRunningJobs: the jobs counted are those with an ARN and an
// unfinished Bedrock status, of running batches of the model: a single-job
// batch's own job, a split batch's jobs.
func testCountRunningJobs(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	mk := func(id, model, status, arn, jobStatus string) {
		must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: id, Model: model, Status: status, Owner: ownerA,
			JobARN: arn, JobStatus: jobStatus, CreatedAt: base, UpdatedAt: base}))
	}
	mk("b-run", "m", batchgate.StatusInProgress, "arn:1", "InProgress")       // 1
	mk("b-sub", "m", batchgate.StatusValidating, "arn:2", "Submitted")        // 1
	mk("b-queued", "m", batchgate.StatusValidating, "", "")                   // 0: no job yet
	mk("b-ended", "m", batchgate.StatusFinalizing, "arn:3", "Completed")      // 0: job ended
	mk("b-stopping", "m", batchgate.StatusCancelling, "arn:4", "Stopping")    // 1
	mk("b-done", "m", batchgate.StatusCompleted, "arn:5", "InProgress")       // 0: batch ended
	mk("b-other", "other", batchgate.StatusInProgress, "arn:6", "InProgress") // 0: other model
	mk("b-split", "m", batchgate.StatusInProgress, "arn:7", "Completed")      // its jobs: 2
	must(t, s.SaveBatchJobs(ctx, "b-split", []batchgate.BatchJob{
		{Index: 0, JobARN: "arn:7", JobStatus: "Completed"},
		{Index: 1, JobARN: "arn:8", JobStatus: "InProgress"},
		{Index: 2, JobARN: "arn:9", JobStatus: "Scheduled"},
		{Index: 3},
		{Index: 4, JobARN: "arn:10", JobStatus: "Failed"},
	}))
	n, err := s.CountRunningJobs(ctx, "m")
	if err != nil || n != 5 {
		t.Errorf("CountRunningJobs(m) = %d, %v; want 5", n, err)
	}
	if n, err := s.CountRunningJobs(ctx, "other"); err != nil || n != 1 {
		t.Errorf("CountRunningJobs(other) = %d, %v; want 1", n, err)
	}
	if n, err := s.CountRunningJobs(ctx, "none"); err != nil || n != 0 {
		t.Errorf("CountRunningJobs(none) = %d, %v; want 0", n, err)
	}
}

// testCountRunningBatchesOfFile counts the running batches of an input file.
func testCountRunningBatchesOfFile(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	for i, st := range []string{batchgate.StatusValidating, batchgate.StatusCancelling, batchgate.StatusCompleted, batchgate.StatusFailed} {
		must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: "b-f" + st, InputFileID: "file-a", Status: st, Owner: ownerA,
			CreatedAt: base.Add(time.Duration(i) * time.Second), UpdatedAt: base}))
	}
	must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: "b-g", InputFileID: "file-b", Status: batchgate.StatusCompleted, Owner: ownerA, CreatedAt: base, UpdatedAt: base}))
	for file, want := range map[string]int{"file-a": 2, "file-b": 0, "file-none": 0} {
		if n, err := s.CountRunningBatchesOfFile(ctx, file); err != nil || n != want {
			t.Errorf("CountRunningBatchesOfFile(%s) = %d, %v; want %d", file, n, err, want)
		}
	}
}
