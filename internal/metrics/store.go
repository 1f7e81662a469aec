package metrics

import (
	"context"
	"time"

	"github.com/batchgate/batchgate"
)

// Store wraps a batchgate.Store, counting spend as it is billed (once per
// batch: RecordSpend reports duplicates) and reconciliation passes (each
// pass starts with ClaimBatches).
type Store struct {
	batchgate.Store
	Metrics *Metrics
}

// WrapStore returns s instrumented; with nil metrics it returns s.
func (m *Metrics) WrapStore(s batchgate.Store) batchgate.Store {
	if m == nil {
		return s
	}
	return &Store{Store: s, Metrics: m}
}

// RecordSpend bills the batch and counts its cost and tokens if it was not billed before.
func (s *Store) RecordSpend(ctx context.Context, l *batchgate.SpendLog) (bool, error) {
	ok, err := s.Store.RecordSpend(ctx, l)
	if err == nil && ok {
		s.Metrics.spend.WithLabelValues(l.Model).Add(l.Cost)
		s.Metrics.tokens.WithLabelValues(l.Model, "input").Add(float64(l.Usage.InputTokens))
		s.Metrics.tokens.WithLabelValues(l.Model, "output").Add(float64(l.Usage.OutputTokens))
	}
	return ok, err
}

// ClaimBatches starts a reconciliation pass.
func (s *Store) ClaimBatches(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*batchgate.Batch, error) {
	s.Metrics.reconcilePasses.Inc()
	s.Metrics.reconcileLast.Set(float64(time.Now().UnixNano()) / 1e9)
	return s.Store.ClaimBatches(ctx, owner, now, ttl, limit)
}

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() batchgate.Store { return s.Store }
