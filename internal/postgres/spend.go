package postgres

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

const spendColumns = `batch_id, owner_key_id, owner_user_id, owner_team_id,
	model, model_id, input_tokens, output_tokens, cost, created_at,
	input_cost_per_token, output_cost_per_token, price_source`

// RecordSpend bills a batch once: in one transaction it inserts s and adds
// s.Cost to the spend of the key, the user and the team of s.Owner, each if
// it exists, and replaces the batch's reservation by its cost. It reports false, changing nothing, if s.BatchID was already
// billed. A concurrent call for the same batch waits on the first one's
// insert and then inserts nothing. The rows are updated in one order (keys,
// users, teams), so that concurrent calls don't deadlock.
func (db *DB) RecordSpend(ctx context.Context, s *batchgate.SpendLog) (bool, error) {
	var billed bool
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		n, err := affected(tx.Exec(ctx, `INSERT INTO spend_logs (`+spendColumns+`)
			VALUES (`+placeholders(13)+`)
			ON CONFLICT DO NOTHING`,
			s.BatchID, s.Owner.KeyID, s.Owner.UserID, s.Owner.TeamID, s.Model, s.ModelID,
			s.Usage.InputTokens, s.Usage.OutputTokens, s.Cost, s.CreatedAt,
			s.InputCostPerToken, s.OutputCostPerToken, s.PriceSource))
		if err != nil || n == 0 {
			return err
		}
		// The batch is billed: its reservation gives way to the cost in the
		// same transaction, so no budget ever counts both.
		if _, err := tx.Exec(ctx, `UPDATE batches SET reserved = 0, cost = $1 WHERE id = $2`, s.Cost, s.BatchID); err != nil {
			return err
		}
		for _, t := range budgetTables {
			id := t.ownerID(s.Owner)
			if id == "" {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE `+t.name+` SET spend = spend + $1 WHERE `+t.id+` = $2`,
				s.Cost, id); err != nil {
				return err
			}
		}
		billed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("postgres: record spend: %w", err)
	}
	return billed, nil
}

// FindSpendLogs returns the spend logs scope may see, newest first.
func (db *DB) FindSpendLogs(ctx context.Context, scope batchgate.Scope) ([]*batchgate.SpendLog, error) {
	var q query
	cond, ok := q.scope(scope)
	if !ok {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+spendColumns+` FROM spend_logs WHERE `+cond+
		` ORDER BY created_at DESC, batch_id DESC`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: find spend logs: %w", err)
	}
	logs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.SpendLog, error) {
		var s batchgate.SpendLog
		if err := row.Scan(&s.BatchID, &s.Owner.KeyID, &s.Owner.UserID, &s.Owner.TeamID,
			&s.Model, &s.ModelID, &s.Usage.InputTokens, &s.Usage.OutputTokens, &s.Cost, &s.CreatedAt,
			&s.InputCostPerToken, &s.OutputCostPerToken, &s.PriceSource); err != nil {
			return nil, err
		}
		s.CreatedAt = utc(s.CreatedAt)
		return &s, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: find spend logs: %w", err)
	}
	return logs, nil
}
