package batchgate

import (
	"context"
	"time"
)

// FilePart is one S3 object of an input file that Bedrock's per-job quotas
// (records or bytes) made batchgate split: each part runs as its own job.
// A file that fits one job has no parts (its Bucket/Key is the object).
type FilePart struct {
	Key     string
	Records int
	Bytes   int64 // bytes of the translated records in the object
}

// BatchJob is one of the Bedrock jobs of a batch whose input file has
// several parts. Job 0 mirrors the batch's ClientToken, JobName, JobARN and
// JobStatus. Each job's token is stored before its CreateModelInvocationJob
// call, as for a single-job batch.
type BatchJob struct {
	Index       int
	InputKey    string // the part's S3 key (bucket: the input file's)
	Records     int
	ClientToken string
	JobName     string
	JobARN      string // empty until Bedrock created the job
	// Deployment is the id of the deployment of the model group the job
	// runs on ("" for the group's first), stored before the job is created.
	Deployment string
	JobStatus  string
	Message    string
	// Counts and tokens of the job, from GetModelInvocationJob and, once it
	// ended, its manifest.
	RequestCounts RequestCounts
	Usage         Usage
	SubmittedAt   *time.Time
	SettledAt     *time.Time // the manifest was read
}

// JobStore keeps the parts of split input files and the jobs of split
// batches; it is part of Store.
type JobStore interface {
	// SaveFileParts stores the parts of a file, replacing any it had. It
	// does not check that the file exists.
	SaveFileParts(ctx context.Context, fileID string, parts []FilePart) error
	// FindFileParts returns a file's parts in order; none (not ENOTFOUND)
	// for an unsplit or missing file.
	FindFileParts(ctx context.Context, fileID string) ([]FilePart, error)
	// SaveBatchJobs stores (inserts or replaces by Index) the given jobs of
	// a batch. It does not check that the batch exists.
	SaveBatchJobs(ctx context.Context, batchID string, jobs []BatchJob) error
	// FindBatchJobs returns a batch's jobs by Index; none (not ENOTFOUND)
	// for a single-job or missing batch.
	FindBatchJobs(ctx context.Context, batchID string) ([]BatchJob, error)
}
