package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbedrock "github.com/aws/aws-sdk-go-v2/service/bedrock"
	bedrocktypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/awsconf"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/s3store"
	"github.com/batchgate/batchgate/internal/sqlite"
)

var admin = gateway.Caller{Scope: batchgate.Scope{All: true}}

// opsEnv is the in-process stack (gofakes3 + the Bedrock emulator) with
// gateways ("replicas") on one store.
type opsEnv struct {
	t       *testing.T
	le      *local.Env
	store   batchgate.Store
	gws     []*gateway.Gateway
	bedrock *awsbedrock.Client // for listing the emulator's jobs
	model   config.Model
}

type opsOptions struct {
	sim      func(*bedrocksim.Config)
	faults   bedrocksim.Faults
	quotas   func(*config.ModelInfo)
	store    batchgate.Store // default: SQLite in a temp dir
	replicas int             // default 1
	wrap     func(replica int, r gateway.JobRunner) gateway.JobRunner
	step     time.Duration
	now      func() time.Time // the gateways' clock (default time.Now)
}

func newOpsEnv(t *testing.T, o opsOptions) *opsEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.step == 0 {
		o.step = 5 * time.Millisecond
	}
	le, err := local.Start(ctx, local.Options{DataDir: dir, StepDelay: o.step, MinRecordsPerJob: 1, Log: log, Faults: o.faults, SimConfig: o.sim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	e := &opsEnv{t: t, le: le, store: o.store}
	if e.store == nil {
		s, err := sqlite.Open(ctx, dir+"/batchgate.db")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		e.store = s
	}
	m := le.Config.ModelList[0]
	if o.quotas != nil {
		o.quotas(&m.ModelInfo)
	}
	e.model = m
	s3c, err := awsconf.S3(ctx, m.LiteLLMParams)
	if err != nil {
		t.Fatal(err)
	}
	br, err := awsconf.Bedrock(ctx, m.LiteLLMParams)
	if err != nil {
		t.Fatal(err)
	}
	// No SDK retries: the gateway's own backoff must absorb every fault.
	br = awsbedrock.New(br.Options(), func(o *awsbedrock.Options) { o.Retryer = aws.NopRetryer{} })
	e.bedrock = awsbedrock.New(br.Options())
	if o.replicas == 0 {
		o.replicas = 1
	}
	// The reconcilers stop (and are waited for) before the local stack and
	// the data directory registered earlier go.
	runCtx, cancel := context.WithCancel(ctx)
	var running sync.WaitGroup
	t.Cleanup(func() { cancel(); running.Wait() })
	for i := range o.replicas {
		var jobs gateway.JobRunner = &bedrock.Runner{Client: br}
		if o.wrap != nil {
			jobs = o.wrap(i, jobs)
		}
		d := deploy.FromConfig(m, "us-east-1", s3store.New(s3c), jobs)
		gw := gateway.New(e.store, []*gateway.Deployment{d}, log)
		gw.ReplicaID = fmt.Sprintf("replica-%d", i)
		if o.now != nil {
			gw.Now = o.now
		}
		gw.Retry = gateway.RetryPolicy{Base: 5 * time.Millisecond, Max: 50 * time.Millisecond, QuotaMax: 20 * time.Millisecond}
		e.gws = append(e.gws, gw)
		running.Go(func() { gw.RunReconciler(runCtx, 10*time.Millisecond) })
	}
	return e
}

// lines returns n chat requests for the local model, ids prefix-1..prefix-n.
func lines(n int, prefix string) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"custom_id": "%s-%d", "method": "POST", "url": "/v1/chat/completions", "body": {"model": %q, "messages": [{"role": "user", "content": "Hello %d"}], "max_tokens": 50}}`+"\n", prefix, i, local.ModelName, i)
	}
	return b.Bytes()
}

func (e *opsEnv) upload(gw *gateway.Gateway, n int, prefix string) *batchgate.File {
	e.t.Helper()
	f, err := gw.UploadFile(context.Background(), admin, gateway.Upload{Filename: prefix + ".jsonl", Target: local.ModelName}, bytes.NewReader(lines(n, prefix)))
	if err != nil {
		e.t.Fatalf("upload: %v", err)
	}
	return f
}

func (e *opsEnv) create(gw *gateway.Gateway, f *batchgate.File) *batchgate.Batch {
	e.t.Helper()
	b, err := gw.CreateBatch(context.Background(), admin, gateway.CreateBatchRequest{InputFileID: f.ID, Endpoint: "/v1/chat/completions"})
	if err != nil {
		e.t.Fatalf("create batch: %v", err)
	}
	return b
}

// wait waits until every batch ended and returns them; any end but
// completed fails the test.
func (e *opsEnv) wait(ids []string, within time.Duration) map[string]*batchgate.Batch {
	e.t.Helper()
	deadline := time.Now().Add(within)
	out := map[string]*batchgate.Batch{}
	for len(out) < len(ids) {
		for _, id := range ids {
			if out[id] != nil {
				continue
			}
			b, err := e.store.FindBatchByID(context.Background(), id)
			if err != nil {
				e.t.Fatal(err)
			}
			if batchgate.Terminal(b.Status) {
				if b.Status != batchgate.StatusCompleted {
					e.t.Fatalf("batch %s ended %s: %s", b.ID, b.Status, b.Message)
				}
				out[id] = b
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d batches completed within %v", len(out), len(ids), within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return out
}

// jobs lists the emulator's jobs by name.
func (e *opsEnv) jobs() map[string]int {
	names := map[string]int{}
	for _, j := range e.jobSummaries() {
		names[aws.ToString(j.JobName)]++
	}
	return names
}

// jobSummaries lists every job of the emulator.
func (e *opsEnv) jobSummaries() []bedrocktypes.ModelInvocationJobSummary {
	e.t.Helper()
	var all []bedrocktypes.ModelInvocationJobSummary
	p := awsbedrock.NewListModelInvocationJobsPaginator(e.bedrock, &awsbedrock.ListModelInvocationJobsInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		all = append(all, out.InvocationJobSummaries...)
	}
	return all
}

// maxOverlap is the most emulator jobs active (between submit and end) at
// any one moment.
func (e *opsEnv) maxOverlap() int {
	e.t.Helper()
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, j := range e.jobSummaries() {
		if j.SubmitTime == nil || j.EndTime == nil {
			e.t.Fatalf("job %s has no submit or end time", aws.ToString(j.JobName))
		}
		edges = append(edges, edge{*j.SubmitTime, +1}, edge{*j.EndTime, -1})
	}
	// Ends sort before starts at the same instant: a slot freed and
	// reused within one timestamp tick is not an overlap.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	n, most := 0, 0
	for _, x := range edges {
		n += x.delta
		most = max(most, n)
	}
	return most
}

func (e *opsEnv) content(gw *gateway.Gateway, fileID string) []string {
	e.t.Helper()
	f, err := e.store.FindFileByID(context.Background(), fileID)
	if err != nil {
		e.t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gw.WriteContent(context.Background(), f, false, &buf); err != nil {
		e.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(buf.String()), "\n")
}

func TestQuotaBelowMinimumRefused(t *testing.T) {
	e := newOpsEnv(t, opsOptions{quotas: func(mi *config.ModelInfo) { mi.BatchMinRecords = aws.Int(5) }})
	f := e.upload(e.gws[0], 4, "small")
	_, err := e.gws[0].CreateBatch(context.Background(), admin, gateway.CreateBatchRequest{InputFileID: f.ID})
	if batchgate.ErrorCode(err) != batchgate.EINVALID || !strings.Contains(err.Error(), "needs at least 5") {
		t.Fatalf("CreateBatch(4 records, min 5) = %v; want EINVALID naming the minimum", err)
	}
	if n := len(e.jobs()); n != 0 {
		t.Errorf("%d Bedrock jobs created for a refused batch", n)
	}
	f = e.upload(e.gws[0], 5, "enough")
	b := e.create(e.gws[0], f)
	e.wait([]string{b.ID}, 20*time.Second)
}

func TestQuotaSplitMerged(t *testing.T) {
	const maxRecords = 10
	e := newOpsEnv(t, opsOptions{
		sim: func(c *bedrocksim.Config) {
			c.MaxRecordsPerJob, c.MaxRecordsPerFile, c.MinRecordsPerJob = maxRecords, maxRecords, 3
		},
		quotas: func(mi *config.ModelInfo) {
			mi.BatchMinRecords, mi.BatchMaxRecordsPerJob = aws.Int(3), aws.Int(maxRecords)
		},
	})
	ctx := context.Background()
	gw := e.gws[0]
	for _, tc := range []struct {
		n     int
		parts []int
	}{
		{25, []int{10, 10, 5}},
		{21, []int{10, 5, 6}}, // the last part (1) is below the minimum: rebalanced
		{12, []int{6, 6}},     // 10 + 2: too many for one job, so two halves
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			prefix := fmt.Sprintf("req%d", tc.n)
			f := e.upload(gw, tc.n, prefix)
			parts, err := e.store.FindFileParts(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range parts {
				got = append(got, p.Records)
				if p.Records < 3 || p.Records > maxRecords {
					t.Errorf("part %s has %d records, outside [3, %d]", p.Key, p.Records, maxRecords)
				}
			}
			sum := 0
			for _, n := range got {
				sum += n
			}
			if sum != tc.n || fmt.Sprint(got) != fmt.Sprint(tc.parts) {
				t.Fatalf("parts = %v; want %v", got, tc.parts)
			}
			// The input file reads back whole, in order.
			in := e.content(gw, f.ID)
			if len(in) != tc.n {
				t.Fatalf("input content has %d records, want %d", len(in), tc.n)
			}
			b := e.create(gw, f)
			done := e.wait([]string{b.ID}, 30*time.Second)[b.ID]
			if done.RequestCounts != (batchgate.RequestCounts{Total: int64(tc.n), Completed: int64(tc.n)}) {
				t.Errorf("request_counts = %+v; want %d completed", done.RequestCounts, tc.n)
			}
			jobs, _ := e.store.FindBatchJobs(ctx, b.ID)
			if len(jobs) != len(parts) {
				t.Fatalf("%d jobs for %d parts", len(jobs), len(parts))
			}
			var usage batchgate.Usage
			for _, j := range jobs {
				usage.InputTokens += j.Usage.InputTokens
				if j.JobStatus != "Completed" {
					t.Errorf("job %d ended %s", j.Index, j.JobStatus)
				}
			}
			names := e.jobs()
			for _, j := range jobs {
				if names[j.JobName] != 1 {
					t.Errorf("job %s exists %d times in Bedrock", j.JobName, names[j.JobName])
				}
			}
			// One output file: every custom_id exactly once.
			out := e.content(gw, done.OutputFileID)
			seen := map[string]int{}
			var tokens int64
			for _, l := range out {
				var r struct {
					CustomID string `json:"custom_id"`
					Response struct {
						StatusCode int `json:"status_code"`
						Body       struct {
							Usage struct {
								PromptTokens     int64 `json:"prompt_tokens"`
								CompletionTokens int64 `json:"completion_tokens"`
							} `json:"usage"`
						} `json:"body"`
					} `json:"response"`
				}
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatalf("output line %q: %v", l, err)
				}
				seen[r.CustomID]++
				tokens += r.Response.Body.Usage.PromptTokens + r.Response.Body.Usage.CompletionTokens
			}
			for i := 1; i <= tc.n; i++ {
				if id := fmt.Sprintf("%s-%d", prefix, i); seen[id] != 1 {
					t.Errorf("custom_id %s appears %d times in the output", id, seen[id])
				}
			}
			if len(out) != tc.n {
				t.Errorf("output has %d lines, want %d", len(out), tc.n)
			}
			// Usage and cost: the jobs' manifests summed, billed once.
			if done.Usage.InputTokens+done.Usage.OutputTokens != tokens || tokens == 0 {
				t.Errorf("batch usage %+v; the output lines sum to %d tokens", done.Usage, tokens)
			}
			logs, err := e.store.FindSpendLogs(ctx, batchgate.Scope{All: true})
			if err != nil {
				t.Fatal(err)
			}
			billed := 0
			for _, l := range logs {
				if l.BatchID == b.ID {
					billed++
					if l.Usage != done.Usage || l.Cost != done.Cost || l.Cost <= 0 {
						t.Errorf("spend log %+v; batch usage %+v cost %v", l, done.Usage, done.Cost)
					}
				}
			}
			if billed != 1 {
				t.Errorf("batch billed %d times", billed)
			}
		})
	}
}

func TestQuotaSplitBytes(t *testing.T) {
	e := newOpsEnv(t, opsOptions{quotas: func(mi *config.ModelInfo) {
		mi.BatchMinRecords, mi.BatchMaxBytesPerFile = aws.Int(1), aws.Int64(1024)
	}})
	f := e.upload(e.gws[0], 30, "bytes")
	parts, err := e.store.FindFileParts(context.Background(), f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 3 {
		t.Fatalf("30 records of ~200 bytes in 1 KB parts: %d parts", len(parts))
	}
	total := 0
	for _, p := range parts {
		total += p.Records
		if p.Bytes > 1024 {
			t.Errorf("part %s has %d bytes, over 1024", p.Key, p.Bytes)
		}
	}
	if total != 30 {
		t.Fatalf("parts hold %d records", total)
	}
	b := e.create(e.gws[0], f)
	done := e.wait([]string{b.ID}, 30*time.Second)[b.ID]
	if done.RequestCounts.Completed != 30 || len(e.content(e.gws[0], done.OutputFileID)) != 30 {
		t.Errorf("counts %+v", done.RequestCounts)
	}
}

// TestQuotaConcurrentJobsQueue: with Bedrock's concurrent-job quota at 2,
// eight batches wait their turn (validating, no job) and all complete.
func TestQuotaConcurrentJobsQueue(t *testing.T) {
	e := newOpsEnv(t, opsOptions{
		step: 20 * time.Millisecond,
		sim:  func(c *bedrocksim.Config) { c.MaxConcurrentJobsPerModel = 2 },
	})
	var ids []string
	queued := 0
	for i := range 8 {
		b := e.create(e.gws[0], e.upload(e.gws[0], 2, fmt.Sprintf("q%d", i)))
		if b.Status != batchgate.StatusValidating {
			t.Errorf("new batch status %s", b.Status)
		}
		if b.JobARN == "" {
			queued++
		}
		ids = append(ids, b.ID)
	}
	if queued == 0 {
		t.Fatal("no batch was queued under a quota of 2 concurrent jobs")
	}
	e.wait(ids, 60*time.Second)
	if n := len(e.jobs()); n != 8 {
		t.Errorf("%d Bedrock jobs for 8 batches", n)
	}
	// The emulator's own submit and end times, not the gateway's polls:
	// a poll answer is stale by the time the next job's answer arrives.
	if n := e.maxOverlap(); n > 2 {
		t.Errorf("%d jobs were active at once; the quota is 2", n)
	}
}

// TestGatewayConcurrentJobsLimit: batch_max_concurrent_jobs keeps the
// gateway itself under the limit, before Bedrock refuses anything.
func TestGatewayConcurrentJobsLimit(t *testing.T) {
	var (
		mu        sync.Mutex
		quotaErrs int
	)
	e := newOpsEnv(t, opsOptions{
		step:   10 * time.Millisecond,
		quotas: func(mi *config.ModelInfo) { mi.BatchMaxConcurrentJobs = aws.Int(1) },
		wrap: func(_ int, r gateway.JobRunner) gateway.JobRunner {
			return &observer{JobRunner: r, createErr: func(err error) {
				if bedrock.QuotaFull(err) {
					mu.Lock()
					quotaErrs++
					mu.Unlock()
				}
			}}
		},
		sim: func(c *bedrocksim.Config) { c.MaxConcurrentJobsPerModel = 1 },
	})
	var ids []string
	for i := range 4 {
		ids = append(ids, e.create(e.gws[0], e.upload(e.gws[0], 2, fmt.Sprintf("g%d", i))).ID)
	}
	e.wait(ids, 60*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if quotaErrs > 0 {
		t.Errorf("Bedrock refused %d creates: the gateway's own limit should have held them back", quotaErrs)
	}
}

// TestFaultsNoFailedBatch: with a third of Bedrock calls throttled and a
// fifth failing with 500 (and no SDK retries), every batch completes, with
// one job and one bill each.
func TestFaultsNoFailedBatch(t *testing.T) {
	var throttled, failed atomic.Int64
	e := newOpsEnv(t, opsOptions{faults: bedrocksim.Faults{ThrottleFraction: 0.3, ServerErrorFraction: 0.2},
		wrap: func(_ int, r gateway.JobRunner) gateway.JobRunner {
			return &observer{JobRunner: r, err: func(err error) {
				if bedrock.Throttled(err) {
					throttled.Add(1)
				} else {
					failed.Add(1)
				}
			}}
		}})
	var ids []string
	for i := range 10 {
		ids = append(ids, e.create(e.gws[0], e.upload(e.gws[0], 3, fmt.Sprintf("f%d", i))).ID)
	}
	e.wait(ids, 60*time.Second)
	e.le.Sim().SetFaults(bedrocksim.Faults{}) // for the listing
	names := e.jobs()
	if len(names) != 10 {
		t.Errorf("%d Bedrock jobs for 10 batches", len(names))
	}
	for n, c := range names {
		if c != 1 {
			t.Errorf("job %s created %d times", n, c)
		}
	}
	logs, _ := e.store.FindSpendLogs(context.Background(), batchgate.Scope{All: true})
	if len(logs) != 10 {
		t.Errorf("%d spend logs for 10 batches", len(logs))
	}
	if throttled.Load() == 0 || failed.Load() == 0 {
		t.Errorf("faults seen: %d throttled, %d other; want both", throttled.Load(), failed.Load())
	}
}

// observer wraps a JobRunner to watch its calls.
type observer struct {
	gateway.JobRunner
	createErr func(err error)
	get       func(arn string) func() // called before Get; its result after
	err       func(err error)         // any error of Create or Get
}

func (o *observer) Create(ctx context.Context, s bedrock.JobSpec) (string, error) {
	arn, err := o.JobRunner.Create(ctx, s)
	if err != nil && o.err != nil {
		o.err(err)
	}
	if err != nil && o.createErr != nil {
		o.createErr(err)
	}
	return arn, err
}

func (o *observer) Get(ctx context.Context, arn string) (*bedrock.Job, error) {
	if o.get != nil {
		defer o.get(arn)()
	}
	j, err := o.JobRunner.Get(ctx, arn)
	if err != nil && o.err != nil {
		o.err(err)
	}
	return j, err
}
