package sqlstore

import (
	"context"

	"github.com/batchgate/batchgate"
)

const spendColumns = `batch_id, owner_key_id, owner_user_id, owner_team_id,
	model, model_id, input_tokens, output_tokens, cost, created_at,
	input_cost_per_token, output_cost_per_token, price_source, mode`

// RecordSpend bills a batch once: in one transaction it inserts sl and adds
// sl.Cost to the spend of the key, the user and the team of sl.Owner, each
// if it exists, and replaces the batch's reservation by its cost. It reports
// false, changing nothing, if sl.BatchID was already billed. A concurrent
// call for the same batch waits on the first one's insert and then inserts
// nothing. The rows are updated in one order (keys, users, teams), so that
// concurrent calls don't deadlock.
func (s *Store) RecordSpend(ctx context.Context, sl *batchgate.SpendLog) (bool, error) {
	var billed bool
	err := s.InTx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `INSERT INTO spend_logs (`+spendColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`,
			sl.BatchID, sl.Owner.KeyID, sl.Owner.UserID, sl.Owner.TeamID, sl.Model, sl.ModelID,
			sl.Usage.InputTokens, sl.Usage.OutputTokens, sl.Cost, s.D.Time(sl.CreatedAt),
			sl.InputCostPerToken, sl.OutputCostPerToken, sl.PriceSource, sl.Mode)
		if err != nil || n == 0 {
			return err
		}
		// The batch is billed: its reservation gives way to the cost in the
		// same transaction, so no budget ever counts both.
		if _, err := tx.Exec(ctx, `UPDATE batches SET reserved = 0, cost = ? WHERE id = ?`, sl.Cost, sl.BatchID); err != nil {
			return err
		}
		for _, t := range budgetTables {
			id := t.ownerID(sl.Owner)
			if id == "" {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE `+t.name+` SET spend = spend + ? WHERE `+t.id+` = ?`,
				sl.Cost, id); err != nil {
				return err
			}
		}
		billed = true
		return nil
	})
	if err != nil {
		return false, s.D.errorf("record spend", err)
	}
	return billed, nil
}

// FindSpendLogs returns the spend logs scope may see, newest first.
func (s *Store) FindSpendLogs(ctx context.Context, scope batchgate.Scope) ([]*batchgate.SpendLog, error) {
	return s.QuerySpendLogs(ctx, batchgate.SpendFilter{Scope: scope})
}

// QuerySpendLogs returns the spend logs f selects, newest first.
func (s *Store) QuerySpendLogs(ctx context.Context, f batchgate.SpendFilter) ([]*batchgate.SpendLog, error) {
	cond, args, ok := ScopeSQL(f.Scope)
	if !ok {
		return nil, nil
	}
	var w Where
	w.Add(cond, args...)
	if f.KeyID != nil {
		w.Add("owner_key_id = ?", *f.KeyID)
	}
	for _, c := range []struct{ col, v string }{{"owner_user_id", f.UserID}, {"owner_team_id", f.TeamID}, {"batch_id", f.BatchID}} {
		if c.v != "" {
			w.Add(c.col+" = ?", c.v)
		}
	}
	if !f.From.IsZero() {
		w.Add("created_at >= ?", s.D.Time(f.From))
	}
	if !f.Until.IsZero() {
		w.Add("created_at < ?", s.D.Time(f.Until))
	}
	rows, err := s.Read.Query(ctx, `SELECT `+spendColumns+` FROM spend_logs`+w.String()+
		` ORDER BY created_at DESC, batch_id DESC`, w.Args...)
	logs, err := Collect(rows, err, func(row Row) (*batchgate.SpendLog, error) {
		var sl batchgate.SpendLog
		err := row.Scan(&sl.BatchID, &sl.Owner.KeyID, &sl.Owner.UserID, &sl.Owner.TeamID,
			&sl.Model, &sl.ModelID, &sl.Usage.InputTokens, &sl.Usage.OutputTokens, &sl.Cost, Time{&sl.CreatedAt},
			&sl.InputCostPerToken, &sl.OutputCostPerToken, &sl.PriceSource, &sl.Mode)
		return &sl, err
	})
	if err != nil {
		return nil, s.D.errorf("find spend logs", err)
	}
	return logs, nil
}
