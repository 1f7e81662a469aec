package gateway

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/batchgate/batchgate"
)

// DefaultReconcileWorkers is how many batches a reconciliation pass works at
// once when Gateway.ReconcileWorkers is 0.
const DefaultReconcileWorkers = 8

// reconcileWorkers is the size of a pass's worker pool.
func (g *Gateway) reconcileWorkers() int {
	if g.ReconcileWorkers <= 0 {
		return DefaultReconcileWorkers
	}
	return g.ReconcileWorkers
}

// forEachBatch calls work for each batch, on up to reconcileWorkers
// goroutines, taking the batches in order (the stalest first). It stops
// taking batches once ctx ends and returns how many it took.
func (g *Gateway) forEachBatch(ctx context.Context, batches []*batchgate.Batch, work func(*batchgate.Batch)) int {
	workers := min(g.reconcileWorkers(), len(batches))
	var (
		next  atomic.Int64
		taken atomic.Int64
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(batches) {
					return
				}
				taken.Add(1)
				work(batches[i])
			}
		}()
	}
	wg.Wait()
	return int(taken.Load())
}

// throttleSet is the models Bedrock throttled in one pass. Every worker
// checks it before it works a batch, so once one Get or Create of a model is
// throttled, no further call for that model starts in the pass (calls
// already under way on other workers finish).
type throttleSet struct {
	mu     sync.Mutex
	models map[string]bool
}

func (t *throttleSet) has(model string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.models[model]
}

func (t *throttleSet) add(model string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.models == nil {
		t.models = map[string]bool{}
	}
	t.models[model] = true
}

// submitLock serialises this replica's job submissions for a deployment
// that has a batch_max_concurrent_jobs quota, from the check of free slots
// until the created job is stored, so that two submissions (reconciler
// workers, or a request and the reconciler) never both take the last slot.
// Deployments without the quota are not serialised. It returns the unlock.
func (g *Gateway) submitLock(d *Deployment) func() {
	if d.Quotas.MaxConcurrentJobs <= 0 {
		return func() {}
	}
	m, _ := g.ops.submit.LoadOrStore(d.ID, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
