package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/webhooks"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/local"
)

// hookReceiver is a webhook endpoint that answers 500 to its first request.
type hookReceiver struct {
	mu   sync.Mutex
	reqs []hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
	status int
	path   string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	status := http.StatusOK
	if len(h.reqs) == 0 {
		status = http.StatusInternalServerError
	}
	h.reqs = append(h.reqs, hookRequest{r.Header.Clone(), body, status, r.URL.RequestURI()})
	w.WriteHeader(status)
}

func (h *hookReceiver) all() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.reqs...)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// opsEnv is `batchgate serve --config` on the local S3 and emulator, with a
// webhook endpoint configured.
type opsEnv struct {
	t      *testing.T
	url    string
	master string
	sim    *bedrocksim.Server
	logs   *syncBuffer
	hooks  *hookReceiver
	secret string // webhook signing secret
	// secrets are strings that must never be logged.
	secrets []string
}

func startOps(t *testing.T) *opsEnv {
	t.Helper()
	oldInterval, oldBackoff := webhookInterval, webhookMinBackoff
	webhookInterval, webhookMinBackoff = 20*time.Millisecond, 100*time.Millisecond
	t.Cleanup(func() { webhookInterval, webhookMinBackoff = oldInterval, oldBackoff })

	ctx, cancel := context.WithCancel(context.Background())
	le, err := local.Start(ctx, local.Options{DataDir: t.TempDir(), StepDelay: 10 * time.Millisecond, MinRecordsPerJob: 1,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	e := &opsEnv{t: t, sim: le.Sim(), logs: &syncBuffer{}, hooks: &hookReceiver{}}
	hookSrv := httptest.NewServer(e.hooks)
	t.Cleanup(hookSrv.Close)

	key := make([]byte, 32)
	rand.Read(key)
	e.secret = "whsec_" + base64.StdEncoding.EncodeToString(key)
	e.master = "sk-master-" + randHex(12)
	awsSecret := le.Credentials().SecretAccessKey // random per run
	hookToken := "hooktoken" + randHex(8)
	e.secrets = []string{e.master, awsSecret, e.secret, strings.TrimPrefix(e.secret, "whsec_"), hookToken}

	cfg := *le.Config
	cfg.GeneralSettings.MasterKey = e.master
	cfg.BatchgateSettings.Webhooks = []config.Webhook{{URL: hookSrv.URL + "/hooks/batchgate?token=" + hookToken, Secret: e.secret}}
	data, err := config.Marshal(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	readyc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- runServe(ctx, []string{"--config", path, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--reconcile-interval", "20ms"},
			func(string) string { return "" }, io.Discard, e.logs, func(u, _ string) { readyc <- u })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case e.url = <-readyc:
	case err := <-errc:
		t.Fatalf("serve: %v\n%s", err, e.logs)
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not start")
	}
	return e
}

// do sends a request and returns the status, body and x-request-id.
func (e *opsEnv) do(key, method, path, ctype string, body io.Reader) (int, []byte, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, body)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("x-request-id")
}

func (e *opsEnv) json(key, method, path string, in, out any) string {
	e.t.Helper()
	b, _ := json.Marshal(in)
	status, body, id := e.do(key, method, path, "application/json", bytes.NewReader(b))
	if status != 200 {
		e.t.Fatalf("%s %s: %d %s", method, path, status, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			e.t.Fatal(err)
		}
	}
	return id
}

func (e *opsEnv) upload(key string, n int) (fileID, requestID string) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("purpose", "batch")
	w, _ := mw.CreateFormFile("file", "in.jsonl")
	for i := range n {
		fmt.Fprintf(w, `{"custom_id":"r%d","method":"POST","url":"/v1/chat/completions","body":{"model":%q,"max_tokens":50,"messages":[{"role":"user","content":"hi %d"}]}}`+"\n", i, local.ModelName, i)
	}
	mw.Close()
	status, body, id := e.do(key, "POST", "/v1/files", mw.FormDataContentType(), &buf)
	if status != 200 {
		e.t.Fatalf("upload: %d %s", status, body)
	}
	var f struct{ ID string }
	json.Unmarshal(body, &f)
	return f.ID, id
}

func (e *opsEnv) batch(key, fileID string) string {
	e.t.Helper()
	var b struct{ ID string }
	e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": fileID, "endpoint": "/v1/chat/completions", "completion_window": "24h"}, &b)
	return b.ID
}

func (e *opsEnv) waitStatus(key, id, want string) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var b struct{ Status string }
		e.json(key, "GET", "/v1/batches/"+id, nil, &b)
		if b.Status == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("batch %s is %s, want %s\n%s", id, b.Status, want, e.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitHook waits for a delivered (2xx) webhook about batch id and returns
// every request made for it, verified by openai-go's Standard Webhooks
// implementation.
func (e *opsEnv) waitHook(id string) (string, []hookRequest) {
	e.t.Helper()
	svc := webhooks.NewWebhookService(option.WithWebhookSecret(e.secret))
	deadline := time.Now().Add(20 * time.Second)
	for {
		var (
			mine []hookRequest
			typ  string
		)
		for _, r := range e.hooks.all() {
			ts, _ := strconv.ParseInt(r.header.Get("webhook-timestamp"), 10, 64)
			ev, err := svc.UnwrapWithToleranceAndTime(r.body, r.header, time.Minute, time.Unix(ts, 0))
			if err != nil {
				e.t.Fatalf("webhook does not verify: %v\n%s", err, r.body)
			}
			var data struct {
				Data struct{ ID string } `json:"data"`
			}
			json.Unmarshal(r.body, &data)
			if data.Data.ID == id {
				mine = append(mine, r)
				typ = ev.Type
			}
		}
		if n := len(mine); n > 0 && mine[n-1].status == 200 {
			return typ, mine
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no webhook delivered for %s (%d requests)\n%s", id, len(mine), e.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOps_WebhooksMetricsLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local gateway")
	}
	e := startOps(t)

	var k struct{ Key string }
	if id := e.json(e.master, "POST", "/key/generate", map[string]any{"key_alias": "ops"}, &k); !strings.HasPrefix(id, "req_") {
		t.Fatalf("x-request-id %q", id)
	}
	e.secrets = append(e.secrets, k.Key)
	// Refused keys, in the header and in a query, are not logged either.
	wrong := "sk-wrong" + randHex(8)
	e.secrets = append(e.secrets, wrong)
	if status, _, _ := e.do(wrong, "GET", "/v1/files", "", nil); status != 401 {
		t.Fatalf("wrong key: %d", status)
	}
	e.do(e.master, "GET", "/key/info?key="+k.Key, "", nil)

	// Completed, delivered on the second attempt (the endpoint answers 500 first).
	fileID, uploadReq := e.upload(k.Key, 3)
	done := e.batch(k.Key, fileID)
	e.waitStatus(k.Key, done, "completed")
	typ, reqs := e.waitHook(done)
	if typ != "batch.completed" || len(reqs) != 2 || reqs[0].status != 500 {
		t.Fatalf("completed: type %s, %d requests", typ, len(reqs))
	}
	if reqs[0].header.Get("webhook-id") != reqs[1].header.Get("webhook-id") || !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatal("the retry is not the same event")
	}
	if !strings.HasPrefix(reqs[1].path, "/hooks/batchgate?token=") {
		t.Fatalf("posted to %s", reqs[1].path)
	}

	// Failed.
	e.sim.SetFaults(bedrocksim.Faults{ForceFail: "injected failure"})
	failed := e.batch(k.Key, fileID)
	e.waitStatus(k.Key, failed, "failed")
	if typ, _ := e.waitHook(failed); typ != "batch.failed" {
		t.Fatalf("failed batch sent %s", typ)
	}

	// Cancelled.
	e.sim.SetFaults(bedrocksim.Faults{HoldScheduled: true})
	cancelled := e.batch(k.Key, fileID)
	e.json(k.Key, "POST", "/v1/batches/"+cancelled+"/cancel", nil, nil)
	e.waitStatus(k.Key, cancelled, "cancelled")
	if typ, _ := e.waitHook(cancelled); typ != "batch.cancelled" {
		t.Fatalf("cancelled batch sent %s", typ)
	}
	time.Sleep(100 * time.Millisecond) // a few more reconciler and sender passes
	per := map[string]int{}
	for _, r := range e.hooks.all() {
		if r.status == 200 {
			per[r.header.Get("webhook-id")]++
		}
	}
	if len(per) != 3 {
		t.Fatalf("delivered events %v, want 3 (one per batch)", per)
	}
	for id, n := range per {
		if n != 1 {
			t.Fatalf("event %s delivered %d times", id, n)
		}
	}

	// Metrics: open by default.
	status, body, _ := e.do("", "GET", "/metrics", "", nil)
	if status != 200 {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	m := string(body)
	for _, want := range []string{
		`batchgate_http_requests_total{code="200",method="POST",route="/v1/files"} 1`,
		`batchgate_http_requests_total{code="200",method="POST",route="/v1/batches/{batch_id}/cancel"} 1`,
		`batchgate_bedrock_calls_total{code="ok",operation="CreateModelInvocationJob"} 3`,
		`batchgate_bedrock_call_duration_seconds_count{operation="GetModelInvocationJob"}`,
		`batchgate_batches_finished_total{status="completed"} 1`,
		`batchgate_batches_finished_total{status="failed"} 1`,
		`batchgate_batches_finished_total{status="cancelled"} 1`,
		`batchgate_batches{status="in_progress"} 0`,
		`batchgate_reconciler_lag_seconds 0`,
		`batchgate_webhook_deliveries_total{outcome="retry",type="batch.completed"} 1`,
		`batchgate_webhook_deliveries_total{outcome="delivered",type="batch.completed"} 1`,
		`batchgate_spend_usd_total{model="` + local.ModelName + `"}`,
		`batchgate_store_up 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if v := metricValue(m, "batchgate_upload_bytes_total"); v < 300 {
		t.Errorf("upload bytes %v", v)
	}
	if v := metricValue(m, `batchgate_spend_usd_total{model="`+local.ModelName+`"}`); v <= 0 {
		t.Errorf("spend %v, want > 0", v)
	}

	// Logs: JSON, the upload's gateway log names its request id, and no secret anywhere.
	logs := e.logs.String()
	if os.Getenv("DUMP_LOGS") != "" {
		t.Log(logs)
	}
	found := false
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		if rec["msg"] == "file uploaded" && rec["request_id"] == uploadReq {
			found = true
		}
	}
	if !found {
		t.Errorf("no \"file uploaded\" log with request_id %s", uploadReq)
	}
	for _, s := range e.secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a secret (%.12s...) is in the logs", s)
		}
	}
	if regexp.MustCompile(`(?i)bearer|authorization|sk-[a-z0-9]`).MatchString(logs) {
		t.Errorf("key material in the logs: %s", regexp.MustCompile(`(?i).{0,80}(bearer|authorization|sk-[a-z0-9]).{0,80}`).FindString(logs))
	}
}

// metricValue returns the value of the first sample whose line starts with name.
func metricValue(text, name string) float64 {
	for _, l := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(l, name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return -1
}
