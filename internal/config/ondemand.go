package config

import "fmt"

// What a batch below Bedrock's minimum of records per job does
// (model_info.batch_below_minimum).
const (
	// BelowMinimumRefuse refuses the batch at creation (the default).
	BelowMinimumRefuse = "refuse"
	// BelowMinimumOnDemand runs it request by request through Bedrock's
	// runtime API (InvokeModel, or Converse for a Converse deployment),
	// billed at on-demand prices.
	BelowMinimumOnDemand = "on_demand"
)

// DefaultOnDemandConcurrency is how many runtime requests of one on-demand
// batch run at once when model_info.batch_on_demand_concurrency is unset.
const DefaultOnDemandConcurrency = 4

// OnDemand reports whether a batch below the minimum runs on demand.
func (m Model) OnDemand() bool { return m.ModelInfo.BatchBelowMinimum == BelowMinimumOnDemand }

// OnDemandConcurrency is how many runtime requests of one on-demand batch
// run at once.
func (m Model) OnDemandConcurrency() int {
	if v := m.ModelInfo.BatchOnDemandConcurrency; v != nil && *v > 0 {
		return *v
	}
	return DefaultOnDemandConcurrency
}

func (m Model) checkOnDemand(at string) error {
	switch m.ModelInfo.BatchBelowMinimum {
	case "", BelowMinimumRefuse, BelowMinimumOnDemand:
	default:
		return &Error{Field: at + ".batch_below_minimum", Message: fmt.Sprintf("%q must be %q or %q", m.ModelInfo.BatchBelowMinimum, BelowMinimumRefuse, BelowMinimumOnDemand)}
	}
	if v := m.ModelInfo.BatchOnDemandConcurrency; v != nil && (*v < 1 || *v > 256) {
		return &Error{Field: at + ".batch_on_demand_concurrency", Message: "must be between 1 and 256"}
	}
	return nil
}
