package gateway

import (
	"context"
	"time"

	"github.com/batchgate/batchgate"
)

// Reconcile advances every running batch once: submits jobs that have not
// reached Bedrock yet, refreshes the others and settles finished ones. It
// returns how many batches it looked at.
func (g *Gateway) Reconcile(ctx context.Context) (int, error) {
	n := 0
	after := ""
	for {
		page, err := g.Store.FindBatches(ctx, batchgate.BatchFilter{
			Scope: batchgate.Scope{All: true}, NonTerminal: true, Page: batchgate.Page{After: after, Limit: 500},
		})
		if err != nil {
			return n, err
		}
		for _, b := range page {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			n++
			if err := g.Refresh(ctx, b); err != nil {
				// One batch's trouble must not stop the others.
				g.Log.Warn("reconcile batch", "batch_id", b.ID, "err", err)
			}
		}
		if len(page) < 500 {
			return n, nil
		}
		after = page[len(page)-1].ID
	}
}

// RunReconciler calls Reconcile every interval until ctx ends, so batches
// finish and are billed without any client polling.
func (g *Gateway) RunReconciler(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := g.Reconcile(ctx); err != nil && ctx.Err() == nil {
			g.Log.Error("reconcile", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
