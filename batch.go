package batchgate

import (
	"context"
	"time"
)

// Batch is an OpenAI batch backed by one Bedrock model invocation job.
type Batch struct {
	ID               string
	Endpoint         string
	InputFileID      string
	CompletionWindow string
	Metadata         map[string]string
	Owner            Owner

	Model   string // model_name the caller asked for
	ModelID string // the deployment's Bedrock model id
	// Mode is how the batch runs: "" as Bedrock batch jobs, ModeOnDemand
	// request by request through the runtime API (a batch below Bedrock's
	// minimum, with model_info.batch_below_minimum: on_demand). Set at
	// creation; it never changes.
	Mode string

	Status  string // OpenAI status
	Message string // why the batch failed, if it did

	// The Bedrock job. ClientToken is stored before CreateModelInvocationJob
	// is called, so a retry after a crash never starts a second job.
	ClientToken  string
	JobName      string
	JobARN       string
	JobStatus    string
	OutputPrefix string // s3://bucket/prefix/ given to Bedrock
	// Deployment is the id of the deployment of the model group the job
	// runs on (or is placed on, before it exists); "" for the group's
	// first. A split batch's jobs each record their own (BatchJob). Like
	// JobARN, it is kept once the job exists.
	Deployment string

	OutputFileID string
	ErrorFileID  string
	// OutputExpiresAfter is how long (seconds) the output and error files
	// live from settlement: OpenAI's output_expires_after (0: the
	// configured default).
	OutputExpiresAfter int64

	RequestCounts RequestCounts
	Usage         Usage
	Cost          float64
	// Reserved is the worst-case cost held against the budgets of the key,
	// user and team while the batch runs; settlement replaces it by Cost.
	Reserved float64

	// LeaseOwner and LeaseUntil say which replica works the batch, so that
	// each running batch is polled by one replica at a time.
	LeaseOwner string
	LeaseUntil *time.Time

	CreatedAt    time.Time
	ExpiresAt    *time.Time
	InProgressAt *time.Time
	FinalizingAt *time.Time
	CompletedAt  *time.Time
	FailedAt     *time.Time
	ExpiredAt    *time.Time
	CancellingAt *time.Time
	CancelledAt  *time.Time
	UpdatedAt    time.Time
}

// OpenAI batch statuses.
const (
	StatusValidating = "validating"
	StatusFailed     = "failed"
	StatusInProgress = "in_progress"
	StatusFinalizing = "finalizing"
	StatusCompleted  = "completed"
	StatusExpired    = "expired"
	StatusCancelling = "cancelling"
	StatusCancelled  = "cancelled"
)

// ModeOnDemand is Batch.Mode (and SpendLog.Mode) of a batch run through
// Bedrock's runtime API (InvokeModel or Converse), billed at on-demand prices.
const ModeOnDemand = "on_demand"

// Terminal reports whether a batch in status s will not change again.
func Terminal(s string) bool {
	switch s {
	case StatusFailed, StatusCompleted, StatusExpired, StatusCancelled:
		return true
	}
	return false
}

// RequestCounts are OpenAI's per-batch request counts.
type RequestCounts struct {
	Total     int64
	Completed int64
	Failed    int64
}

// Usage is token usage.
type Usage struct {
	InputTokens  int64
	OutputTokens int64
}

// BatchFilter selects batches.
type BatchFilter struct {
	Scope       Scope
	NonTerminal bool // only batches that are still running
	Page
}

// BatchStore keeps batches; it is part of Store.
type BatchStore interface {
	// CreateBatch stores b. It returns ECONFLICT if a batch with b.ID exists.
	CreateBatch(ctx context.Context, b *Batch) error
	// FindBatchByID returns the batch with the given id. It returns
	// ENOTFOUND if the batch does not exist. It does not check scope: the
	// caller does, with Scope.Allows(b.Owner).
	FindBatchByID(ctx context.Context, id string) (*Batch, error)
	// FindBatches returns a page of the batches filter.Scope may see (only
	// the running ones when filter.NonTerminal), newest first or oldest
	// first when filter.Ascending. None match: an empty result, not an error.
	FindBatches(ctx context.Context, filter BatchFilter) ([]*Batch, error)
	// UpdateBatch writes b over the stored batch (ID, Owner, CreatedAt and
	// Mode excepted: they never change), keeping what a stale copy
	// must not undo: a Terminal batch is final (ECONFLICT), a JobARN once
	// set stays, cancelling stays until the batch ends, and a billed batch
	// keeps its billed Cost and no reservation (see internal/storetest).
	// It returns ENOTFOUND if the batch does not exist.
	UpdateBatch(ctx context.Context, b *Batch) error

	// ClaimBatches leases up to limit running batches whose lease is free or
	// expired at now to owner until now+ttl, and returns them with the lease
	// set. Batches already leased to owner are returned too (renewed).
	// It returns EINVALID for an empty owner or a ttl that is not positive,
	// and an empty result when no batch is free.
	ClaimBatches(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*Batch, error)
	// ReservedSpend sums Reserved over running batches of the key, the user
	// and the team of owner (empty ids give 0).
	ReservedSpend(ctx context.Context, owner Owner) (key, user, team float64, err error)
}

// BatchOpsStore holds the targeted batch operations of Store: writes that
// change only the columns they name, so that they never undo what another
// writer (the reconciler of some replica) stored meanwhile, and counts the
// gateway would otherwise compute by reading many rows.
type BatchOpsStore interface {
	// MarkCancelling moves a running batch to cancelling and sets its
	// CancellingAt (kept if set) and UpdatedAt to at; nothing else changes
	// (lease, counts, job, timestamps). A batch already cancelling keeps its
	// CancellingAt. It returns ENOTFOUND for a missing batch and ECONFLICT,
	// writing nothing, for a Terminal one.
	MarkCancelling(ctx context.Context, id string, at time.Time) error
	// CountRunningJobs counts the Bedrock jobs of running batches of the
	// model (model_name) that exist (a job ARN) and have not ended (a job
	// status that is not a final Bedrock status): a batch's own job, or for
	// a batch split over several jobs, each of its jobs.
	CountRunningJobs(ctx context.Context, model string) (int, error)
	// CountRunningJobsByDeployment is CountRunningJobs by the deployment
	// each job runs on (Batch.Deployment, BatchJob.Deployment); the map has
	// no entry for a deployment without running jobs.
	CountRunningJobsByDeployment(ctx context.Context, model string) (map[string]int, error)
	// CountRunningBatchesOfFile counts the running (non-Terminal) batches
	// whose input file is fileID.
	CountRunningBatchesOfFile(ctx context.Context, fileID string) (int, error)
}
