package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/metrics"
	"github.com/batchgate/batchgate/internal/sqlite"
)

const master = "sk-master-metrics"

func scrape(t *testing.T, h http.Handler, key string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func newServer(t *testing.T, m *metrics.Metrics, needsAuth bool) (http.Handler, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m.WatchStore(db.RunningBatchStats, log)
	gw := gateway.New(m.WrapStore(db), nil, log)
	s := &httpapi.Server{Gateway: gw, MasterKey: master, Log: log, Version: "test", MaxUploadBytes: 1 << 20,
		Metrics: m.Handler(), MetricsNeedsAuth: needsAuth, Instrument: m.Middleware}
	return s.Handler(), db
}

func TestHTTPAndStoreMetrics(t *testing.T) {
	m := metrics.New()
	h, db := newServer(t, m, false)

	for _, path := range []string{"/v1/batches/batch_a", "/v1/batches/batch_b", "/nope"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+master)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	req := httptest.NewRequest("POST", "/v1/files", strings.NewReader(strings.Repeat("x", 1234)))
	req.Header.Set("Authorization", "Bearer "+master)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=zzz")
	h.ServeHTTP(httptest.NewRecorder(), req)

	old := time.Now().Add(-90 * time.Second)
	if err := db.CreateBatch(context.Background(), &batchgate.Batch{ID: "batch_r", Endpoint: "/v1/chat/completions", InputFileID: "f",
		CompletionWindow: "24h", Model: "m", ModelID: "x", Status: batchgate.StatusInProgress, CreatedAt: old, UpdatedAt: old}); err != nil {
		t.Fatal(err)
	}
	ws := m.WrapStore(db)
	if ok, err := ws.RecordSpend(context.Background(), &batchgate.SpendLog{BatchID: "batch_r", Model: "m", Cost: 1.25, Usage: batchgate.Usage{InputTokens: 10, OutputTokens: 5}, CreatedAt: old}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	ws.RecordSpend(context.Background(), &batchgate.SpendLog{BatchID: "batch_r", Model: "m", Cost: 1.25, CreatedAt: old}) // billed once

	code, text := scrape(t, h, "")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`batchgate_http_requests_total{code="404",method="GET",route="/v1/batches/{batch_id}"} 2`,
		`batchgate_http_requests_total{code="404",method="GET",route="other"} 1`,
		`batchgate_upload_bytes_total 1234`,
		`batchgate_spend_usd_total{model="m"} 1.25`,
		`batchgate_tokens_total{direction="input",model="m"} 10`,
		`batchgate_batches{status="in_progress"} 1`,
		`batchgate_batches{status="validating"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
	var lag float64
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, "batchgate_reconciler_lag_seconds "); ok {
			if _, err := fmt.Sscan(v, &lag); err != nil {
				t.Fatal(err)
			}
		}
	}
	if lag < 89 || lag > 300 {
		t.Errorf("lag %v, want about 90s", lag)
	}
}

func TestMetricsAuth(t *testing.T) {
	h, _ := newServer(t, metrics.New(), true)
	if code, _ := scrape(t, h, ""); code != http.StatusUnauthorized {
		t.Fatalf("without a key: %d, want 401", code)
	}
	if code, text := scrape(t, h, master); code != 200 || !strings.Contains(text, "batchgate_http_requests_total") {
		t.Fatalf("with the master key: %d", code)
	}
}

type fakeJobs struct{ err error }

func (f fakeJobs) Create(context.Context, bedrock.JobSpec) (string, error) { return "arn:x/job", f.err }
func (f fakeJobs) Get(context.Context, string) (*bedrock.Job, error)       { return &bedrock.Job{}, f.err }
func (f fakeJobs) Stop(context.Context, string) error                      { return f.err }

func TestJobs(t *testing.T) {
	m := metrics.New()
	ok := m.WrapJobs(fakeJobs{})
	throttled := m.WrapJobs(fakeJobs{err: &batchgate.Error{Code: batchgate.ERATELIMIT, Err: &types.ThrottlingException{}}})
	plain := m.WrapJobs(fakeJobs{err: errors.New("dial tcp: refused")})
	ok.Create(context.Background(), bedrock.JobSpec{})
	ok.Get(context.Background(), "a")
	throttled.Get(context.Background(), "a")
	throttled.Get(context.Background(), "a")
	plain.Stop(context.Background(), "a")
	_, text := scrape(t, m.Handler(), "")
	for _, want := range []string{
		`batchgate_bedrock_calls_total{code="ok",operation="CreateModelInvocationJob"} 1`,
		`batchgate_bedrock_calls_total{code="ok",operation="GetModelInvocationJob"} 1`,
		`batchgate_bedrock_calls_total{code="ThrottlingException",operation="GetModelInvocationJob"} 2`,
		`batchgate_bedrock_calls_total{code="error",operation="StopModelInvocationJob"} 1`,
		`batchgate_bedrock_call_duration_seconds_count{operation="GetModelInvocationJob"} 3`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
}

func TestRoute(t *testing.T) {
	for in, want := range map[string]string{
		"GET /v1/batches/{batch_id}": "/v1/batches/{batch_id}", "/": "other", "": "other", "POST /key/generate": "/key/generate",
	} {
		if got := metrics.Route(in); got != want {
			t.Errorf("Route(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMethodLabel: a client may send any method token; for unmatched routes
// it used to become a label value as sent.
func TestMethodLabel(t *testing.T) {
	m := metrics.New()
	h, _ := newServer(t, m, false)
	for _, method := range []string{"FOOBAR", "X-EVIL-1", "GET", "PATCH"} {
		req := httptest.NewRequest(method, "/nope", nil)
		req.Header.Set("Authorization", "Bearer "+master)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	_, text := scrape(t, h, "")
	for _, want := range []string{
		`batchgate_http_requests_total{code="404",method="other",route="other"} 2`,
		`batchgate_http_requests_total{code="404",method="GET",route="other"} 1`,
		`batchgate_http_requests_total{code="404",method="PATCH",route="other"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(text, "FOOBAR") || strings.Contains(text, "X-EVIL") {
		t.Error("a client-sent method became a label value")
	}
	for in, want := range map[string]string{"GET": "GET", "DELETE": "DELETE", "OPTIONS": "OPTIONS", "get": "other", "PROPFIND": "other", "": "other"} {
		if got := metrics.Method(in); got != want {
			t.Errorf("Method(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAbortedRequestsCounted: a handler that breaks the connection with
// panic(http.ErrAbortHandler) after sending its status (an interrupted file
// download) used to skip the metrics; it is counted with the status it sent
// and as aborted, and the connection is still broken.
func TestAbortedRequestsCounted(t *testing.T) {
	m := metrics.New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /download", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 64<<10)))
		panic(http.ErrAbortHandler)
	})
	srv := httptest.NewServer(m.Middleware(mux))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/download")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("the aborted download read as complete")
	}
	_, text := scrape(t, m.Handler(), "")
	for _, want := range []string{
		`batchgate_http_requests_total{code="200",method="GET",route="/download"} 1`,
		`batchgate_http_requests_aborted_total{method="GET",route="/download"} 1`,
		`batchgate_http_request_duration_seconds_count{method="GET",route="/download"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
}
