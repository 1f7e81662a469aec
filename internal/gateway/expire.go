package gateway

import (
	"context"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
)

// errInputDeleted is the message of a batch whose input file went before
// its job (or one of its jobs) could be submitted.
const errInputDeleted = "the input file was deleted before the job could be submitted"

// errQueueExpired is the message of a job that never left the queue.
const errQueueExpired = "the batch expired before the job could be submitted"

// queueExpired reports whether batch b, waiting for a job slot, is past its
// expires_at (created_at + completion_window): it must not start any more.
func (g *Gateway) queueExpired(b *batchgate.Batch) bool {
	return b.ExpiresAt != nil && !g.now().Before(*b.ExpiresAt)
}

// expireQueued ends a batch that expired before any of its jobs was
// submitted. It settles like any other batch, so the reservation is
// released, the (empty) usage billed once, and the terminal write goes
// through Store.UpdateBatch (the webhook's batch.expired).
func (g *Gateway) expireQueued(ctx context.Context, d *Deployment, b *batchgate.Batch) error {
	g.Log.InfoContext(ctx, "batch expired in the queue", "batch_id", b.ID, "expires_at", b.ExpiresAt)
	return g.settle(ctx, d, b, &bedrock.Job{Status: "Expired", Message: errQueueExpired}, batchgate.StatusExpired)
}

// countsUnprocessed reports whether the records a batch ending in status
// left unprocessed count as failed. A completed batch counts them always;
// a cancelled or expired one when its jobs wrote a manifest, which is when
// the batch gets result files whose error file lists the unprocessed
// records (writeUnprocessed: batch_cancelled, batch_expired).
func countsUnprocessed(status string, manifest bool) bool {
	switch status {
	case batchgate.StatusCompleted:
		return true
	case batchgate.StatusCancelled, batchgate.StatusExpired:
		return manifest
	}
	return false
}
