package storetest

import (
	"maps"
	"slices"
	"testing"

	"github.com/batchgate/batchgate"
)

// testJobDeployments: a batch and a split batch's jobs keep the deployment
// of the model group they run on; once a batch's job exists its deployment
// stays (a stale copy cannot move it); running jobs are counted by
// deployment.
func testJobDeployments(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	mk := func(id, model, status, arn, jobStatus, dep string) *batchgate.Batch {
		b := &batchgate.Batch{ID: id, Model: model, Status: status, Owner: ownerA,
			JobARN: arn, JobStatus: jobStatus, Deployment: dep, CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateBatch(ctx, b))
		return b
	}
	mk("b-east", "m", batchgate.StatusInProgress, "arn:1", "InProgress", "east")
	mk("b-old", "m", batchgate.StatusInProgress, "arn:2", "InProgress", "") // from before groups
	mk("b-ended", "m", batchgate.StatusInProgress, "arn:3", "Completed", "east")
	queued := mk("b-queued", "m", batchgate.StatusValidating, "", "", "east")
	mk("b-split", "m", batchgate.StatusInProgress, "arn:4", "InProgress", "")
	must(t, s.SaveBatchJobs(ctx, "b-split", []batchgate.BatchJob{
		{Index: 0, JobARN: "arn:4", JobStatus: "InProgress", Deployment: "east"},
		{Index: 1, JobARN: "arn:5", JobStatus: "Scheduled", Deployment: "west"},
		{Index: 2, Deployment: "west"}, // placed, not created yet
	}))
	got, err := s.CountRunningJobsByDeployment(ctx, "m")
	if want := map[string]int{"east": 2, "west": 1, "": 1}; err != nil || !maps.Equal(got, want) {
		t.Errorf("CountRunningJobsByDeployment(m) = %v, %v; want %v", got, err, want)
	}
	if got, err := s.CountRunningJobsByDeployment(ctx, "none"); err != nil || len(got) != 0 {
		t.Errorf("CountRunningJobsByDeployment(none) = %v, %v; want none", got, err)
	}
	jobs, err := s.FindBatchJobs(ctx, "b-split")
	if err != nil || len(jobs) != 3 || jobs[0].Deployment != "east" || jobs[1].Deployment != "west" || jobs[2].Deployment != "west" {
		t.Errorf("FindBatchJobs = %+v, %v", jobs, err)
	}

	// A batch without a job moves to another deployment; once its job
	// exists, it stays where the job runs.
	queued.Deployment = "west"
	must(t, s.UpdateBatch(ctx, queued))
	if b, err := s.FindBatchByID(ctx, "b-queued"); err != nil || b.Deployment != "west" {
		t.Errorf("moved batch = %+v, %v; want deployment west", b, err)
	}
	queued.JobARN, queued.JobStatus = "arn:6", "Submitted"
	must(t, s.UpdateBatch(ctx, queued))
	queued.Deployment = "east" // a stale copy
	must(t, s.UpdateBatch(ctx, queued))
	if b, err := s.FindBatchByID(ctx, "b-queued"); err != nil || b.Deployment != "west" {
		t.Errorf("batch with a job = %+v, %v; want deployment west kept", b, err)
	}

	// The input of a running batch, copied into another deployment's
	// bucket, is in use there until the batch ends.
	const key = "batchgate/input/file-dep.jsonl"
	must(t, s.CreateFile(ctx, &batchgate.File{ID: "file-dep", Kind: batchgate.FileInput, Owner: ownerA, CreatedAt: base, Bucket: "east-bucket", Key: key}))
	copied := &batchgate.Batch{ID: "b-copied", Model: "m", InputFileID: "file-dep", Status: batchgate.StatusValidating, Owner: ownerA,
		Deployment: "west", CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, copied))
	if got, err := s.ReferencedObjects(ctx, "west-bucket", []string{key, "batchgate/input/file-none.jsonl"}); err != nil || !slices.Equal(got, []string{key}) {
		t.Errorf("ReferencedObjects(copy of a running batch's input) = %q, %v", got, err)
	}
	copied.Status = batchgate.StatusCompleted
	must(t, s.UpdateBatch(ctx, copied))
	if got, err := s.ReferencedObjects(ctx, "west-bucket", []string{key}); err != nil || len(got) != 0 {
		t.Errorf("ReferencedObjects(copy of an ended batch's input) = %q, %v", got, err)
	}
}
