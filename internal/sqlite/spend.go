package sqlite

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate"
)

const spendColumns = `batch_id, owner_key_id, owner_user_id, owner_team_id,
	model, model_id, input_tokens, output_tokens, cost, created_at,
	input_cost_per_token, output_cost_per_token, price_source`

// RecordSpend bills a batch once: in one transaction it inserts s and adds
// s.Cost to the spend of the key, the user and the team of s.Owner, each if
// it exists, and replaces the batch's reservation by its cost. It reports
// false, changing nothing, if s.BatchID was already billed.
func (db *DB) RecordSpend(ctx context.Context, s *batchgate.SpendLog) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: record spend: %w", err)
	}
	defer tx.Rollback()
	n, err := affected(tx.ExecContext(ctx, `INSERT INTO spend_logs (`+spendColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		s.BatchID, s.Owner.KeyID, s.Owner.UserID, s.Owner.TeamID, s.Model, s.ModelID,
		s.Usage.InputTokens, s.Usage.OutputTokens, s.Cost, millis(s.CreatedAt),
		s.InputCostPerToken, s.OutputCostPerToken, s.PriceSource))
	if err != nil {
		return false, fmt.Errorf("sqlite: record spend: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	// The batch is billed: its reservation gives way to the cost in the same
	// transaction, so no budget ever counts both.
	if _, err := tx.ExecContext(ctx, `UPDATE batches SET reserved = 0, cost = ? WHERE id = ?`, s.Cost, s.BatchID); err != nil {
		return false, fmt.Errorf("sqlite: record spend: %w", err)
	}
	for _, t := range budgetTables {
		id := t.ownerID(s.Owner)
		if id == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+t.name+` SET spend = spend + ? WHERE `+t.id+` = ?`,
			s.Cost, id); err != nil {
			return false, fmt.Errorf("sqlite: record spend: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: record spend: %w", err)
	}
	return true, nil
}

// FindSpendLogs returns the spend logs scope may see, newest first.
func (db *DB) FindSpendLogs(ctx context.Context, scope batchgate.Scope) ([]*batchgate.SpendLog, error) {
	cond, args, ok := scopeSQL(scope)
	if !ok {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+spendColumns+` FROM spend_logs WHERE `+cond+
		` ORDER BY created_at DESC, batch_id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find spend logs: %w", err)
	}
	defer rows.Close()
	var logs []*batchgate.SpendLog
	for rows.Next() {
		var (
			s         batchgate.SpendLog
			createdAt int64
		)
		if err := rows.Scan(&s.BatchID, &s.Owner.KeyID, &s.Owner.UserID, &s.Owner.TeamID,
			&s.Model, &s.ModelID, &s.Usage.InputTokens, &s.Usage.OutputTokens, &s.Cost, &createdAt,
			&s.InputCostPerToken, &s.OutputCostPerToken, &s.PriceSource); err != nil {
			return nil, fmt.Errorf("sqlite: find spend logs: %w", err)
		}
		s.CreatedAt = fromMillis(createdAt)
		logs = append(logs, &s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find spend logs: %w", err)
	}
	return logs, nil
}
