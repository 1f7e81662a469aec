package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// flakyStore wraps a store: FindFileByID fails with a transient (not
// ENOTFOUND) error while fail is set, and FindBatches calls are counted.
type flakyStore struct {
	batchgate.Store
	fail        atomic.Bool
	findBatches atomic.Int64
}

func (s *flakyStore) FindFileByID(ctx context.Context, id string) (*batchgate.File, error) {
	if s.fail.Load() {
		return nil, errors.New("database is locked")
	}
	return s.Store.FindFileByID(ctx, id)
}

func (s *flakyStore) FindBatches(ctx context.Context, f batchgate.BatchFilter) ([]*batchgate.Batch, error) {
	s.findBatches.Add(1)
	return s.Store.FindBatches(ctx, f)
}

func openSQLite(t *testing.T) batchgate.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir()+"/batchgate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFor polls the stored batch until cond holds, or fails after within.
func (e *opsEnv) waitFor(id string, within time.Duration, what string, cond func(*batchgate.Batch) bool) *batchgate.Batch {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		b, err := e.store.FindBatchByID(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if cond(b) {
			return b
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("batch %s: not %s within %v: status %s, job %s %s, counts %+v", id, what, within, b.Status, b.JobARN, b.JobStatus, b.RequestCounts)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hasJob(b *batchgate.Batch) bool { return b.JobARN != "" }

// queueEnv is a stack whose model runs one job at a time (the gateway's
// batch_max_concurrent_jobs), whose files of more than 4 records split, and
// whose jobs stay Scheduled until the test releases them: batch "hold"
// takes the one slot, so the batches created after it wait in the queue.
func queueEnv(t *testing.T, o opsOptions) (*opsEnv, *batchgate.Batch) {
	t.Helper()
	o.faults.HoldScheduled = true
	o.quotas = func(mi *config.ModelInfo) {
		mi.BatchMinRecords, mi.BatchMaxRecordsPerJob, mi.BatchMaxConcurrentJobs = aws.Int(1), aws.Int(4), aws.Int(1)
	}
	e := newOpsEnv(t, o)
	hold := e.create(e.gws[0], e.upload(e.gws[0], 2, "hold"))
	e.waitFor(hold.ID, 10*time.Second, "submitted", hasJob)
	return e, hold
}

// TestTransientFileErrorDoesNotFailBatch (bug 1): a store error other than
// ENOTFOUND while looking up the input file of a queued batch, single-job or
// split, is returned for the reconciler to retry; the batch is not failed as
// if its file had been deleted, and completes once the store answers again.
// Also (bug 6): the concurrent-job check does not list batches.
func TestTransientFileErrorDoesNotFailBatch(t *testing.T) {
	fs := &flakyStore{Store: openSQLite(t)}
	e, hold := queueEnv(t, opsOptions{store: fs})
	gw := e.gws[0]
	ctx := context.Background()
	single := e.create(gw, e.upload(gw, 3, "single"))
	split := e.create(gw, e.upload(gw, 10, "split"))
	if single.JobARN != "" || split.JobARN != "" {
		t.Fatal("batches were submitted past a quota of one running job")
	}
	fs.fail.Store(true)
	for _, b := range []*batchgate.Batch{single, split} {
		if err := gw.Refresh(ctx, b); err == nil {
			t.Errorf("Refresh(%s) with the store failing = nil; want the error, for a retry", b.ID)
		}
	}
	time.Sleep(100 * time.Millisecond) // reconciler passes meet the error too
	for _, id := range []string{single.ID, split.ID} {
		got, err := e.store.FindBatchByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != batchgate.StatusValidating {
			t.Errorf("batch %s is %s (%s) after a transient store error; want validating", id, got.Status, got.Message)
		}
	}
	fs.fail.Store(false)
	e.le.Sim().SetFaults(bedrocksim.Faults{})
	e.wait([]string{hold.ID, single.ID, split.ID}, 30*time.Second)
	if n := fs.findBatches.Load(); n != 0 {
		t.Errorf("the gateway listed batches %d times; the concurrent-job check must count in the store", n)
	}
}

// TestDeleteInputOfRunningBatchRefused (bug 2): the input file of a batch
// that has not ended cannot be deleted (ECONFLICT, HTTP 409); once the
// batch ended it can.
func TestDeleteInputOfRunningBatchRefused(t *testing.T) {
	e := newOpsEnv(t, opsOptions{faults: bedrocksim.Faults{HoldScheduled: true}})
	gw := e.gws[0]
	ctx := context.Background()
	f := e.upload(gw, 2, "del")
	b := e.create(gw, f)
	err := gw.DeleteFile(ctx, admin, f.ID)
	if batchgate.ErrorCode(err) != batchgate.ECONFLICT || !strings.Contains(err.Error(), "have not finished") {
		t.Fatalf("DeleteFile(input of a running batch) = %v; want ECONFLICT", err)
	}
	if _, err := e.store.FindFileByID(ctx, f.ID); err != nil {
		t.Fatalf("the refused delete removed the file: %v", err)
	}
	e.le.Sim().SetFaults(bedrocksim.Faults{})
	e.wait([]string{b.ID}, 20*time.Second)
	if err := gw.DeleteFile(ctx, admin, f.ID); err != nil {
		t.Fatalf("DeleteFile after the batch ended: %v", err)
	}
	if _, err := e.store.FindFileByID(ctx, f.ID); !batchgate.IsNotFound(err) {
		t.Fatalf("file still there after delete: %v", err)
	}
}

// TestSplitBatchInputGoneEnds (bug 2): when a split batch's input file is
// gone (a delete that raced the batch's creation) after some of its jobs
// were submitted, the jobs that can no longer be submitted fail and the
// batch settles when the submitted ones end, instead of waiting for ever.
func TestSplitBatchInputGoneEnds(t *testing.T) {
	e := newOpsEnv(t, opsOptions{
		faults: bedrocksim.Faults{HoldScheduled: true},
		quotas: func(mi *config.ModelInfo) {
			mi.BatchMinRecords, mi.BatchMaxRecordsPerJob, mi.BatchMaxConcurrentJobs = aws.Int(1), aws.Int(4), aws.Int(1)
		},
	})
	gw := e.gws[0]
	ctx := context.Background()
	f := e.upload(gw, 10, "gone") // 3 jobs of 4, 3, 3 records; one runs at a time
	b := e.create(gw, f)
	e.waitFor(b.ID, 10*time.Second, "submitted", hasJob)
	if err := e.store.DeleteFile(ctx, f.ID); err != nil { // the store's record only, as a racing delete leaves it
		t.Fatal(err)
	}
	e.le.Sim().SetFaults(bedrocksim.Faults{})
	done := e.waitFor(b.ID, 15*time.Second, "ended", func(b *batchgate.Batch) bool { return batchgate.Terminal(b.Status) })
	jobs, err := e.store.FindBatchJobs(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3 || jobs[0].JobStatus != "Completed" {
		t.Fatalf("jobs %+v; want 3, the first Completed", jobs)
	}
	for _, j := range jobs[1:] {
		if j.JobARN != "" || j.JobStatus != "Failed" || !strings.Contains(j.Message, "deleted") {
			t.Errorf("job %d: arn %q, status %s, message %q; want an unsubmitted Failed job naming the deleted file", j.Index, j.JobARN, j.JobStatus, j.Message)
		}
	}
	want := batchgate.RequestCounts{Total: 10, Completed: int64(jobs[0].Records), Failed: int64(jobs[1].Records + jobs[2].Records)}
	if done.Status != batchgate.StatusCompleted || done.RequestCounts != want {
		t.Errorf("batch ended %s with counts %+v; want completed with %+v", done.Status, done.RequestCounts, want)
	}
}

// raceStore simulates the reconciler writing a batch between the read and
// the write of a cancel request: the first FindBatchByID of the batch
// returns the row as it was, after the "reconciler" stored a newer one.
type raceStore struct {
	batchgate.Store
	once  atomic.Bool
	fresh *batchgate.Batch
}

func (s *raceStore) FindBatchByID(ctx context.Context, id string) (*batchgate.Batch, error) {
	b, err := s.Store.FindBatchByID(ctx, id)
	if err == nil && s.once.CompareAndSwap(false, true) {
		if err := s.Store.UpdateBatch(ctx, s.fresh); err != nil {
			return nil, err
		}
	}
	return b, err
}

// TestCancelKeepsReconcilerWrites (bug 3): a cancel whose copy of the batch
// is stale writes only the cancel: the lease, request counts, in_progress_at
// and job status the reconciler stored meanwhile stay.
func TestCancelKeepsReconcilerWrites(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	b := &batchgate.Batch{ID: "batch_race", Status: batchgate.StatusValidating, Model: "m", CreatedAt: now, UpdatedAt: now,
		JobARN: "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/racejob0001", JobStatus: "Submitted",
		RequestCounts: batchgate.RequestCounts{Total: 10}}
	if err := s.CreateBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	fresh := *b
	lease := now.Add(time.Minute)
	fresh.Status, fresh.JobStatus, fresh.InProgressAt, fresh.UpdatedAt = batchgate.StatusInProgress, "InProgress", &now, now.Add(time.Second)
	fresh.LeaseOwner, fresh.LeaseUntil = "replica-x", &lease
	fresh.RequestCounts = batchgate.RequestCounts{Total: 10, Completed: 5, Failed: 1}
	gw := gateway.New(&raceStore{Store: s, fresh: &fresh}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := gw.CancelBatch(ctx, admin, b.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindBatchByID(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != batchgate.StatusCancelling || got.CancellingAt == nil {
		t.Errorf("status %s, cancelling_at %v; want cancelling, set", got.Status, got.CancellingAt)
	}
	if got.LeaseOwner != "replica-x" || got.LeaseUntil == nil || !got.LeaseUntil.Equal(lease) {
		t.Errorf("lease %q until %v; want replica-x until %v (the reconciler's)", got.LeaseOwner, got.LeaseUntil, lease)
	}
	if got.RequestCounts != fresh.RequestCounts || got.InProgressAt == nil || got.JobStatus != "InProgress" {
		t.Errorf("counts %+v, in_progress_at %v, job status %s; want the reconciler's %+v, set, InProgress",
			got.RequestCounts, got.InProgressAt, got.JobStatus, fresh.RequestCounts)
	}
}

// TestQueuedBatchExpires (bug 4): a batch still waiting for a job slot when
// its expires_at passes is expired by the reconciler, single-job or split,
// without ever reaching Bedrock; its reservation is released by the settle
// path (billed once, at zero) and its terminal write records batch.expired.
func TestQueuedBatchExpires(t *testing.T) {
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	es := &eventStore{Store: openSQLite(t)}
	e, hold := queueEnv(t, opsOptions{now: clock, store: es})
	gw := e.gws[0]
	ctx := context.Background()
	single := e.create(gw, e.upload(gw, 3, "exp1"))
	split := e.create(gw, e.upload(gw, 10, "exp2"))
	for _, b := range []*batchgate.Batch{single, split} {
		if b.JobARN != "" || b.Reserved <= 0 || b.ExpiresAt == nil {
			t.Fatalf("batch %s: job %q, reserved %v, expires_at %v; want queued with a reservation and an expiry", b.ID, b.JobARN, b.Reserved, b.ExpiresAt)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if got, _ := e.store.FindBatchByID(ctx, single.ID); got.Status != batchgate.StatusValidating {
		t.Fatalf("queued batch is %s before its expiry", got.Status)
	}
	offset.Store(int64(25 * time.Hour)) // past the 24h completion window
	for _, b := range []*batchgate.Batch{single, split} {
		got := e.waitFor(b.ID, 10*time.Second, "ended", func(b *batchgate.Batch) bool { return batchgate.Terminal(b.Status) })
		if got.Status != batchgate.StatusExpired || got.ExpiredAt == nil || got.Reserved != 0 || got.JobARN != "" {
			t.Errorf("batch %s: status %s, expired_at %v, reserved %v, job %q; want expired, set, 0, none",
				b.ID, got.Status, got.ExpiredAt, got.Reserved, got.JobARN)
		}
		if got.RequestCounts.Completed != 0 || got.RequestCounts.Failed != 0 || got.ErrorFileID != "" || got.OutputFileID != "" {
			t.Errorf("batch %s: counts %+v, files %q %q; want nothing processed and no files", b.ID, got.RequestCounts, got.OutputFileID, got.ErrorFileID)
		}
		if ev := es.terminal(b.ID); ev != batchgate.StatusExpired {
			t.Errorf("batch %s: terminal write %q through UpdateBatch; want expired", b.ID, ev)
		}
	}
	jobs, _ := e.store.FindBatchJobs(ctx, split.ID)
	for _, j := range jobs {
		if j.JobARN != "" || j.JobStatus != "Expired" {
			t.Errorf("split job %d: arn %q status %s; want unsubmitted Expired", j.Index, j.JobARN, j.JobStatus)
		}
	}
	logs, err := e.store.FindSpendLogs(ctx, batchgate.Scope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	billed := map[string]int{}
	for _, l := range logs {
		billed[l.BatchID]++
	}
	if billed[single.ID] != 1 || billed[split.ID] != 1 {
		t.Errorf("spend logs %v; want one each for the expired batches (the settle path)", billed)
	}
	names := e.jobs()
	if len(names) != 1 || names[hold.JobName] != 1 {
		t.Errorf("Bedrock jobs %v; want only the running batch's", names)
	}
	// The running batch is not touched by the expiry of the queue.
	if got, _ := e.store.FindBatchByID(ctx, hold.ID); batchgate.Terminal(got.Status) {
		t.Errorf("the running batch ended %s", got.Status)
	}
}

// eventStore records the terminal status each batch was written with
// through UpdateBatch (where internal/webhook adds the batch's event).
type eventStore struct {
	batchgate.Store
	mu     sync.Mutex
	status map[string]string
}

func (s *eventStore) UpdateBatch(ctx context.Context, b *batchgate.Batch) error {
	// Held across the write, so that terminal never runs between the
	// commit (which a poller may already see) and the recording.
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.Store.UpdateBatch(ctx, b)
	if err == nil && batchgate.Terminal(b.Status) {
		if s.status == nil {
			s.status = map[string]string{}
		}
		s.status[b.ID] = b.Status
	}
	return err
}

func (s *eventStore) terminal(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status[id]
}

// stoppedRunner reports a job that ended PartiallyCompleted as Stopped: a
// job stopped partway, whose manifest counts records it never reached.
type stoppedRunner struct{ gateway.JobRunner }

func (r stoppedRunner) Get(ctx context.Context, arn string) (*bedrock.Job, error) {
	j, err := r.JobRunner.Get(ctx, arn)
	if err == nil && j.Status == "PartiallyCompleted" {
		j.Status = "Stopped"
	}
	return j, err
}

// TestStoppedJobUnprocessedInErrorFile (bug 5): a batch cancelled while its
// job ran counts the records the job never reached as failed, and its error
// file has a batch_cancelled line for each: request_counts and the error
// file agree.
func TestStoppedJobUnprocessedInErrorFile(t *testing.T) {
	e := newOpsEnv(t, opsOptions{
		faults: bedrocksim.Faults{PartialFraction: 0.5},
		wrap:   func(_ int, r gateway.JobRunner) gateway.JobRunner { return stoppedRunner{r} },
	})
	gw := e.gws[0]
	b := e.create(gw, e.upload(gw, 4, "stop"))
	done := e.waitFor(b.ID, 20*time.Second, "ended", func(b *batchgate.Batch) bool { return batchgate.Terminal(b.Status) })
	if done.Status != batchgate.StatusCancelled {
		t.Fatalf("batch ended %s; want cancelled", done.Status)
	}
	if want := (batchgate.RequestCounts{Total: 4, Completed: 2, Failed: 2}); done.RequestCounts != want {
		t.Errorf("request_counts %+v; want %+v", done.RequestCounts, want)
	}
	if done.ErrorFileID == "" {
		t.Fatal("no error file for the 2 unprocessed requests")
	}
	lines := e.content(gw, done.ErrorFileID)
	if int64(len(lines)) != done.RequestCounts.Failed {
		t.Errorf("error file has %d lines; request_counts.failed is %d", len(lines), done.RequestCounts.Failed)
	}
	for _, l := range lines {
		var r struct {
			CustomID string `json:"custom_id"`
			Error    struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Error.Code != "batch_cancelled" || !strings.HasPrefix(r.CustomID, "stop-") {
			t.Errorf("error line %s: want a batch_cancelled error with its custom_id", l)
		}
	}
}
