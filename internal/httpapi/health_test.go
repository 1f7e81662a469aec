package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// fakeBucket is an S3 endpoint that answers HeadBucket 200 while up and 403
// (not retried by the SDK) while down, and counts the calls.
type fakeBucket struct {
	down  atomic.Bool
	heads atomic.Int64
}

func (f *fakeBucket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		f.heads.Add(1)
	}
	if f.down.Load() {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// readinessEnv is a gateway on the embedded stack plus a second model whose
// bucket lives on fake, served with the given readiness cache.
func readinessEnv(t *testing.T, fake *fakeBucket, cache time.Duration) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	le, err := local.Start(ctx, local.Options{DataDir: dir, Log: log, MinRecordsPerJob: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	store, err := sqlite.Open(ctx, dir+"/batchgate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	fs := httptest.NewServer(fake)
	t.Cleanup(fs.Close)
	remote := le.Config.ModelList[0]
	remote.ModelName = "remote-claude"
	remote.LiteLLMParams.S3BucketName = "remote-bucket"
	remote.LiteLLMParams.S3EndpointURL = fs.URL
	deps, _, err := deploy.All(ctx, append([]config.Model{le.Config.ModelList[0]}, remote))
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(store, deps, log)
	api := &httpapi.Server{Gateway: gw, MasterKey: master, Log: log, Version: "test", Ready: store.Ping, ReadyCacheTTL: cache}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, gw: gw}
}

type readiness struct {
	Status string   `json:"status"`
	DB     string   `json:"db"`
	S3     string   `json:"s3"`
	Down   []string `json:"down"`
	Detail string   `json:"detail"`
}

// /health/readiness checks each deployment's S3 bucket, not only the
// database: a gateway whose bucket is unreachable cannot take uploads.
func TestReadinessChecksBuckets(t *testing.T) {
	fake := &fakeBucket{}
	e := readinessEnv(t, fake, 0)

	r := e.do("", "GET", "/health/readiness", "", nil)
	var ok readiness
	r.json(t, &ok)
	if r.status != http.StatusOK || ok.Status != "healthy" || ok.DB != "connected" || ok.S3 != "connected" {
		t.Fatalf("all up: %d %s", r.status, r.body)
	}

	fake.down.Store(true)
	r = e.do("", "GET", "/health/readiness", "", nil)
	var bad readiness
	r.json(t, &bad)
	if r.status != http.StatusServiceUnavailable || bad.Status != "unhealthy" || bad.DB != "connected" || bad.S3 != "disconnected" {
		t.Fatalf("bucket down: %d %s", r.status, r.body)
	}
	if len(bad.Down) != 1 || !strings.Contains(bad.Down[0], "remote-bucket") || !strings.Contains(bad.Down[0], "remote-claude") {
		t.Errorf("down should name the bucket and its model: %q", bad.Down)
	}
	if strings.Contains(string(r.body), local.Bucket+" ") || !strings.Contains(bad.Detail, "remote-bucket") {
		t.Errorf("only the unreachable bucket is reported: %s", r.body)
	}
	var shape map[string]any
	json.Unmarshal(r.body, &shape)
	for _, k := range []string{"status", "db", "cache", "litellm_version"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("LiteLLM's %q is missing: %s", k, r.body)
		}
	}

	if r := e.do("", "GET", "/health/liveliness", "", nil); r.status != http.StatusOK {
		t.Errorf("liveliness does not depend on S3: %d %s", r.status, r.body)
	}
}

// A storm of readiness probes reaches S3 once per cache period.
func TestReadinessCachesChecks(t *testing.T) {
	fake := &fakeBucket{}
	e := readinessEnv(t, fake, time.Hour)
	for range 5 {
		if r := e.do("", "GET", "/health/readiness", "", nil); r.status != http.StatusOK {
			t.Fatalf("readiness: %d %s", r.status, r.body)
		}
	}
	if n := fake.heads.Load(); n != 1 {
		t.Errorf("HeadBucket calls for 5 probes: %d, want 1", n)
	}
}
