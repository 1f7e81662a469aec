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
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/awsconf"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
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
	dep := deploy.FromConfig(config.Model{ModelName: "claude", LiteLLMParams: config.LiteLLMParams{
		Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", S3BucketName: "bench",
	}}, "us-east-1", discardObjects{}, nil)
	// BATCHGATE_BENCH_S3=http://host:port (with AWS_* credentials and an
	// existing bucket "bench") uploads to a real S3 server instead.
	if ep := os.Getenv("BATCHGATE_BENCH_S3"); ep != "" {
		client, err := awsconf.S3(ctx, config.LiteLLMParams{S3BucketName: "bench", S3EndpointURL: ep})
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

// memObjects serves one object for every Get and lists it under any prefix.
type memObjects struct {
	discardObjects
	data []byte
}

func (m memObjects) Get(context.Context, string, string) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(m.data)), nil
}
func (m memObjects) List(_ context.Context, _, prefix string) ([]batchgate.Object, error) {
	return []batchgate.Object{{Key: prefix + "in.jsonl.out", Size: int64(len(m.data))}}, nil
}

// BenchmarkWriteContent converts a Bedrock output file (large prompts echoed
// in modelInput, as Bedrock writes them) to OpenAI batch output lines: the
// work settlement does once per batch (results.go), measured through a file
// recorded before results were stored, which converts on every read.
func BenchmarkWriteContent(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	text := strings.Repeat("lorem ipsum dolor sit amet ", 750)
	var out bytes.Buffer
	for i := 1; i <= 2000; i++ {
		fmt.Fprintf(&out, `{"recordId":"request-%d","modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":512,"system":"You are terse.","messages":[{"role":"user","content":[{"type":"text","text":"%s"}]}]},"modelOutput":{"id":"msg_bdrk_01","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"A short answer of a few words."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5000,"output_tokens":12}}}`+"\n", i, text)
	}
	dep := deploy.FromConfig(config.Model{ModelName: "claude", LiteLLMParams: config.LiteLLMParams{
		Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", S3BucketName: "bench",
	}}, "us-east-1", memObjects{data: out.Bytes()}, nil)
	g := gateway.New(store, []*gateway.Deployment{dep}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	bt := &batchgate.Batch{ID: "batch_bench", Model: "claude", Status: batchgate.StatusCompleted, OutputPrefix: "s3://bench/out/",
		JobARN: "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abc", CreatedAt: time.Now()}
	if err := store.CreateBatch(ctx, bt); err != nil {
		b.Fatal(err)
	}
	f := &batchgate.File{ID: "file-out", Kind: batchgate.FileOutput, Model: "claude", BatchID: bt.ID}
	b.SetBytes(int64(out.Len()))
	for b.Loop() {
		if err := g.WriteContent(ctx, f, false, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
