package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/local"
)

// batchgate_settings.files reaches the gateway: an upload without
// expires_after expires after files.expire_after, a batch's output file
// files.output_expire_after after it was created; and
// general_settings.max_batch_file_size_mb bounds uploads.
func TestServeFileExpirySettings(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	le, err := local.Start(ctx, local.Options{DataDir: t.TempDir(), StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	e := &opsEnv{t: t, logs: &syncBuffer{}, master: "sk-master-" + randHex(12)}
	cfg := *le.Config
	cfg.GeneralSettings.MasterKey = e.master
	cfg.BatchgateSettings.Files = config.FileSettings{ExpireAfter: "2d", OutputExpireAfter: "90m"}
	cfg.GeneralSettings.MaxBatchFileSizeMB = 1
	data, err := config.Marshal(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	readyc, errc := make(chan string, 1), make(chan error, 1)
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

	type file struct {
		CreatedAt int64  `json:"created_at"`
		ExpiresAt *int64 `json:"expires_at"`
	}
	check := func(id string, d time.Duration) {
		t.Helper()
		var f file
		e.json(e.master, "GET", "/v1/files/"+id, nil, &f)
		if f.ExpiresAt == nil || *f.ExpiresAt != f.CreatedAt+int64(d/time.Second) {
			t.Errorf("file %s: created_at %d, expires_at %v; want created_at+%v", id, f.CreatedAt, f.ExpiresAt, d)
		}
	}
	in, _ := e.upload(e.master, 2)
	check(in, 48*time.Hour)
	id := e.batch(e.master, in)
	e.waitStatus(e.master, id, "completed")
	var b struct {
		OutputFileID string `json:"output_file_id"`
	}
	e.json(e.master, "GET", "/v1/batches/"+id, nil, &b)
	check(b.OutputFileID, 90*time.Minute)

	// general_settings.max_batch_file_size_mb: 1 refuses a larger upload.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("purpose", "batch")
	w, _ := mw.CreateFormFile("file", "big.jsonl")
	for i := 0; buf.Len() < 3<<20/2; i++ {
		fmt.Fprintf(w, `{"custom_id":"r%d","method":"POST","url":"/v1/chat/completions","body":{"model":%q,"max_tokens":50,"messages":[{"role":"user","content":"hi %d"}]}}`+"\n", i, local.ModelName, i)
	}
	mw.Close()
	if status, body, _ := e.do(e.master, "POST", "/v1/files", mw.FormDataContentType(), &buf); status != 413 {
		t.Errorf("a 1.5 MB upload with max_batch_file_size_mb 1: %d %s; want 413", status, body)
	}
}
