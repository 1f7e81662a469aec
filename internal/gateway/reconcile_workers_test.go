package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// fakeJobs is a JobRunner without Bedrock: get and create decide each call.
type fakeJobs struct {
	get    func(arn string) (*bedrock.Job, error)
	create func(s bedrock.JobSpec) (string, error)
}

func (f *fakeJobs) Create(_ context.Context, s bedrock.JobSpec) (string, error) { return f.create(s) }
func (f *fakeJobs) Get(_ context.Context, arn string) (*bedrock.Job, error)     { return f.get(arn) }
func (f *fakeJobs) Stop(context.Context, string) error                          { return nil }

// poolEnv is a gateway on a SQLite store whose deployments (one per model
// name) share one fake JobRunner; no reconciler runs in the background.
func poolEnv(t *testing.T, jobs gateway.JobRunner, quota int, models ...string) (*gateway.Gateway, batchgate.Store) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), t.TempDir()+"/batchgate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var deps []*gateway.Deployment
	for _, name := range models {
		m := config.Model{ModelName: name, LiteLLMParams: config.LiteLLMParams{
			Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", S3BucketName: "bucket", AWSBatchRoleARN: "arn:aws:iam::123456789012:role/test",
		}}
		if quota > 0 {
			m.ModelInfo.BatchMaxConcurrentJobs = aws.Int(quota)
		}
		deps = append(deps, deploy.FromConfig(m, "us-east-1", nil, jobs))
	}
	return gateway.New(store, deps, slog.New(slog.NewTextHandler(io.Discard, nil))), store
}

