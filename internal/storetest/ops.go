package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// testFileParts: parts round-trip in order, SaveFileParts replaces, and a
// file without parts has none.
func testFileParts(t *testing.T, s batchgate.Store) {
	ctx := context.Background()
	if got, err := s.FindFileParts(ctx, "file-none"); err != nil || got != nil {
		t.Fatalf("FindFileParts(none) = %v, %v; want nil, nil", got, err)
	}
	parts := []batchgate.FilePart{{Key: "in/a.jsonl", Records: 3, Bytes: 300}, {Key: "in/b.jsonl", Records: 1, Bytes: 5 << 30}}
	if err := s.SaveFileParts(ctx, "file-1", parts); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFileParts(ctx, "file-2", parts[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindFileParts(ctx, "file-1")
	if err != nil || !reflect.DeepEqual(got, parts) {
		t.Fatalf("FindFileParts = %+v, %v; want %+v", got, err, parts)
	}
	repl := []batchgate.FilePart{{Key: "in/c.jsonl", Records: 9, Bytes: 9}}
	if err := s.SaveFileParts(ctx, "file-1", repl); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindFileParts(ctx, "file-1"); err != nil || !reflect.DeepEqual(got, repl) {
		t.Fatalf("after replace: %+v, %v; want %+v", got, err, repl)
	}
	if got, _ := s.FindFileParts(ctx, "file-2"); len(got) != 1 {
		t.Fatalf("file-2 parts = %+v", got)
	}
}

// testBatchJobs: jobs round-trip by index, and saving a job again updates it
// without touching the others.
func testBatchJobs(t *testing.T, s batchgate.Store) {
	ctx := context.Background()
	if got, err := s.FindBatchJobs(ctx, "batch_none"); err != nil || got != nil {
		t.Fatalf("FindBatchJobs(none) = %v, %v; want nil, nil", got, err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	jobs := []batchgate.BatchJob{
		{Index: 1, InputKey: "in/b.jsonl", Records: 5, ClientToken: "batch-x-1", JobName: "batchgate-x-1"},
		{Index: 0, InputKey: "in/a.jsonl", Records: 7, ClientToken: "batch-x", JobName: "batchgate-x",
			JobARN: "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghijkl", JobStatus: "InProgress",
			Message: "m", RequestCounts: batchgate.RequestCounts{Total: 7, Completed: 5, Failed: 2},
			Usage: batchgate.Usage{InputTokens: 100, OutputTokens: 200}, SubmittedAt: &now, SettledAt: &now},
	}
	if err := s.SaveBatchJobs(ctx, "batch_x", jobs); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindBatchJobs(ctx, "batch_x")
	if err != nil {
		t.Fatal(err)
	}
	want := []batchgate.BatchJob{jobs[1], jobs[0]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("FindBatchJobs = %+v\nwant %+v", got, want)
	}
	upd := jobs[0]
	upd.JobARN, upd.JobStatus = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/mnopqrstuvwx", "Submitted"
	if err := s.SaveBatchJobs(ctx, "batch_x", []batchgate.BatchJob{upd}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.FindBatchJobs(ctx, "batch_x")
	if len(got) != 2 || !reflect.DeepEqual(got[1], upd) || !reflect.DeepEqual(got[0], jobs[1]) {
		t.Fatalf("after update: %+v", got)
	}
}
