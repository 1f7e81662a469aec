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
// left unprocessed count as failed, with a line each in the error file
// (writeUnprocessed: batch_cancelled, batch_expired), so that
// request_counts.completed + failed is the total. A completed or cancelled
// batch counts them always; an expired one when its jobs left a manifest or
// output (one that expired in the queue ends with nothing processed); a
// failed batch keeps the counts Bedrock reported.
func countsUnprocessed(status string, output bool) bool {
	switch status {
	case batchgate.StatusCompleted, batchgate.StatusCancelled:
		return true
	case batchgate.StatusExpired:
		return output
	}
	return false
}
