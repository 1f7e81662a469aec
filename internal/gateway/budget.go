package gateway

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate"
)

// checkBudgets refuses a batch whose worst-case cost, added to what the key,
// its user and its team have spent and hold in reservations for running
// batches, would exceed any of their budgets.
func (g *Gateway) checkBudgets(ctx context.Context, c Caller, cost float64) error {
	if c.Key == nil {
		return nil
	}
	keyRes, userRes, teamRes, err := g.Store.ReservedSpend(ctx, c.Owner)
	if err != nil {
		return err
	}
	check := func(kind, id string, b batchgate.Budget, reserved float64) error {
		if b.MaxBudget == nil {
			return nil
		}
		if total := b.Spend + reserved + cost; total > *b.MaxBudget {
			return &batchgate.Error{Code: batchgate.EBUDGET, Message: fmt.Sprintf(
				"Budget exceeded for %s %s: spent $%.6f, $%.6f reserved by running batches, and this batch may cost up to $%.6f (input tokens plus every request's max_tokens at batch prices); max_budget is $%.6f.",
				kind, id, b.Spend, reserved, cost, *b.MaxBudget)}
		}
		return nil
	}
	if err := check("key", c.Key.KeyName, c.Key.Budget, keyRes); err != nil {
		return err
	}
	if c.User != nil {
		if err := check("user", c.User.UserID, c.User.Budget, userRes); err != nil {
			return err
		}
	}
	if c.Team != nil {
		return check("team", c.Team.TeamID, c.Team.Budget, teamRes)
	}
	return nil
}
