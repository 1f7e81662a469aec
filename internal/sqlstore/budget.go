package sqlstore

import (
	"context"
	"math"
	"time"

	"github.com/batchgate/batchgate"
)

// budgetTable is a table of rows with a batchgate.Budget: keys, users, teams.
type budgetTable struct {
	name    string                       // table
	id      string                       // primary key column
	ownerID func(batchgate.Owner) string // the row of an owner
}

// budgetTables are in the order RecordSpend and ResetBudgets write them.
var budgetTables = []budgetTable{
	{"keys", "key_id", func(o batchgate.Owner) string { return o.KeyID }},
	{"users", "user_id", func(o batchgate.Owner) string { return o.UserID }},
	{"teams", "team_id", func(o batchgate.Owner) string { return o.TeamID }},
}

// ResetBudgets sets Spend to 0 on the keys, users and teams whose
// BudgetResetAt is at or before now, and moves BudgetResetAt on by whole
// BudgetDurations to the first time after now (so a long outage doesn't
// leave it in the past, and the reset keeps its phase). Rows whose
// BudgetDuration doesn't parse (or is zero) are left alone. It returns how
// many rows were reset.
//
// Each row is reset by its own UPDATE, guarded by the BudgetResetAt it was
// found with: when replicas reset at once, each row is reset by one of
// them. With Dialect.ResetInOneTx all resets happen in one transaction.
func (s *Store) ResetBudgets(ctx context.Context, now time.Time) (int, error) {
	reset := 0
	run := func(q Querier) error {
		for _, t := range budgetTables {
			type due struct {
				id, duration string
				resetAt      time.Time
			}
			rows, err := q.Query(ctx, `SELECT `+t.id+`, budget_duration, budget_reset_at FROM `+t.name+`
				WHERE budget_reset_at <= ?`, s.D.Time(now))
			dues, err := Collect(rows, err, func(row Row) (due, error) {
				var d due
				err := row.Scan(&d.id, &d.duration, Time{&d.resetAt})
				return d, err
			})
			if err != nil {
				return err
			}
			for _, d := range dues {
				next, ok := nextReset(d.resetAt, d.duration, now)
				if !ok {
					continue
				}
				n, err := q.Exec(ctx, `UPDATE `+t.name+` SET spend = 0, budget_reset_at = ?
					WHERE `+t.id+` = ? AND budget_reset_at = ?`, s.D.Time(next), d.id, s.D.Time(d.resetAt))
				if err != nil {
					return err
				}
				reset += int(n)
			}
		}
		return nil
	}
	if !s.D.ResetInOneTx {
		if err := run(s.Write); err != nil {
			return reset, s.D.errorf("reset budgets", err)
		}
		return reset, nil
	}
	if err := s.InTx(ctx, run); err != nil {
		return 0, s.D.errorf("reset budgets", err)
	}
	return reset, nil
}

// nextReset returns resetAt moved on by whole periods of duration to the
// first time after now, and false if duration is not a positive
// batchgate.ParseDuration duration. resetAt must not be after now.
func nextReset(resetAt time.Time, duration string, now time.Time) (time.Time, bool) {
	d, err := batchgate.ParseDuration(duration)
	if err != nil || d <= 0 {
		return time.Time{}, false
	}
	n := now.Sub(resetAt)/d + 1 // periods to add; now.Sub saturates
	if n > math.MaxInt64/d {
		return now.Add(d), true // centuries overdue: start afresh
	}
	return resetAt.Add(n * d), true
}
