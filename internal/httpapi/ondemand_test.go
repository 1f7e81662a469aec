package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/local"
)

// waitOnDemand polls the batch until done, for up to a minute: the SDK's
// retries of a throttled request back off for seconds.
func (e *env) waitOnDemand(key, id string, done func(batchObj) bool) batchObj {
	e.t.Helper()
	var b batchObj
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		e.json(key, "GET", "/v1/batches/"+id, nil).json(e.t, &b)
		if done(b) {
			return b
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("batch %s never got there: %+v", id, b)
		}
	}
}

// outputLines reads an OpenAI output or error file.
func (e *env) outputLines(key, fileID string) []map[string]any {
	e.t.Helper()
	r := e.do(key, "GET", "/v1/files/"+fileID+"/content", "", nil)
	if r.status != 200 {
		e.t.Fatalf("file %s content: %d %s", fileID, r.status, r.body)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(r.body)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			e.t.Fatalf("output line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// checkChatOutput checks OpenAI batch output lines: one per custom id,
// each a 200 chat.completion.
func checkChatOutput(t *testing.T, lines []map[string]any, ids ...string) {
	t.Helper()
	seen := map[string]int{}
	for _, l := range lines {
		id, _ := l["custom_id"].(string)
		seen[id]++
		resp, _ := l["response"].(map[string]any)
		body, _ := resp["body"].(map[string]any)
		if resp["status_code"] != float64(200) || body["object"] != "chat.completion" || len(body["choices"].([]any)) != 1 {
			t.Errorf("output line of %s: %v", id, l)
		}
	}
	if len(lines) != len(ids) {
		t.Errorf("%d output lines, want %d", len(lines), len(ids))
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("custom_id %s: %d output lines, want 1", id, seen[id])
		}
	}
}

// spendOf is the batch's spend log, read from the store: it must be there once.
func spendOf(t *testing.T, e *env, batchID string) *batchgate.SpendLog {
	t.Helper()
	logs, err := e.gw.Store.FindSpendLogs(t.Context(), batchgate.Scope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	var found *batchgate.SpendLog
	for _, l := range logs {
		if l.BatchID == batchID {
			if found != nil {
				t.Fatalf("batch %s has two spend logs", batchID)
			}
			found = l
		}
	}
	if found == nil {
		t.Fatalf("batch %s has no spend log", batchID)
	}
	return found
}

// On-demand prices of the local model (us.anthropic.claude-3-5-sonnet:
// $3 / $15 per million tokens on demand, half that as a batch).
const onDemandIn, onDemandOut = 3e-6, 15e-6

// TestOnDemandSmallBatch: the embedded default runs a 2-request batch (below
// Bedrock's 100) through the runtime API: OpenAI-form output, progress in
// request_counts, cost at on-demand prices and a spend log that says so.
func TestOnDemandSmallBatch(t *testing.T) { eachStore(t, testOnDemandSmallBatch) }

func testOnDemandSmallBatch(t *testing.T, db string) {
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond}, reconcile: 20 * time.Millisecond, db: db})
	key := e.key(model)
	fileID := e.uploadOK(key, lines(2, model))
	b := e.createBatch(key, fileID)
	if b.Status != "validating" || b.RequestCounts.Total != 2 {
		t.Errorf("created batch = %+v", b)
	}
	b = e.waitOnDemand(key, b.ID, func(b batchObj) bool { return b.Status == "completed" })
	if b.RequestCounts.Total != 2 || b.RequestCounts.Completed != 2 || b.RequestCounts.Failed != 0 || b.OutputFileID == nil || b.ErrorFileID != nil {
		t.Fatalf("completed batch = %+v", b)
	}
	if b.Usage == nil || b.Usage.InputTokens <= 0 || b.Usage.OutputTokens <= 0 {
		t.Fatalf("usage = %+v", b.Usage)
	}
	checkChatOutput(t, e.outputLines(key, *b.OutputFileID), "r1", "r2")

	// Two runtime calls, no batch job.
	if calls := le.Sim().RuntimeCalls(); len(calls) != 2 || calls[0].Operation != bedrocksim.OpInvokeModel {
		t.Errorf("runtime calls = %+v, want 2 InvokeModel", calls)
	}
	var raw struct {
		Bedrock struct {
			JobARN string `json:"job_arn"`
			Mode   string
		}
	}
	e.json(key, "GET", "/v1/batches/"+b.ID, nil).json(t, &raw)
	if raw.Bedrock.Mode != "on_demand" || raw.Bedrock.JobARN != "" {
		t.Errorf("bedrock extension = %+v, want mode on_demand and no job", raw.Bedrock)
	}

	s := spendOf(t, e, b.ID)
	want := float64(b.Usage.InputTokens)*onDemandIn + float64(b.Usage.OutputTokens)*onDemandOut
	if s.Mode != batchgate.ModeOnDemand || math.Abs(s.Cost-want) > 1e-12 || s.InputCostPerToken != onDemandIn || s.OutputCostPerToken != onDemandOut {
		t.Errorf("spend log = %+v, want mode on_demand, cost %v at on-demand prices", s, want)
	}
	// /spend/logs says so too.
	var logs []struct {
		RequestID string `json:"request_id"`
		Spend     float64
		Metadata  map[string]any
	}
	e.json(master, "GET", "/spend/logs", nil).json(t, &logs)
	var shown bool
	for _, l := range logs {
		if l.RequestID == b.ID {
			shown = l.Metadata["mode"] == "on_demand" && math.Abs(l.Spend-want) < 1e-12
		}
	}
	if !shown {
		t.Errorf("/spend/logs = %+v, want batch %s with mode on_demand", logs, b.ID)
	}
	// The key is charged once, the cost.
	var info struct{ Info struct{ Spend float64 } }
	e.json(key, "GET", "/key/info", nil).json(t, &info)
	if math.Abs(info.Info.Spend-want) > 1e-12 {
		t.Errorf("key spend = %v, want %v", info.Info.Spend, want)
	}
}

