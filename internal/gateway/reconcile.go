package gateway

import (
	"context"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
)

// workable reports whether this pass works batch b: not while it backs off
// after a failed Bedrock call, not while a request of this replica submits
// it, not when Bedrock throttled its model earlier in the pass, and not when
// its lease is about to end (a slow pass must not overlap with the replica
// that takes the batch over).
func (g *Gateway) workable(b *batchgate.Batch, throttled *throttleSet) bool {
	now := g.now()
	if throttled.has(b.Model) || !g.due(b.ID, now) {
		return false
	}
	if b.LeaseUntil != nil && g.LeaseTTL > 0 && b.LeaseUntil.Sub(now) < g.LeaseTTL/4 {
		return false
	}
	return true
}

// Reconcile advances the running batches this replica holds or can lease:
// it submits jobs that have not reached Bedrock yet, refreshes the others and
// settles finished ones. A lease in the store makes sure each batch is worked
// by one replica at a time; the stalest batches come first. Up to
// ReconcileWorkers batches are worked at once (see reconcile_workers.go). It
// returns how many batches it looked at.
func (g *Gateway) Reconcile(ctx context.Context) (int, error) {
	batches, err := g.Store.ClaimBatches(ctx, g.ReplicaID, g.now(), g.LeaseTTL, g.ClaimLimit)
	if err != nil {
		return 0, err
	}
	throttled := &throttleSet{} // models Bedrock throttled in this pass
	n := g.forEachBatch(ctx, batches, func(b *batchgate.Batch) { g.reconcileBatch(ctx, b, throttled) })
	if err := ctx.Err(); err != nil {
		return n, err
	}
	return len(batches), nil
}

// reconcileBatch works one claimed batch of a pass, unless it backs off, its
// model was throttled earlier in the pass or its lease is about to end.
func (g *Gateway) reconcileBatch(ctx context.Context, b *batchgate.Batch, throttled *throttleSet) {
	if !g.workable(b, throttled) {
		return
	}
	// One batch's trouble must not stop the others: it backs off alone.
	err := g.Refresh(ctx, b)
	delay := g.backoff(b.ID, err, g.now())
	switch {
	case err == nil:
	case isQueued(err):
		g.Log.Info("batch queued", "batch_id", b.ID, "retry_in", delay.String(), "reason", err.Error())
	default:
		g.Log.Warn("reconcile batch", "batch_id", b.ID, "retry_in", delay.String(), "err", err)
	}
	if bedrock.Throttled(err) {
		// Bedrock's API rate limit: leave this model's other batches for
		// the next pass rather than adding to the throttling.
		throttled.add(b.Model)
	}
}

// RunReconciler calls Reconcile every interval until ctx ends, so batches
// finish and are billed without any client polling, resets budgets whose
// period has ended, and deletes expired files (every minute).
func (g *Gateway) RunReconciler(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var swept, expired time.Time
	for {
		if now := g.now(); now.Sub(expired) >= time.Minute {
			// Files whose expires_at has passed (every minute).
			expired = now
			if _, err := g.ExpireFiles(ctx); err != nil && ctx.Err() == nil {
				g.Log.Warn("expire files", "err", err)
			}
		}
		if now := g.now(); now.Sub(swept) >= time.Hour {
			// What a crashed gateway left behind (hourly): unfinished
			// multipart uploads.
			swept = now
			if _, err := g.AbortStaleUploads(ctx); err != nil && ctx.Err() == nil {
				g.Log.Warn("abort stale uploads", "err", err)
			}
			// And finished objects that nothing references.
			if _, err := g.DeleteOrphanObjects(ctx); err != nil && ctx.Err() == nil {
				g.Log.Warn("delete orphaned objects", "err", err)
			}
		}
		if _, err := g.Reconcile(ctx); err != nil && ctx.Err() == nil {
			g.Log.Error("reconcile", "err", err)
		}
		if n, err := g.Store.ResetBudgets(ctx, g.now()); err != nil && ctx.Err() == nil {
			g.Log.Error("reset budgets", "err", err)
		} else if n > 0 {
			g.Log.Info("budgets reset", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
