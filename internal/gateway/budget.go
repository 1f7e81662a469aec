package gateway

import (
	"context"
	"fmt"
	"sync"

	"github.com/batchgate/batchgate"
)

// budgetLock is the Store lock that serialises the budget check and the
// insert of the batch that holds the reservation, so that two batches
// created at once, by one replica or by several sharing the database,
// cannot both fit in a budget that holds only one. One lock for all
// budgets: a batch is checked against its key's, user's and team's at once.
const budgetLock = "budget"

// holdBudgets checks the caller's budgets for a batch that reserves cost
// (see checkBudgets) and, when any budget applies, keeps other creations
// from checking until release is called, which the caller does once the
// batch, with its reservation, is stored. release may be called twice.
func (g *Gateway) holdBudgets(ctx context.Context, c Caller, cost float64) (release func(), err error) {
	if !c.budgeted() && !c.parallelLimited() {
		return func() {}, nil
	}
	// WithLock holds the lock for as long as its fn runs: fn checks, then
	// waits, on a goroutine of its own, until the caller releases.
	checked := make(chan struct{})
	done := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		defer func() { // a panic here would take the process down
			if r := recover(); r != nil {
				result <- fmt.Errorf("budget check panicked: %v", r)
			}
		}()
		result <- g.Store.WithLock(ctx, budgetLock, func(ctx context.Context) error {
			if err := g.checkParallel(ctx, c); err != nil {
				return err
			}
			if err := g.checkBudgets(ctx, c, cost); err != nil {
				return err
			}
			close(checked)
			<-done
			return nil
		})
	}()
	select {
	case <-checked:
	case err := <-result:
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-result // the lock is free again
		})
	}, nil
}

// budgeted reports whether a budget applies to the caller.
func (c Caller) budgeted() bool {
	return c.Key != nil && (c.Key.MaxBudget != nil || (c.User != nil && c.User.MaxBudget != nil) || (c.Team != nil && c.Team.MaxBudget != nil))
}

// checkBudgets refuses a batch whose worst-case cost, added to what the key,
// its user and its team have spent and hold in reservations for running
// batches, would exceed any of their budgets.
func (g *Gateway) checkBudgets(ctx context.Context, c Caller, cost float64) error {
	if c.Key == nil {
		return nil
	}
	// Reservations first, spend second: a batch settled in between then
	// counts twice (which errs on the safe side) rather than not at all.
	keyRes, userRes, teamRes, err := g.Store.ReservedSpend(ctx, c.Owner)
	if err != nil {
		return err
	}
	// The same token may by now be another key (deleted, its secret issued
	// again): only this key's own row is fresher.
	switch k, err := g.Store.FindKeyByToken(ctx, c.Key.Token); {
	case err == nil && k.ID == c.Key.ID:
		c.Key = k
	case err != nil && !batchgate.IsNotFound(err):
		return err
	}
	if c.User != nil {
		if u, err := g.Store.FindUserByID(ctx, c.User.UserID); err == nil {
			c.User = u
		} else if !batchgate.IsNotFound(err) {
			return err
		}
	}
	if c.Team != nil {
		if t, err := g.Store.FindTeamByID(ctx, c.Team.TeamID); err == nil {
			c.Team = t
		} else if !batchgate.IsNotFound(err) {
			return err
		}
	}
	check := func(kind, id string, b batchgate.Budget, reserved float64) error {
		if b.MaxBudget == nil {
			return nil
		}
		if total := b.Spend + reserved + cost; total > *b.MaxBudget {
			return &batchgate.Error{Code: batchgate.EBUDGET, Message: fmt.Sprintf(
				"Budget exceeded for %s %s: spent $%.6f, $%.6f reserved by running batches, and this batch may cost up to $%.6f (input tokens plus every request's max_tokens, at the prices it runs at); max_budget is $%.6f.",
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