// poolBatch stores a batch of the model: running with a job when arn is
// set, else validating (not submitted yet) on input file fileID.
func poolBatch(t *testing.T, store batchgate.Store, model, arn, fileID string) *batchgate.Batch {
	t.Helper()
	id := gateway.NewID("batch_")
	now := time.Now().UTC()
	b := &batchgate.Batch{
		ID: id, Endpoint: "/v1/chat/completions", InputFileID: fileID, CompletionWindow: "24h",
		Owner: batchgate.Owner{KeyID: "test"}, Model: model, ModelID: "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
		Status: batchgate.StatusValidating, ClientToken: strings.ReplaceAll(id, "_", "-"), JobName: strings.ReplaceAll(id, "_", "-"),
		OutputPrefix: "s3://bucket/batchgate/output/" + id + "/", CreatedAt: now, UpdatedAt: now, ExpiresAt: ptrTo(now.Add(24 * time.Hour)),
		RequestCounts: batchgate.RequestCounts{Total: 1},
	}
	if arn != "" {
		b.Status, b.JobARN, b.JobStatus = batchgate.StatusInProgress, arn, "Submitted"
	}
	if err := store.CreateBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

func ptrTo[T any](v T) *T { return &v }

// TestReconcilePassConcurrent: one pass works its claimed batches on
// ReconcileWorkers goroutines at once, and never on more. Every Get waits
// until as many Gets as there are workers are in flight: a pass that works
// one batch at a time never gets there, and its Gets time out.
func TestReconcilePassConcurrent(t *testing.T) {
	const workers, batches = 4, 12
	var (
		inflight, peak, timeouts, gets atomic.Int64
		full                           = make(chan struct{})
		once                           sync.Once
	)
	jobs := &fakeJobs{get: func(arn string) (*bedrock.Job, error) {
		gets.Add(1)
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n >= workers {
			once.Do(func() { close(full) })
		}
		select {
		case <-full:
		case <-time.After(5 * time.Second):
			timeouts.Add(1)
		}
		return &bedrock.Job{ARN: arn, Status: "InProgress", Total: 1}, nil
	}}
	g, store := poolEnv(t, jobs, 0, "m")
	g.ReconcileWorkers = workers
	var ids []string
	for i := range batches {
		ids = append(ids, poolBatch(t, store, "m", fmt.Sprintf("arn:job/%d", i), "file-x").ID)
	}
	n, err := g.Reconcile(context.Background())
	if err != nil || n != batches {
		t.Fatalf("Reconcile = %d, %v; want %d batches", n, err, batches)
	}
	if timeouts.Load() > 0 {
		t.Fatalf("%d Gets waited in vain for %d Gets in flight at once: the pass does not work its batches concurrently (peak %d)", timeouts.Load(), workers, peak.Load())
	}
	if p := peak.Load(); p != workers {
		t.Errorf("peak of %d Gets in flight; want %d (ReconcileWorkers)", p, workers)
	}
	if gets.Load() != batches {
		t.Errorf("%d Gets for %d batches", gets.Load(), batches)
	}
	for _, id := range ids {
		b, err := store.FindBatchByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if b.JobStatus != "InProgress" {
			t.Errorf("batch %s job status %q after the pass; want InProgress", id, b.JobStatus)
		}
	}
}

// TestReconcileThrottleConcurrent: once Bedrock throttles a model, the
// concurrent pass starts no further call for that model (at most one call
// per worker was under way), while another model's batches are all worked.
func TestReconcileThrottleConcurrent(t *testing.T) {
	const workers, batches = 4, 20
	var throttledGets, okGets atomic.Int64
	jobs := &fakeJobs{get: func(arn string) (*bedrock.Job, error) {
		if strings.HasPrefix(arn, "arn:a/") {
			throttledGets.Add(1)
			time.Sleep(time.Millisecond)
			return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
		}
		okGets.Add(1)
		return &bedrock.Job{ARN: arn, Status: "InProgress", Total: 1}, nil
	}}
	g, store := poolEnv(t, jobs, 0, "a", "b")
	g.ReconcileWorkers = workers
	for i := range batches {
		poolBatch(t, store, "a", fmt.Sprintf("arn:a/%d", i), "file-x")
		poolBatch(t, store, "b", fmt.Sprintf("arn:b/%d", i), "file-x")
	}
	if _, err := g.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := throttledGets.Load(); n < 1 || n > workers {
		t.Errorf("%d Gets of the throttled model in the pass; want 1 to %d (one per worker at most)", n, workers)
	}
	if n := okGets.Load(); n != batches {
		t.Errorf("%d Gets of the other model; want all %d", n, batches)
	}
}

// TestReconcileWorkersKeepJobQuota: with batch_max_concurrent_jobs 1 and
// several queued batches, concurrent workers create one job, not one each.
func TestReconcileWorkersKeepJobQuota(t *testing.T) {
	var creates, inCreate, overlap atomic.Int64
	jobs := &fakeJobs{create: func(s bedrock.JobSpec) (string, error) {
		creates.Add(1)
		if inCreate.Add(1) > 1 {
			overlap.Add(1)
		}
		defer inCreate.Add(-1)
		time.Sleep(20 * time.Millisecond) // room for a racing worker
		return "arn:job/" + s.Name, nil
	}}
	g, store := poolEnv(t, jobs, 1, "m")
	g.ReconcileWorkers = 4
	f := &batchgate.File{ID: "file-in", Purpose: "batch", Filename: "in.jsonl", Records: 1, CreatedAt: time.Now().UTC(),
		Owner: batchgate.Owner{KeyID: "test"}, Kind: batchgate.FileInput, Endpoint: "/v1/chat/completions", Model: "m", Bucket: "bucket", Key: "in.jsonl"}
	if err := store.CreateFile(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		poolBatch(t, store, "m", "", f.ID)
	}
	if _, err := g.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := creates.Load(); n != 1 {
		t.Errorf("%d jobs created in one pass under a quota of 1 concurrent job", n)
	}
	if overlap.Load() > 0 {
		t.Error("two creates for the model ran at once")
	}
	if running, err := store.CountRunningJobs(context.Background(), "m"); err != nil || running != 1 {
		t.Errorf("CountRunningJobs = %d, %v; want 1", running, err)
	}
}
