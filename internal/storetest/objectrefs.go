package storetest

import (
	"slices"
	"testing"

	"github.com/batchgate/batchgate"
)

// testObjectRefs: ReferencedObjects names the keys of a bucket that a file
// (its object or one of its parts) or a batch that has not ended (a job's
// input, anything under its output prefix) uses; objects of other buckets,
// of deleted files, of ended batches' prefixes and of nothing are not.
func testObjectRefs(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	const bucket, other = "refs-bucket", "refs-other"
	mk := func(id, kind, bucket, key string) {
		must(t, s.CreateFile(ctx, &batchgate.File{ID: id, Kind: kind, Owner: ownerA, CreatedAt: base, Bucket: bucket, Key: key}))
	}
	mk("file-r-in", batchgate.FileInput, bucket, "batchgate/input/file-r-in.jsonl")
	mk("file-r-split", batchgate.FileInput, bucket, "batchgate/input/file-r-split.jsonl")
	must(t, s.SaveFileParts(ctx, "file-r-split", []batchgate.FilePart{
		{Key: "batchgate/input/file-r-split.jsonl", Records: 1, Bytes: 1},
		{Key: "batchgate/input/file-r-split.part1.jsonl", Records: 1, Bytes: 1},
	}))
	mk("file-r-out", batchgate.FileOutput, bucket, "batchgate/output/batch_r_done/openai/output.jsonl")
	mk("file-r-elsewhere", batchgate.FileInput, other, "batchgate/input/file-r-elsewhere.jsonl")
	mk("file-r-gone", batchgate.FileInput, bucket, "batchgate/input/file-r-gone.jsonl")
	must(t, s.SaveFileParts(ctx, "file-r-gone", []batchgate.FilePart{{Key: "batchgate/input/file-r-gone.part1.jsonl", Records: 1, Bytes: 1}}))
	must(t, s.DeleteFile(ctx, "file-r-gone"))

	batch := func(id, status string) {
		must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: id, InputFileID: "file-r-split", Status: status, Owner: ownerA,
			OutputPrefix: "s3://" + bucket + "/batchgate/output/" + id + "/", CreatedAt: base, UpdatedAt: base}))
		must(t, s.SaveBatchJobs(ctx, id, []batchgate.BatchJob{{Index: 0, InputKey: "batchgate/input/job-of-" + id + ".jsonl", Records: 1}}))
	}
	batch("batch_r_run", batchgate.StatusInProgress)
	batch("batch_r_done", batchgate.StatusCompleted)

	used := []string{
		"batchgate/input/file-r-in.jsonl",
		"batchgate/input/file-r-split.jsonl",
		"batchgate/input/file-r-split.part1.jsonl",
		"batchgate/output/batch_r_done/openai/output.jsonl",
		"batchgate/input/job-of-batch_r_run.jsonl",
		"batchgate/output/batch_r_run/openai/output.jsonl",
		"batchgate/output/batch_r_run/abcdefghijkl/in.jsonl.out",
	}
	unused := []string{
		"batchgate/input/file-r-elsewhere.jsonl", // another bucket's
		"batchgate/input/file-r-gone.jsonl",
		"batchgate/input/file-r-gone.part1.jsonl",
		"batchgate/input/file-r-in.part1.jsonl",
		"batchgate/input/job-of-batch_r_done.jsonl",
		"batchgate/output/batch_r_done/openai/error.jsonl",
		"batchgate/output/batch_r_runner/openai/output.jsonl", // not under batch_r_run/
		"batchgate/output/batch_r_nobody/openai/output.jsonl",
	}
	got, err := s.ReferencedObjects(ctx, bucket, append(slices.Clone(unused), used...))
	must(t, err)
	slices.Sort(got)
	want := slices.Sorted(slices.Values(used))
	if !slices.Equal(got, want) {
		t.Errorf("ReferencedObjects = %q, want %q", got, want)
	}
	if got, err := s.ReferencedObjects(ctx, other, []string{"batchgate/input/file-r-elsewhere.jsonl", "batchgate/input/file-r-in.jsonl"}); err != nil ||
		!slices.Equal(got, []string{"batchgate/input/file-r-elsewhere.jsonl"}) {
		t.Errorf("ReferencedObjects(other bucket) = %q, %v", got, err)
	}
	if got, err := s.ReferencedObjects(ctx, bucket, nil); err != nil || len(got) != 0 {
		t.Errorf("ReferencedObjects(no keys) = %q, %v", got, err)
	}
}
