package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// novaModel is the second deployment of the governance environment.
const novaModel = "bedrock-batch-nova"

// govOptions configure a governance test environment.
type govOptions struct {
	faults     bedrocksim.Faults
	info       config.ModelInfo // model_info of the default (Claude) deployment
	replicas   int              // gateways sharing the database (default 1)
	reconciler bool             // run each replica's background reconciler
	stepDelay  time.Duration
}

// govEnv is the local stack with two models and one or more gateway
// replicas, each with its own store handle on one SQLite database and its
// own HTTP server. The embedded env talks to replica 0.
type govEnv struct {
	*env
	le   *local.Env
	gws  []*gateway.Gateway
	urls []string
}

func newGovEnv(t *testing.T, o govOptions) *govEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.stepDelay == 0 {
		o.stepDelay = 5 * time.Millisecond
	}
	if o.replicas == 0 {
		o.replicas = 1
	}
	le, err := local.Start(ctx, local.Options{DataDir: dir, StepDelay: o.stepDelay, MinRecordsPerJob: 1, Log: log, Faults: o.faults,
		Models: []config.Model{{ModelName: novaModel, LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.amazon.nova-lite-v1:0"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	le.Config.ModelList[0].ModelInfo = o.info
	le.Config.ModelList[0].ModelInfo.Mode = "batch"
	g := &govEnv{le: le}
	for range o.replicas {
		store, err := sqlite.Open(ctx, dir+"/batchgate.db")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		deps, _, err := deploy.All(ctx, le.Config.ModelList)
		if err != nil {
			t.Fatal(err)
		}
		gw := gateway.New(store, deps, log)
		if o.reconciler {
			runReconciler(t, gw, 10*time.Millisecond)
		}
		srv := httptest.NewServer((&httpapi.Server{Gateway: gw, MasterKey: master, Log: log, Version: "test", MaxUploadBytes: 1 << 20}).Handler())
		t.Cleanup(srv.Close)
		g.gws, g.urls = append(g.gws, gw), append(g.urls, srv.URL)
	}
	g.env = &env{t: t, url: g.urls[0], gw: g.gws[0]}
	return g
}

// on returns the env of replica i.
func (g *govEnv) on(i int) *env { return &env{t: g.t, url: g.urls[i], gw: g.gws[i]} }

// ok sends a JSON request and fails the test unless it answers 200.
func (e *env) ok(key, method, path string, body, out any) {
	e.t.Helper()
	r := e.json(key, method, path, body)
	if r.status != 200 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
	}
	if out != nil {
		r.json(e.t, out)
	}
}

// newKey generates a key with the given /key/generate fields.
func (e *env) newKey(fields map[string]any) string {
	e.t.Helper()
	var k struct{ Key string }
	e.ok(master, "POST", "/key/generate", fields, &k)
	return k.Key
}

// chatLines returns n chat requests with the given max_tokens.
func chatLines(n int, model string, maxTokens int) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&sb, `{"custom_id":"r%d","method":"POST","url":"/v1/chat/completions","body":{"model":%q,"max_tokens":%d,"messages":[{"role":"user","content":"question number %d, %s"}]}}`+"\n",
			i, model, maxTokens, i, strings.Repeat("more words ", i))
	}
	return sb.String()
}

// runJob waits until the emulator has finished the batch's Bedrock job,
// without the gateway looking (no reconciler needs to run).
func (g *govEnv) runJob(batchID string) {
	g.t.Helper()
	ctx := context.Background()
	b, err := g.gw.Store.FindBatchByID(ctx, batchID)
	if err != nil {
		g.t.Fatal(err)
	}
	if b.JobARN == "" {
		g.t.Fatalf("batch %s has no job", batchID)
	}
	d := g.gw.Deployments[b.Model]
	waitUntil(g.t, func() bool {
		j, err := d.Jobs.Get(ctx, b.JobARN)
		if err != nil {
			g.t.Fatal(err)
		}
		return bedrock.Terminal(j.Status)
	})
}

// settle reconciles (on replica 0) until the batch has ended.
func (g *govEnv) settle(batchID string) *batchgate.Batch {
	g.t.Helper()
	ctx := context.Background()
	var b *batchgate.Batch
	waitUntil(g.t, func() bool {
		if _, err := g.gw.Reconcile(ctx); err != nil {
			g.t.Fatal(err)
		}
		var err error
		if b, err = g.gw.Store.FindBatchByID(ctx, batchID); err != nil {
			g.t.Fatal(err)
		}
		return batchgate.Terminal(b.Status)
	})
	return b
}

// manifest reads the Bedrock manifest of the batch's job from S3.
func (g *govEnv) manifest(b *batchgate.Batch) (in, out int64) {
	g.t.Helper()
	ctx := context.Background()
	s3c := g.le.S3Client()
	prefix := "batchgate/output/" + b.ID + "/"
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(local.Bucket), Prefix: aws.String(prefix)})
	if err != nil {
		g.t.Fatal(err)
	}
	for _, o := range list.Contents {
		if !strings.HasSuffix(*o.Key, "/manifest.json.out") {
			continue
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(local.Bucket), Key: o.Key})
		if err != nil {
			g.t.Fatal(err)
		}
		var m struct{ InputTokenCount, OutputTokenCount int64 }
		err = json.NewDecoder(obj.Body).Decode(&m)
		obj.Body.Close()
		if err != nil {
			g.t.Fatal(err)
		}
		return m.InputTokenCount, m.OutputTokenCount
	}
	g.t.Fatalf("no manifest under %s", prefix)
	return 0, 0
}
