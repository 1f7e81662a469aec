package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/awsconf"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/s3store"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// discardObjects is an ObjectStore that drains Put bodies, so the benchmark
// measures the gateway's own work on an upload.
type discardObjects struct{}

func (discardObjects) Put(_ context.Context, _, _ string, r io.Reader, _ string) (int64, error) {
	return io.Copy(io.Discard, r)
}
func (discardObjects) Get(context.Context, string, string) (io.ReadCloser, error) {
	return nil, &batchgate.Error{Code: batchgate.ENOTFOUND, Message: "none"}
}
func (discardObjects) List(context.Context, string, string) ([]batchgate.Object, error) {
	return nil, nil
}
func (discardObjects) Delete(context.Context, string, string) error { return nil }

// benchJSONL is a chat batch file like bench/genjsonl writes.
func benchJSONL(records, perLine int) []byte {
	text := strings.Repeat("lorem ipsum dolor sit amet ", perLine/27+1)[:perLine]
	var b bytes.Buffer
	for i := 1; i <= records; i++ {
		fmt.Fprintf(&b, `{"custom_id":"request-%d","method":"POST","url":"/v1/chat/completions","body":{"model":"claude","max_tokens":512,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"%s"}]}}`+"\n", i, text)
	}
	return b.Bytes()
}

// BenchmarkUploadFile pushes a chat JSONL through UploadFile (validation and
// translation) into an object store that discards it. Run with
// -cpuprofile to see where an upload's CPU goes; bench/run.sh measures the
// whole path against a real S3 server.
func BenchmarkUploadFile(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	dep := &gateway.Deployment{Model: config.Model{ModelName: "claude", LiteLLMParams: config.LiteLLMParams{
		Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", S3BucketName: "bench",
	}}, Objects: discardObjects{}}
	// BATCHGATE_BENCH_S3=http://host:port (with AWS_* credentials and an
	// existing bucket "bench") uploads to a real S3 server instead.
	if ep := os.Getenv("BATCHGATE_BENCH_S3"); ep != "" {
		dep.LiteLLMParams.S3EndpointURL = ep
		client, err := awsconf.S3(ctx, dep.LiteLLMParams)
		if err != nil {
			b.Fatal(err)
		}
		dep.Objects = s3store.New(client)
	}
	g := gateway.New(store, []*gateway.Deployment{dep}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	data := benchJSONL(2000, 20000)
	c := gateway.Caller{Scope: batchgate.Scope{All: true}}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.UploadFile(ctx, c, gateway.Upload{Filename: "in.jsonl", Target: "claude"}, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
