package batchgate

import (
	"context"
	"time"
)

// Budget is a spend limit shared by keys, users and teams. Spend is what
// has been billed since the last reset; BudgetDuration ("30d", LiteLLM's
// form) resets it at BudgetResetAt.
type Budget struct {
	MaxBudget      *float64
	Spend          float64
	BudgetDuration string
	BudgetResetAt  *time.Time
}

// SpendLog is one billed batch. BatchID is unique: a batch is billed once.
type SpendLog struct {
	BatchID   string
	Owner     Owner
	Model     string
	ModelID   string
	Usage     Usage
	Cost      float64
	CreatedAt time.Time
	// The prices the batch was billed at (USD per token) and where they
	// came from (model_info, the built-in table, ...), for audits after
	// the configuration has changed.
	InputCostPerToken  float64
	OutputCostPerToken float64
	PriceSource        string
	// Mode is the batch's Mode: "" for Bedrock batch jobs (batch prices),
	// ModeOnDemand for the runtime API (on-demand prices).
	Mode string
}

// SpendFilter selects spend logs: those Scope may see, and of them those
// that match every field set. The zero value of a field does not filter.
type SpendFilter struct {
	Scope Scope
	// KeyID, when not nil, selects the logs of the key with that ID; ""
	// selects the master key's (Owner.KeyID is empty for it).
	KeyID   *string
	UserID  string
	TeamID  string
	BatchID string
	// From and Until bound CreatedAt: From <= CreatedAt < Until.
	From, Until time.Time
}

// SpendStore bills batches and resets budgets; it is part of Store.
type SpendStore interface {
	// RecordSpend bills a batch once: in one transaction it inserts the log
	// and adds the cost to the spend of the key (by ID), user and team of s.Owner
	// (those that exist), replaces the batch's Reserved by its Cost, and
	// reports false when the batch was already billed.
	RecordSpend(ctx context.Context, s *SpendLog) (bool, error)
	// FindSpendLogs returns the spend logs scope may see, newest first.
	// None match (the zero Scope sees none): an empty result, not an error.
	FindSpendLogs(ctx context.Context, scope Scope) ([]*SpendLog, error)
	// QuerySpendLogs returns the spend logs f selects, newest first; none
	// match: an empty result, not an error.
	QuerySpendLogs(ctx context.Context, f SpendFilter) ([]*SpendLog, error)
	// ResetBudgets sets Spend to 0 on keys, users and teams whose
	// BudgetResetAt has passed at now, and moves BudgetResetAt on by their
	// BudgetDuration. It returns how many were reset.
	ResetBudgets(ctx context.Context, now time.Time) (int, error)
}
