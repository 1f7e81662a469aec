package batchgate

import (
	"context"
	"time"
)

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
	// CountRunningBatchesOfFile counts the running (non-Terminal) batches
	// whose input file is fileID.
	CountRunningBatchesOfFile(ctx context.Context, fileID string) (int, error)
}