// TestOnDemandConverse: a Converse deployment runs on demand through the
// runtime Converse operation, with the same record bodies as its batch jobs.
func TestOnDemandConverse(t *testing.T) {
	conv := config.Model{ModelName: "conv", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/converse/" + local.ModelID},
		ModelInfo: config.ModelInfo{BatchBelowMinimum: "on_demand"}}
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond, Models: []config.Model{conv}}, reconcile: 20 * time.Millisecond})
	key := e.key("conv")
	b := e.createBatch(key, e.uploadOK(key, lines(2, "conv")))
	b = e.waitOnDemand(key, b.ID, func(b batchObj) bool { return b.Status == "completed" })
	if b.RequestCounts.Completed != 2 || b.OutputFileID == nil {
		t.Fatalf("completed batch = %+v", b)
	}
	checkChatOutput(t, e.outputLines(key, *b.OutputFileID), "r1", "r2")
	calls := le.Sim().RuntimeCalls()
	if len(calls) != 2 || calls[0].Operation != bedrocksim.OpConverse || !strings.Contains(string(calls[0].Body), `"messages"`) {
		t.Errorf("runtime calls = %+v, want 2 Converse", calls)
	}
}

// TestOnDemandRefuseByDefault: a model without batch_below_minimum (or with
// refuse) refuses a batch below the minimum, as before.
func TestOnDemandRefuseByDefault(t *testing.T) {
	plain := config.Model{ModelName: "plain", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/" + local.ModelID}}
	refuse := config.Model{ModelName: "refuse", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/" + local.ModelID},
		ModelInfo: config.ModelInfo{BatchBelowMinimum: "refuse"}}
	e, le := startEnv(t, envOptions{local: local.Options{Models: []config.Model{plain, refuse}}})
	for _, name := range []string{"plain", "refuse"} {
		key := e.key(name)
		fileID := e.uploadOK(key, lines(2, name))
		r := e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": fileID, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
		var ae apiError
		r.json(t, &ae)
		if r.status != 400 || !strings.Contains(ae.Error.Message, "needs at least 100") {
			t.Errorf("%s: create = %d %s, want 400 below the minimum", name, r.status, r.body)
		}
	}
	if n := len(le.Sim().RuntimeCalls()); n != 0 {
		t.Errorf("%d runtime calls, want none", n)
	}
}

// TestOnDemandThrottled: throttled runtime requests are retried (the SDK's
// retryer) and the batch completes with each request answered once.
func TestOnDemandThrottled(t *testing.T) {
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond}, reconcile: 20 * time.Millisecond})
	for range 2 {
		if err := le.Sim().InjectError(bedrocksim.OpInvokeModel, bedrocksim.ThrottlingException, "Too many requests, please wait before trying again."); err != nil {
			t.Fatal(err)
		}
	}
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(2, model)))
	b = e.waitOnDemand(key, b.ID, func(b batchObj) bool { return batchgate.Terminal(b.Status) })
	if b.Status != "completed" || b.RequestCounts.Completed != 2 || b.RequestCounts.Failed != 0 {
		t.Fatalf("batch = %+v, want completed with 2 requests", b)
	}
	checkChatOutput(t, e.outputLines(key, *b.OutputFileID), "r1", "r2")
	if n := len(le.Sim().RuntimeCalls()); n != 2 {
		t.Errorf("%d runtime calls answered, want 2", n)
	}
}

