package gateway

import (
	"context"
	"time"
)

// Reconcile advances the running batches this replica holds or can lease:
// it submits jobs that have not reached Bedrock yet, refreshes the others and
// settles finished ones. A lease in the store makes sure each batch is worked
// by one replica at a time; the stalest batches come first. It returns how
// many batches it looked at.
func (g *Gateway) Reconcile(ctx context.Context) (int, error) {
	batches, err := g.Store.ClaimBatches(ctx, g.ReplicaID, g.now(), g.LeaseTTL, g.ClaimLimit)
	if err != nil {
		return 0, err
	}
	for i, b := range batches {
		if ctx.Err() != nil {
			return i, ctx.Err()
		}
		if err := g.Refresh(ctx, b); err != nil {
			// One batch's trouble must not stop the others.
			g.Log.Warn("reconcile batch", "batch_id", b.ID, "err", err)
		}
	}
	return len(batches), nil
}

// RunReconciler calls Reconcile every interval until ctx ends, so batches
// finish and are billed without any client polling, and resets budgets
// whose period has ended.
func (g *Gateway) RunReconciler(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
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
