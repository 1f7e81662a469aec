package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
)

// The admin side of the gateway (LiteLLM's /key, /user and /team routes):
// admin_key.go, admin_user.go and admin_team.go create, change and delete
// keys, users and teams. They own the checks (model names, budgets), the
// read-modify-write under the store's locks and the clock, so that
// internal/httpapi only decodes, calls them and encodes.

// BudgetChanges holds LiteLLM's budget fields, shared by keys, users and
// teams. A field left out (nil, SetMaxBudget false) stays as it is.
type BudgetChanges struct {
	// SetMaxBudget says max_budget was sent; MaxBudget nil then clears
	// the budget (as LiteLLM's max_budget null does).
	SetMaxBudget bool
	MaxBudget    *float64
	// BudgetDuration "" ends the budget period; another value starts a
	// new one, unless it is the period already running.
	BudgetDuration *string
}

// apply sets the budget fields; a new duration restarts the period at now.
func (c BudgetChanges) apply(b *batchgate.Budget, now time.Time) error {
	if c.SetMaxBudget {
		if v := c.MaxBudget; v != nil && *v < 0 {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "max_budget", Message: "max_budget must not be negative"}
		}
		b.MaxBudget = c.MaxBudget
	}
	if c.BudgetDuration != nil {
		if *c.BudgetDuration == "" {
			b.BudgetDuration, b.BudgetResetAt = "", nil
			return nil
		}
		d, err := batchgate.ParseDuration(*c.BudgetDuration)
		if err != nil || d <= 0 {
			msg := fmt.Sprintf("budget_duration %q must be a positive duration such as \"30d\"", *c.BudgetDuration)
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "budget_duration", Message: msg}
		}
		if *c.BudgetDuration == b.BudgetDuration && b.BudgetResetAt != nil {
			return nil // the same period goes on (the store keeps its reset time)
		}
		b.BudgetDuration, b.BudgetResetAt = *c.BudgetDuration, ptr(now.Add(d))
	}
	return nil
}

// checkModels checks a model list of a key, user or team. Any names pass,
// as LiteLLM stores them: names the config does not serve (a LiteLLM
// deployment's other models), all-proxy-models, all-team-models and
// wildcards such as "bedrock/*". Access is enforced for the names
// batchgate serves (batchgate.ModelAllowed, Caller.AllowsModel); only an
// empty name, which means nothing, is refused.
func (g *Gateway) checkModels(models []string) error {
	for _, m := range models {
		if strings.TrimSpace(m) == "" {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "models", Message: fmt.Sprintf("models must not hold an empty name; the config's model names are %v", g.modelNames())}
		}
	}
	return nil
}

func (g *Gateway) modelNames() []string {
	var names []string
	for _, d := range g.Models(Caller{}) {
		names = append(names, d.Name())
	}
	return names
}

// dedupe returns s without repeated values, in first-seen order.
func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// FindSpendLogs returns the spend logs the caller may see (LiteLLM's
// /spend/logs): all for the master key, its own for a virtual key.
func (g *Gateway) FindSpendLogs(ctx context.Context, c Caller) ([]*batchgate.SpendLog, error) {
	return g.Store.FindSpendLogs(ctx, c.Scope)
}
