package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
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
// found with: when replicas reset at once, each row is reset by one of them.
func (db *DB) ResetBudgets(ctx context.Context, now time.Time) (int, error) {
	reset := 0
	for _, t := range budgetTables {
		type due struct {
			id, duration string
			resetAt      time.Time
		}
		rows, err := db.pool.Query(ctx, `SELECT `+t.id+`, budget_duration, budget_reset_at FROM `+t.name+`
			WHERE budget_reset_at <= $1`, now)
		if err != nil {
			return reset, fmt.Errorf("postgres: reset budgets: %w", err)
		}
		dues, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
			var d due
			err := row.Scan(&d.id, &d.duration, &d.resetAt)
			return d, err
		})
		if err != nil {
			return reset, fmt.Errorf("postgres: reset budgets: %w", err)
		}
		for _, d := range dues {
			next, ok := nextReset(d.resetAt, d.duration, now)
			if !ok {
				continue
			}
			n, err := affected(db.pool.Exec(ctx, `UPDATE `+t.name+` SET spend = 0, budget_reset_at = $1
				WHERE `+t.id+` = $2 AND budget_reset_at = $3`, next, d.id, d.resetAt))
			if err != nil {
				return reset, fmt.Errorf("postgres: reset budgets: %w", err)
			}
			reset += int(n)
		}
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