// TestOnDemandRequestErrors: a request Bedrock refuses (a ValidationException,
// as its validators answer a malformed body) gets a line in the error file,
// as a failed record of a job does; the other completes.
func TestOnDemandRequestErrors(t *testing.T) {
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond}, reconcile: 20 * time.Millisecond})
	if err := le.Sim().InjectError(bedrocksim.OpInvokeModel, bedrocksim.ValidationException, "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again."); err != nil {
		t.Fatal(err)
	}
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(2, model)))
	b = e.waitOnDemand(key, b.ID, func(b batchObj) bool { return batchgate.Terminal(b.Status) })
	if b.Status != "completed" || b.RequestCounts.Completed != 1 || b.RequestCounts.Failed != 1 || b.ErrorFileID == nil || b.OutputFileID == nil {
		t.Fatalf("batch = %+v, want 1 completed and 1 failed", b)
	}
	errs := e.outputLines(key, *b.ErrorFileID)
	if len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]), "max_tokens") {
		t.Errorf("error file = %v", errs)
	}
}

// stopAfter lets n runtime calls through, then cancels the pass (as a
// process killed between two requests would stop) and fails the rest.
type stopAfter struct {
	next   gateway.RuntimeInvoker
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
}

func (s *stopAfter) Invoke(ctx context.Context, modelID string, converse bool, body []byte) ([]byte, error) {
	s.mu.Lock()
	if s.n == 0 {
		s.mu.Unlock()
		s.cancel()
		return nil, errors.New("stopped")
	}
	s.n--
	s.mu.Unlock()
	return s.next.Invoke(ctx, modelID, converse, body)
}

// TestOnDemandResumesAfterRestart: a gateway stops after the first of three
// requests; a second gateway on the same store and S3 takes the batch over
// once the first one's lease has expired, runs only the two requests left,
// and bills the batch once.
func TestOnDemandResumesAfterRestart(t *testing.T) { eachStore(t, testOnDemandResumesAfterRestart) }

func testOnDemandResumesAfterRestart(t *testing.T, db string) {
	one := 1
	ctx1, stop1 := context.WithCancel(context.Background())
	defer stop1()
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond}, configure: func(gw *gateway.Gateway) {
		d := gw.Deployments[model]
		d.OnDemandConcurrency = one
		d.Runtime = &stopAfter{next: d.Runtime, n: 1, cancel: stop1}
	}, db: db})
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(3, model)))
	if _, err := e.gw.Reconcile(ctx1); err == nil {
		t.Fatal("the first gateway's pass was not stopped")
	}
	if n := len(le.Sim().RuntimeCalls()); n != 1 {
		t.Fatalf("first gateway: %d runtime calls, want 1", n)
	}
	mid, err := e.gw.Store.FindBatchByID(t.Context(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if mid.Status != "in_progress" || mid.RequestCounts.Completed != 1 || mid.LeaseOwner != e.gw.ReplicaID {
		t.Fatalf("after the first gateway: %+v", mid)
	}

	// The second gateway: same store, same S3 and emulator, a clock past the
	// first one's lease.
	deps, _, err := deploy.All(t.Context(), le.Config.ModelList)
	if err != nil {
		t.Fatal(err)
	}
	gw2 := gateway.New(e.gw.Store, deps, slog.New(slog.NewTextHandler(io.Discard, nil)))
	gw2.Now = func() time.Time { return time.Now().Add(2 * e.gw.LeaseTTL) }
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if _, err := gw2.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
		cur, err := e.gw.Store.FindBatchByID(t.Context(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if batchgate.Terminal(cur.Status) {
			if cur.Status != "completed" || cur.RequestCounts.Completed != 3 {
				t.Fatalf("after the second gateway: %+v", cur)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second gateway never finished the batch: %+v", cur)
		}
	}
	// Each request ran once.
	calls := le.Sim().RuntimeCalls()
	bodies := map[string]int{}
	for _, c := range calls {
		bodies[string(c.Body)]++
	}
	if len(calls) != 3 || len(bodies) != 3 {
		t.Errorf("runtime calls: %d for %d distinct requests, want 3 for 3", len(calls), len(bodies))
	}
	var done batchObj
	e.json(key, "GET", "/v1/batches/"+b.ID, nil).json(t, &done)
	checkChatOutput(t, e.outputLines(key, *done.OutputFileID), "r1", "r2", "r3")

	// Billed once, at on-demand prices, and the key charged once.
	s := spendOf(t, e, b.ID)
	want := float64(done.Usage.InputTokens)*onDemandIn + float64(done.Usage.OutputTokens)*onDemandOut
	if s.Mode != batchgate.ModeOnDemand || math.Abs(s.Cost-want) > 1e-12 {
		t.Errorf("spend log = %+v, want %v on demand", s, want)
	}
	var info struct{ Info struct{ Spend float64 } }
	e.json(key, "GET", "/key/info", nil).json(t, &info)
	if math.Abs(info.Info.Spend-want) > 1e-12 {
		t.Errorf("key spend = %v, want %v", info.Info.Spend, want)
	}
	// A further pass (the first gateway coming back, say) changes nothing.
	if _, err := e.gw.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(le.Sim().RuntimeCalls()); n != 3 {
		t.Errorf("after another pass: %d runtime calls, want 3", n)
	}
}

// TestOnDemandCancel: a cancel stops the batch; the requests not run are
// in the error file as batch_cancelled, those that ran are billed.
func TestOnDemandCancel(t *testing.T) {
	one := 1
	ctx1, stop1 := context.WithCancel(context.Background())
	defer stop1()
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond}, configure: func(gw *gateway.Gateway) {
		d := gw.Deployments[model]
		d.OnDemandConcurrency = one
		d.Runtime = &stopAfter{next: d.Runtime, n: 1, cancel: stop1}
	}})
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(3, model)))
	e.gw.Reconcile(ctx1) // runs one request, then stops
	if r := e.json(key, "POST", "/v1/batches/"+b.ID+"/cancel", nil); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	// (The stopped pass backs the batch off for a moment.)
	got := e.waitOnDemand(key, b.ID, func(b batchObj) bool {
		if _, err := e.gw.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
		return batchgate.Terminal(b.Status)
	})
	e.json(key, "GET", "/v1/batches/"+b.ID, nil).json(t, &got)
	if got.Status != "cancelled" || got.RequestCounts.Completed != 1 || got.RequestCounts.Failed != 2 || got.ErrorFileID == nil || got.OutputFileID == nil {
		t.Fatalf("cancelled batch = %+v", got)
	}
	errs := e.outputLines(key, *got.ErrorFileID)
	if len(errs) != 2 || !strings.Contains(fmt.Sprint(errs), "batch_cancelled") {
		t.Errorf("error file = %v", errs)
	}
	if n := len(le.Sim().RuntimeCalls()); n != 1 {
		t.Errorf("%d runtime calls, want 1", n)
	}
	spendOf(t, e, b.ID)
}

