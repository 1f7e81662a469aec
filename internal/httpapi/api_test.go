package httpapi_test

import (
	"github.com/batchgate/batchgate"

	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/postgres"
	"github.com/batchgate/batchgate/internal/sqlite"
	"github.com/batchgate/batchgate/internal/testenv"
)

const master = "sk-master-test"

// env is a gateway on the embedded local stack (in-process S3 and emulator).
type env struct {
	t   *testing.T
	url string
	gw  *gateway.Gateway
	dir string // the data directory: S3 objects under dir/s3/{bucket}/{key}
}

func newEnv(t *testing.T, minRecords int) *env {
	return newEnvWithDelay(t, minRecords, 10*time.Millisecond)
}

// newEnvWithDelay sets the emulator's delay per job state.
func newEnvWithDelay(t *testing.T, minRecords int, stepDelay time.Duration) *env {
	e, _ := startEnv(t, envOptions{local: local.Options{StepDelay: stepDelay, MinRecordsPerJob: minRecords}, reconcile: 20 * time.Millisecond})
	return e
}

// runReconciler runs gw's background reconciler until the test ends, and
// waits for it to stop before the servers and data directory registered
// earlier go (a pass may still be writing a result file to S3).
func runReconciler(t *testing.T, gw *gateway.Gateway, interval time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		gw.RunReconciler(ctx, interval)
	}()
}

// envOptions configure a test environment.
type envOptions struct {
	local     local.Options          // the embedded stack; DataDir and Log are filled in
	reconcile time.Duration          // the background reconciler's interval; 0: none
	configure func(*gateway.Gateway) // runs before the server starts
	log       slog.Handler           // where the gateway and server log; nil: nowhere
	db        string                 // the store: "sqlite" (also "") or "postgres"
}

// stores are the stores a test that must pass on both runs on.
var stores = []string{"sqlite", "postgres"}

// eachStore runs test on SQLite and on PostgreSQL, as subtests.
func eachStore(t *testing.T, test func(t *testing.T, db string)) {
	for _, db := range stores {
		t.Run(db, func(t *testing.T) { test(t, db) })
	}
}

// openStore opens an empty store of kind db: SQLite in dir, or a fresh
// database on the test PostgreSQL server (scripts/test.sh starts it).
func openStore(t *testing.T, dir, db string) batchgate.Store {
	t.Helper()
	ctx := context.Background()
	var (
		store interface {
			batchgate.Store
			Close() error
		}
		err error
	)
	switch db {
	case "", "sqlite":
		store, err = sqlite.Open(ctx, dir+"/batchgate.db")
	case "postgres":
		store, err = postgres.Open(ctx, testenv.FreshPostgres(t))
	default:
		t.Fatalf("no store %q", db)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// startEnv starts the embedded local stack (in-process S3 and emulator), a
// gateway on SQLite with a deployment per model, and its HTTP server.
func startEnv(t *testing.T, o envOptions) (*env, *local.Env) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.log != nil {
		log = slog.New(o.log)
	}
	o.local.DataDir, o.local.Log = dir, log
	le, err := local.Start(ctx, o.local)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	store := openStore(t, dir, o.db)
	deps, _, err := deploy.All(ctx, le.Config.ModelList)
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(store, deps, log)
	if o.configure != nil {
		o.configure(gw)
	}
	if o.reconcile > 0 {
		runReconciler(t, gw, o.reconcile)
	}
	srv := httptest.NewServer((&httpapi.Server{Gateway: gw, MasterKey: master, Log: log, Version: "test", MaxUploadBytes: 1 << 20}).Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, gw: gw, dir: dir}, le
}

type response struct {
	status int
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiError is OpenAI's error envelope plus batchgate's line details.
type apiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
		Line    int     `json:"line"`
		Data    []struct {
			Line    int    `json:"line"`
			Param   string `json:"param"`
			Message string `json:"message"`
		} `json:"data"`
	} `json:"error"`
}

func (e *env) do(key, method, path, ctype string, body io.Reader, hdr ...string) response {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, body)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil { // a body shorter than its Content-Length, a broken transfer
		e.t.Fatalf("%s %s: reading the %d response: %v (got %q)", method, path, resp.StatusCode, err, b)
	}
	return response{resp.StatusCode, b}
}

func (e *env) json(key, method, path string, body any) response {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	return e.do(key, method, path, "application/json", r)
}

func (e *env) key(models ...string) string {
	e.t.Helper()
	r := e.json(master, "POST", "/key/generate", map[string]any{"models": models})
	var k struct{ Key string }
	r.json(e.t, &k)
	if r.status != 200 || k.Key == "" {
		e.t.Fatalf("key/generate: %d %s", r.status, r.body)
	}
	return k.Key
}

// part is one multipart field; a part named "file" is sent as a file.
type part struct{ name, value string }

func multipartBody(parts ...part) (io.Reader, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		if p.name == "file" {
			w, _ := mw.CreateFormFile("file", "in.jsonl")
			io.WriteString(w, p.value)
		} else {
			mw.WriteField(p.name, p.value)
		}
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

func (e *env) upload(key string, parts ...part) response {
	e.t.Helper()
	body, ctype := multipartBody(parts...)
	return e.do(key, "POST", "/v1/files", ctype, body)
}

func line(id, model, user string) string {
	return fmt.Sprintf(`{"custom_id":%q,"method":"POST","url":"/v1/chat/completions","body":{"model":%q,"max_tokens":100,"messages":[{"role":"user","content":%q}]}}`, id, model, user)
}

func lines(n int, model string) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		sb.WriteString(line(fmt.Sprintf("r%d", i), model, fmt.Sprintf("question %d", i)))
		sb.WriteByte('\n')
	}
	return sb.String()
}
