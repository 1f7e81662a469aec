// Command uploadprof profiles an upload end to end in one process: it serves
// the real HTTP API (internal/httpapi) over a gateway whose deployment stores
// in the S3 server at -s3, posts -file to POST /v1/files as multipart, and
// writes a CPU profile (go tool pprof bench/.bin/uploadprof cpu.prof).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/awsconf"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/s3store"
	"github.com/batchgate/batchgate/internal/sqlite"
)

func main() {
	s3URL := flag.String("s3", "", "S3 endpoint")
	bucket := flag.String("bucket", "bench", "bucket")
	file := flag.String("file", "", "JSONL to upload")
	prof := flag.String("cpuprofile", "cpu.prof", "CPU profile output")
	download := flag.Bool("download", false, "treat -file as a Bedrock output object and profile GET /v1/files/{id}/content instead")
	flag.Parse()
	run := run
	if *download {
		run = runDownload
	}
	if err := run(*s3URL, *bucket, *file, *prof); err != nil {
		fmt.Fprintln(os.Stderr, "uploadprof:", err)
		os.Exit(1)
	}
}

func run(s3URL, bucket, file, prof string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "uploadprof")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, dir+"/db")
	if err != nil {
		return err
	}
	defer store.Close()
	m := config.Model{ModelName: "bedrock-batch-claude", LiteLLMParams: config.LiteLLMParams{
		Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", S3BucketName: bucket, S3EndpointURL: s3URL,
	}}
	client, err := awsconf.S3(ctx, m.LiteLLMParams)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := gateway.New(store, []*gateway.Deployment{deploy.FromConfig(m, "us-east-1", s3store.New(client), nil)}, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, (&httpapi.Server{Gateway: g, MasterKey: "sk", Log: log}).Handler())

	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		_ = mw.WriteField("purpose", "batch")
		w, err := mw.CreateFormFile("file", "in.jsonl")
		if err == nil {
			_, err = io.Copy(w, f)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	pf, err := os.Create(prof)
	if err != nil {
		return err
	}
	defer pf.Close()
	if err := pprof.StartCPUProfile(pf); err != nil {
		return err
	}
	start := time.Now()
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/v1/files", pr)
	req.Header.Set("Authorization", "Bearer sk")
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	st, _ := f.Stat()
	fmt.Printf("%d %s %.1f MB/s\n%s\n", resp.StatusCode, time.Since(start).Round(time.Millisecond), float64(st.Size())/1e6/time.Since(start).Seconds(), body)
	return nil
}

// runDownload stores file as a job's output object, records a completed
// batch with its output file, and profiles GET /v1/files/{id}/content.
func runDownload(s3URL, bucket, file, prof string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "uploadprof")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, dir+"/db")
	if err != nil {
		return err
	}
	defer store.Close()
	m := config.Model{ModelName: "bedrock-batch-claude", LiteLLMParams: config.LiteLLMParams{
		Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", S3BucketName: bucket, S3EndpointURL: s3URL,
	}}
	client, err := awsconf.S3(ctx, m.LiteLLMParams)
	if err != nil {
		return err
	}
	objects := s3store.New(client)
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	arn := "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/prof1"
	if _, err := objects.Put(ctx, bucket, "out/prof1/in.jsonl.out", f, ""); err != nil {
		return err
	}
	now := time.Now()
	b := &batchgate.Batch{ID: "batch_prof", Model: m.ModelName, Status: batchgate.StatusCompleted, OutputPrefix: "s3://" + bucket + "/out/",
		JobARN: arn, CreatedAt: now, CompletedAt: &now, OutputFileID: "file-prof"}
	if err := store.CreateBatch(ctx, b); err != nil {
		return err
	}
	if err := store.CreateFile(ctx, &batchgate.File{ID: "file-prof", Purpose: batchgate.PurposeBatchOutput, Kind: batchgate.FileOutput,
		Model: m.ModelName, BatchID: b.ID, Bucket: bucket, Key: "out/prof1/in.jsonl.out", CreatedAt: now, Filename: "out.jsonl"}); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := gateway.New(store, []*gateway.Deployment{deploy.FromConfig(m, "us-east-1", objects, nil)}, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, (&httpapi.Server{Gateway: g, MasterKey: "sk", Log: log}).Handler())
	pf, err := os.Create(prof)
	if err != nil {
		return err
	}
	defer pf.Close()
	if err := pprof.StartCPUProfile(pf); err != nil {
		return err
	}
	start := time.Now()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/v1/files/file-prof/content", nil)
	req.Header.Set("Authorization", "Bearer sk")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		pprof.StopCPUProfile()
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	pprof.StopCPUProfile()
	st, _ := f.Stat()
	fmt.Printf("%d: %d bytes served in %s, %.1f MB/s of raw output (%v)\n", resp.StatusCode, n, time.Since(start).Round(time.Millisecond), float64(st.Size())/1e6/time.Since(start).Seconds(), err)
	return nil
}