// clockInvoker moves the gateway's clock on by step at each runtime call.
type clockInvoker struct {
	next gateway.RuntimeInvoker
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *clockInvoker) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clockInvoker) Invoke(ctx context.Context, modelID string, converse bool, body []byte) ([]byte, error) {
	c.mu.Lock()
	c.now = c.now.Add(c.step)
	c.mu.Unlock()
	return c.next.Invoke(ctx, modelID, converse, body)
}

// TestOnDemandPassShare: a pass starts requests of an on-demand batch for a
// limited time (half the lease), so that a long batch does not hold up the
// reconciler's other batches; the next pass goes on where it stopped.
func TestOnDemandPassShare(t *testing.T) {
	one := 1
	var clock *clockInvoker
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond}, configure: func(gw *gateway.Gateway) {
		d := gw.Deployments[model]
		d.OnDemandConcurrency = one
		// Each request takes (on the gateway's clock) the whole share of a pass.
		clock = &clockInvoker{next: d.Runtime, now: time.Now(), step: gw.LeaseTTL / 2}
		d.Runtime = clock
		gw.Now = clock.Now
	}})
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(3, model)))
	for pass := 1; pass <= 3; pass++ {
		if _, err := e.gw.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := len(le.Sim().RuntimeCalls()); n != pass {
			t.Fatalf("after pass %d: %d runtime calls, want %d", pass, n, pass)
		}
	}
	got, err := e.gw.Store.FindBatchByID(t.Context(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "completed" || got.RequestCounts.Completed != 3 {
		t.Errorf("batch after 3 passes = %+v", got)
	}
}

// TestOnDemandSplitFile: a small file split over several parts (here by
// records per job; by bytes in practice) runs every part's requests on
// demand, with all its output and its cost.
func TestOnDemandSplitFile(t *testing.T) {
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond}, reconcile: 20 * time.Millisecond,
		configure: func(gw *gateway.Gateway) { gw.Deployments[model].Quotas.MaxRecordsPerJob = 2 }})
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(6, model)))
	b = e.waitOnDemand(key, b.ID, func(b batchObj) bool { return b.Status == "completed" })
	if b.RequestCounts.Total != 6 || b.RequestCounts.Completed != 6 || b.OutputFileID == nil || b.Usage == nil || b.Usage.InputTokens <= 0 {
		t.Fatalf("completed batch = %+v", b)
	}
	checkChatOutput(t, e.outputLines(key, *b.OutputFileID), "r1", "r2", "r3", "r4", "r5", "r6")
	if n := len(le.Sim().RuntimeCalls()); n != 6 {
		t.Errorf("%d runtime calls, want 6", n)
	}
	if s := spendOf(t, e, b.ID); s.Cost <= 0 {
		t.Errorf("spend log = %+v, want the batch's cost", s)
	}
}
