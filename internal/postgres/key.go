package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

const keyColumns = `key_id, token, key_name, key_alias, models, user_id, team_id,
	max_budget, spend, budget_duration, budget_reset_at, metadata, expires_at, blocked, created_at, updated_at`

// The key's token is a secret's hash: errors don't echo it.
func errKeyNotFound() error { return batchgate.Errorf(batchgate.ENOTFOUND, "key not found") }
func errKeyConflict() error { return batchgate.Errorf(batchgate.ECONFLICT, "key already exists") }

// CreateKey stores k. It returns ECONFLICT if a key with k.ID or k.Token
// exists, and EINVALID without an ID: the empty ID is the master key's.
func (db *DB) CreateKey(ctx context.Context, k *batchgate.Key) error {
	if k.ID == "" {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "key_id", Message: "a key needs an ID"}
	}
	models, err := jsonArg(k.Models)
	if err != nil {
		return fmt.Errorf("postgres: create key: %w", err)
	}
	meta, err := jsonArg(k.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: create key: %w", err)
	}
	n, err := affected(db.pool.Exec(ctx, `INSERT INTO keys (`+keyColumns+`)
		VALUES (`+placeholders(16)+`)
		ON CONFLICT DO NOTHING`,
		k.ID, k.Token, k.KeyName, k.KeyAlias, models, k.UserID, k.TeamID,
		k.MaxBudget, k.Spend, k.BudgetDuration, k.BudgetResetAt, meta, k.ExpiresAt, k.Blocked, k.CreatedAt, k.UpdatedAt))
	if err != nil {
		return fmt.Errorf("postgres: create key: %w", err)
	}
	if n == 0 {
		return errKeyConflict()
	}
	return nil
}

// FindKeyByToken returns the key with the given token, or ENOTFOUND.
func (db *DB) FindKeyByToken(ctx context.Context, token string) (*batchgate.Key, error) {
	k, err := scanKey(db.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM keys WHERE token = $1`, token))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errKeyNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: find key: %w", err)
	}
	return k, nil
}

// FindKeys returns the keys of user userID and team teamID, newest first.
// An empty userID or teamID does not filter: FindKeys(ctx, "", "") returns
// every key.
func (db *DB) FindKeys(ctx context.Context, userID, teamID string) ([]*batchgate.Key, error) {
	var q query
	if userID != "" {
		q.add("user_id = " + q.arg(userID))
	}
	if teamID != "" {
		q.add("team_id = " + q.arg(teamID))
	}
	rows, err := db.pool.Query(ctx, `SELECT `+keyColumns+` FROM keys`+q.where()+
		` ORDER BY created_at DESC, token DESC`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: find keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.Key, error) { return scanKey(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: find keys: %w", err)
	}
	return keys, nil
}

// UpdateKey replaces the key with token k.Token and ID k.ID, or returns
// ENOTFOUND: a copy read before its key was deleted and its secret issued
// again does not write over the new key. ID, Token and CreatedAt never change, and neither does Spend: RecordSpend adds
// to it atomically, which a read-modify-write here could undo. BudgetResetAt
// is written only with a new BudgetDuration (or none): ResetBudgets moves
// it on, and a stale copy must not move it back.
func (db *DB) UpdateKey(ctx context.Context, k *batchgate.Key) error {
	models, err := jsonArg(k.Models)
	if err != nil {
		return fmt.Errorf("postgres: update key: %w", err)
	}
	meta, err := jsonArg(k.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: update key: %w", err)
	}
	n, err := affected(db.pool.Exec(ctx, `UPDATE keys SET
		key_name = $1, key_alias = $2, models = $3, user_id = $4, team_id = $5,
		max_budget = $6, budget_duration = $7, budget_reset_at = CASE WHEN budget_duration = $7 AND budget_duration <> '' THEN budget_reset_at ELSE $8 END,
		metadata = $9, expires_at = $10, updated_at = $11, blocked = $13
		WHERE token = $12 AND key_id = $14`,
		k.KeyName, k.KeyAlias, models, k.UserID, k.TeamID,
		k.MaxBudget, k.BudgetDuration, k.BudgetResetAt, meta, k.ExpiresAt, k.UpdatedAt,
		k.Token, k.Blocked, k.ID))
	if err != nil {
		return fmt.Errorf("postgres: update key: %w", err)
	}
	if n == 0 {
		return errKeyNotFound()
	}
	return nil
}

// DeleteKey deletes the key with the given token, or returns ENOTFOUND. The
// key's files, batches and spend logs stay.
func (db *DB) DeleteKey(ctx context.Context, token string) error {
	n, err := affected(db.pool.Exec(ctx, `DELETE FROM keys WHERE token = $1`, token))
	if err != nil {
		return fmt.Errorf("postgres: delete key: %w", err)
	}
	if n == 0 {
		return errKeyNotFound()
	}
	return nil
}

func scanKey(row pgx.Row) (*batchgate.Key, error) {
	var (
		k            batchgate.Key
		models, meta []byte
		expires      *time.Time
		resetAt      *time.Time
	)
	if err := row.Scan(&k.ID, &k.Token, &k.KeyName, &k.KeyAlias, &models, &k.UserID, &k.TeamID,
		&k.MaxBudget, &k.Spend, &k.BudgetDuration, &resetAt, &meta, &expires, &k.Blocked, &k.CreatedAt, &k.UpdatedAt); err != nil {
		return nil, err
	}
	if err := scanJSON(models, &k.Models); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if err := scanJSON(meta, &k.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	k.BudgetResetAt = utcPtr(resetAt)
	k.ExpiresAt = utcPtr(expires)
	k.CreatedAt = utc(k.CreatedAt)
	k.UpdatedAt = utc(k.UpdatedAt)
	return &k, nil
}
