package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	bedrockrunner "github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/local"
)

// timeline is a batch's timestamps, as OpenAI names them.
type timeline struct {
	ID            string
	Status        string
	ErrorFileID   *string                                  `json:"error_file_id"`
	OutputFileID  *string                                  `json:"output_file_id"`
	RequestCounts struct{ Total, Completed, Failed int64 } `json:"request_counts"`
	Errors        *struct {
		Data []struct{ Code, Message string }
	}
	CreatedAt    int64  `json:"created_at"`
	InProgressAt *int64 `json:"in_progress_at"`
	FinalizingAt *int64 `json:"finalizing_at"`
	CompletedAt  *int64 `json:"completed_at"`
	FailedAt     *int64 `json:"failed_at"`
	CancellingAt *int64 `json:"cancelling_at"`
	CancelledAt  *int64 `json:"cancelled_at"`
}

// inOrder fails the test unless the timestamps that are set come in
// lifecycle order: created, in progress, cancelling, finalizing, then the end.
func (tl timeline) inOrder(t *testing.T) {
	t.Helper()
	steps := []struct {
		name string
		at   *int64
	}{
		{"created_at", &tl.CreatedAt}, {"in_progress_at", tl.InProgressAt}, {"cancelling_at", tl.CancellingAt},
		{"finalizing_at", tl.FinalizingAt}, {"completed_at", tl.CompletedAt}, {"failed_at", tl.FailedAt}, {"cancelled_at", tl.CancelledAt},
	}
	prev, prevName := int64(0), ""
	for _, s := range steps {
		if s.at == nil {
			continue
		}
		if *s.at < prev {
			t.Errorf("%s (%d) is before %s (%d)", s.name, *s.at, prevName, prev)
		}
		prev, prevName = *s.at, s.name
	}
}

func (e *env) timeline(key, id string) timeline {
	e.t.Helper()
	var tl timeline
	e.ok(key, "GET", "/v1/batches/"+id, nil, &tl)
	return tl
}

// errorLines reads a batch's error file as OpenAI error lines.
type errorLine struct {
	CustomID string          `json:"custom_id"`
	Response json.RawMessage `json:"response"`
	Error    *struct{ Code, Message string }
}

func (e *env) errorLines(key, fileID string) []errorLine {
	e.t.Helper()
	r := e.do(key, "GET", "/v1/files/"+fileID+"/content", "", nil)
	if r.status != 200 {
		e.t.Fatalf("error file content: %d %s", r.status, r.body)
	}
	var out []errorLine
	for _, l := range strings.Split(strings.TrimSpace(string(r.body)), "\n") {
		if l == "" {
			continue
		}
		var el errorLine
		if err := json.Unmarshal([]byte(l), &el); err != nil {
			e.t.Fatalf("error line %q: %v", l, err)
		}
		out = append(out, el)
	}
	return out
}

// A batch cancelled while its job runs (Bedrock's Scheduled reads as
// in_progress) accounts for every request: the job never processed any, so
// all are failed, each with a batch_cancelled line in the error file, and
// the timestamps come in the order things happened.
func TestCancelledBatchAccountsForEveryRequest(t *testing.T) {
	e, le := startEnv(t, envOptions{reconcile: 20 * time.Millisecond,
		local: local.Options{StepDelay: 10 * time.Millisecond, MinRecordsPerJob: 1, Faults: bedrocksim.Faults{HoldScheduled: true}}})
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(120, model)))
	e.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status == "in_progress" })
	var c batchObj
	e.ok(key, "POST", "/v1/batches/"+b.ID+"/cancel", nil, &c)
	e.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status == "cancelled" })
	tl := e.timeline(key, b.ID)
	if hist, _ := le.Sim().StatusHistory(c.Bedrock.JobARN); len(hist) == 0 || hist[len(hist)-1] != bedrocksim.StatusStopped {
		t.Fatalf("job history %v, want it stopped", hist)
	}
	rc := tl.RequestCounts
	if rc.Total != 120 || rc.Completed+rc.Failed != rc.Total {
		t.Errorf("request_counts %+v: completed + failed != total", rc)
	}
	tl.inOrder(t)
	if tl.CancellingAt == nil || tl.CancelledAt == nil {
		t.Errorf("cancelling_at %v, cancelled_at %v", tl.CancellingAt, tl.CancelledAt)
	}
	if tl.ErrorFileID == nil {
		t.Fatalf("no error file: %+v", tl)
	}
	got := e.errorLines(key, *tl.ErrorFileID)
	if int64(len(got)) != rc.Failed {
		t.Errorf("error file has %d lines, request_counts.failed is %d", len(got), rc.Failed)
	}
	seen := map[string]bool{}
	for _, l := range got {
		if l.Error == nil || l.Error.Code != "batch_cancelled" || string(l.Response) != "null" {
			t.Errorf("error line %+v, want batch_cancelled with a null response", l)
			break
		}
		seen[l.CustomID] = true
	}
	for i := 1; i <= 120; i++ {
		if id := fmt.Sprintf("r%d", i); !seen[id] {
			t.Errorf("no error line for %s", id)
			break
		}
	}
}

// A batch cancelled before its job reached Bedrock (Bedrock was down) also
// accounts for every request, each with a batch_cancelled line.
func TestCancelledQueuedBatchAccountsForEveryRequest(t *testing.T) {
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond, MinRecordsPerJob: 1}})
	key := e.key(model)
	fileID := e.uploadOK(key, lines(7, model))
	le.Sim().SetFaults(bedrocksim.Faults{ServerErrorFraction: 1})
	b := e.createBatch(key, fileID)
	var c batchObj
	e.ok(key, "POST", "/v1/batches/"+b.ID+"/cancel", nil, &c)
	if c.Status != "cancelling" || c.Bedrock != nil && c.Bedrock.JobARN != "" {
		t.Fatalf("cancel of a queued batch: %+v", c)
	}
	if _, err := e.gw.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	tl := e.timeline(key, b.ID)
	if tl.Status != "cancelled" || tl.RequestCounts.Total != 7 || tl.RequestCounts.Completed != 0 || tl.RequestCounts.Failed != 7 {
		t.Fatalf("batch %s, request_counts %+v; want cancelled, 7 failed", tl.Status, tl.RequestCounts)
	}
	tl.inOrder(t)
	if tl.ErrorFileID == nil || tl.OutputFileID != nil {
		t.Fatalf("error file %v, output file %v; want an error file only", tl.ErrorFileID, tl.OutputFileID)
	}
	got := e.errorLines(key, *tl.ErrorFileID)
	if len(got) != 7 || got[0].Error == nil || got[0].Error.Code != "batch_cancelled" {
		t.Errorf("error lines %+v, want 7 batch_cancelled", got)
	}
}

// A job that ends without manifest.json.out (AWS does not document one for
// every end state) still settles: its result files are written and its
// counts and tokens come from the .out files.
func TestSettlesWithoutManifest(t *testing.T) {
	for _, tc := range []struct {
		name              string
		partial           float64
		completed, failed int64
	}{{"Completed", 0, 8, 0}, {"PartiallyCompleted", 0.25, 6, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := startEnv(t, envOptions{reconcile: 20 * time.Millisecond, local: local.Options{StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1,
				Faults: bedrocksim.Faults{OmitManifest: true, PartialFraction: tc.partial}}})
			key := e.key(model)
			b := e.createBatch(key, e.uploadOK(key, lines(8, model)))
			got := e.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status != "validating" && b.Status != "in_progress" })
			rc := got.RequestCounts
			if got.Status != "completed" || rc.Total != 8 || rc.Completed != tc.completed || rc.Failed != tc.failed {
				t.Fatalf("batch %s, request_counts %+v; want completed, %d completed, %d failed", got.Status, rc, tc.completed, tc.failed)
			}
			if got.Usage == nil || got.Usage.InputTokens <= 0 || got.Usage.OutputTokens <= 0 {
				t.Errorf("usage %+v, want the tokens of the output lines", got.Usage)
			}
			if got.OutputFileID == nil {
				t.Fatal("no output file")
			}
			out := e.do(key, "GET", "/v1/files/"+*got.OutputFileID+"/content", "", nil)
			if n := int64(strings.Count(string(out.body), "\n")); out.status != 200 || n != tc.completed {
				t.Errorf("output file: %d, %d lines; want %d", out.status, n, tc.completed)
			}
			if tc.failed == 0 {
				return
			}
			if got.ErrorFileID == nil {
				t.Fatal("no error file")
			}
			errs := e.errorLines(key, *got.ErrorFileID)
			if int64(len(errs)) != tc.failed || errs[0].Error == nil || errs[0].Error.Code != "batch_expired" {
				t.Errorf("error lines %+v; want %d batch_expired", errs, tc.failed)
			}
		})
	}
}

// The response to CreateModelInvocationJob is lost after the job was
// created, and Bedrock answers the retry that the job name is in use (it
// checks the name before the token): the gateway adopts the job it created
// rather than fail the batch and leave the job running, unbilled.
func TestCreateRetryAdoptsTheJobOfALostResponse(t *testing.T) {
	e, le := startEnv(t, envOptions{reconcile: 20 * time.Millisecond, local: local.Options{
		StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1, Faults: bedrocksim.Faults{LoseCreateResponses: 1},
		SimConfig: func(c *bedrocksim.Config) { c.NameBeforeToken = true }}})
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(3, model)))
	got := e.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status != "validating" && b.Status != "in_progress" })
	if got.Status != "completed" || got.RequestCounts.Completed != 3 || got.Bedrock == nil || got.Bedrock.JobARN == "" {
		t.Fatalf("batch %+v; want completed on the job created", got)
	}
	if le.Sim().Faults().LoseCreateResponses != 0 {
		t.Fatal("no create response was lost")
	}
	if out := jobsOf(t, le); len(out) != 1 || out[0] != got.Bedrock.JobARN {
		t.Errorf("Bedrock jobs %v; want only the batch's %s", out, got.Bedrock.JobARN)
	}
}

// jobsOf lists the ARNs of the emulator's jobs.
func jobsOf(t *testing.T, le *local.Env) []string {
	t.Helper()
	c := bedrock.New(bedrock.Options{Region: local.Region, BaseEndpoint: aws.String(le.BedrockURL),
		Credentials: credentials.StaticCredentialsProvider{Value: le.Credentials()}})
	out, err := c.ListModelInvocationJobs(t.Context(), &bedrock.ListModelInvocationJobsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, j := range out.InvocationJobSummaries {
		arns = append(arns, aws.ToString(j.JobArn))
	}
	return arns
}

// Bedrock no longer knows the batch's job (region, account or endpoint
// changed; the emulator restarted): Get answers ResourceNotFoundException.
// Past the grace period the batch fails naming the job, a cancel completes,
// and the budget reservations are released, instead of retrying forever.
func TestJobBedrockNoLongerKnows(t *testing.T) {
	t.Run("OneJob", func(t *testing.T) { testJobBedrockNoLongerKnows(t, model, 3, 4) })
	t.Run("Split", func(t *testing.T) { testJobBedrockNoLongerKnows(t, "claude-split", 6, 9) }) // 2 and 3 jobs
}

func testJobBedrockNoLongerKnows(t *testing.T, model string, nRunning, nCancelled int64) {
	var offset atomic.Int64
	e, _ := startEnv(t, envOptions{
		local: local.Options{StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1, Faults: bedrocksim.Faults{HoldScheduled: true},
			Models: []config.Model{{ModelName: "claude-split", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0"},
				ModelInfo: config.ModelInfo{BatchMaxRecordsPerJob: &splitRecords}}}},
		configure: func(g *gateway.Gateway) {
			g.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		}})
	ctx := t.Context()
	key := e.key(model)
	running := e.createBatch(key, e.uploadOK(key, lines(int(nRunning), model)))
	cancelled := e.createBatch(key, e.uploadOK(key, lines(int(nCancelled), model)))
	if _, err := e.gw.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	owner, err := e.gw.Store.FindBatchByID(ctx, running.ID)
	if err != nil || owner.JobARN == "" {
		t.Fatalf("batch %+v, %v; want its job", owner, err)
	}

	// The deployment now reaches a Bedrock that has never heard of the jobs.
	fresh := httptest.NewServer(bedrocksim.New(bedrocksim.Config{}))
	t.Cleanup(fresh.Close)
	e.gw.Deployments[model].Jobs = &bedrockrunner.Runner{Client: bedrock.New(bedrock.Options{Region: local.Region, BaseEndpoint: aws.String(fresh.URL),
		Credentials: credentials.NewStaticCredentialsProvider("x", "y", ""), RetryMaxAttempts: 1})}
	e.ok(key, "POST", "/v1/batches/"+cancelled.ID+"/cancel", nil, nil)
	if _, err := e.gw.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if tl := e.timeline(key, running.ID); tl.Status != "in_progress" && tl.Status != "validating" {
		t.Fatalf("batch %s at the first not found; want it running (within the grace period)", tl.Status)
	}
	offset.Store(int64(2 * time.Hour)) // past the default grace period of an hour
	if _, err := e.gw.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	tl := e.timeline(key, running.ID)
	if tl.Status != "failed" || tl.FailedAt == nil || tl.Errors == nil || len(tl.Errors.Data) == 0 ||
		!strings.Contains(tl.Errors.Data[0].Message, owner.JobARN) || !strings.Contains(tl.Errors.Data[0].Message, "could not be found") {
		t.Errorf("batch %s, errors %+v; want failed, naming the job %s", tl.Status, tl.Errors, owner.JobARN)
	}
	tl = e.timeline(key, cancelled.ID)
	if tl.Status != "cancelled" || tl.RequestCounts.Failed != nCancelled {
		t.Errorf("cancelled batch %s, request_counts %+v; want cancelled, all %d failed", tl.Status, tl.RequestCounts, nCancelled)
	}
	for _, id := range []string{running.ID, cancelled.ID} {
		if b, _ := e.gw.Store.FindBatchByID(ctx, id); b.Reserved != 0 {
			t.Errorf("batch %s still reserves %v", id, b.Reserved)
		}
	}
	if k, _, _, err := e.gw.Store.ReservedSpend(ctx, batchgate.Owner{KeyID: owner.Owner.KeyID}); err != nil || k != 0 {
		t.Errorf("the key's reservations: %v, %v; want 0", k, err)
	}
}
