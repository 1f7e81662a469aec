package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/batchgate/batchgate"
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
	models, err := jsonText(k.Models)
	if err != nil {
		return fmt.Errorf("sqlite: create key: %w", err)
	}
	meta, err := jsonText(k.Metadata)
	if err != nil {
		return fmt.Errorf("sqlite: create key: %w", err)
	}
	n, err := affected(db.write.ExecContext(ctx, `INSERT INTO keys (`+keyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		k.ID, k.Token, k.KeyName, k.KeyAlias, models, k.UserID, k.TeamID,
		k.MaxBudget, k.Spend, k.BudgetDuration, millisPtr(k.BudgetResetAt), meta, millisPtr(k.ExpiresAt), k.Blocked, millis(k.CreatedAt), millis(k.UpdatedAt)))
	if err != nil {
		return fmt.Errorf("sqlite: create key: %w", err)
	}
	if n == 0 {
		return errKeyConflict()
	}
	return nil
}

// FindKeyByToken returns the key with the given token, or ENOTFOUND.
func (db *DB) FindKeyByToken(ctx context.Context, token string) (*batchgate.Key, error) {
	k, err := scanKey(db.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE token = ?`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errKeyNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find key: %w", err)
	}
	return k, nil
}

// FindKeys returns the keys of user userID and team teamID, newest first.
// An empty userID or teamID does not filter: FindKeys(ctx, "", "") returns
// every key.
func (db *DB) FindKeys(ctx context.Context, userID, teamID string) ([]*batchgate.Key, error) {
	var w where
	if userID != "" {
		w.add("user_id = ?", userID)
	}
	if teamID != "" {
		w.add("team_id = ?", teamID)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys`+w.String()+
		` ORDER BY created_at DESC, token DESC`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find keys: %w", err)
	}
	defer rows.Close()
	var keys []*batchgate.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find keys: %w", err)
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
	models, err := jsonText(k.Models)
	if err != nil {
		return fmt.Errorf("sqlite: update key: %w", err)
	}
	meta, err := jsonText(k.Metadata)
	if err != nil {
		return fmt.Errorf("sqlite: update key: %w", err)
	}
	n, err := affected(db.write.ExecContext(ctx, `UPDATE keys SET
		key_name = ?, key_alias = ?, models = ?, user_id = ?, team_id = ?,
		max_budget = ?, budget_duration = ?, budget_reset_at = CASE WHEN budget_duration = ? AND budget_duration <> '' THEN budget_reset_at ELSE ? END,
		metadata = ?, expires_at = ?, blocked = ?, updated_at = ?
		WHERE token = ? AND key_id = ?`,
		k.KeyName, k.KeyAlias, models, k.UserID, k.TeamID,
		k.MaxBudget, k.BudgetDuration, k.BudgetDuration, millisPtr(k.BudgetResetAt), meta, millisPtr(k.ExpiresAt), k.Blocked, millis(k.UpdatedAt),
		k.Token, k.ID))
	if err != nil {
		return fmt.Errorf("sqlite: update key: %w", err)
	}
	if n == 0 {
		return errKeyNotFound()
	}
	return nil
}

// DeleteKey deletes the key with the given token, or returns ENOTFOUND. The
// key's files, batches and spend logs stay.
func (db *DB) DeleteKey(ctx context.Context, token string) error {
	n, err := affected(db.write.ExecContext(ctx, `DELETE FROM keys WHERE token = ?`, token))
	if err != nil {
		return fmt.Errorf("sqlite: delete key: %w", err)
	}
	if n == 0 {
		return errKeyNotFound()
	}
	return nil
}

func scanKey(row rowScanner) (*batchgate.Key, error) {
	var (
		k                    batchgate.Key
		models, meta         []byte
		expires, resetAt     sql.NullInt64
		maxBudget            sql.NullFloat64
		createdAt, updatedAt int64
	)
	if err := row.Scan(&k.ID, &k.Token, &k.KeyName, &k.KeyAlias, &models, &k.UserID, &k.TeamID,
		&maxBudget, &k.Spend, &k.BudgetDuration, &resetAt, &meta, &expires, &k.Blocked, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	if err := scanJSON(models, &k.Models); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if err := scanJSON(meta, &k.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if maxBudget.Valid {
		k.MaxBudget = &maxBudget.Float64
	}
	k.BudgetResetAt = fromMillisPtr(resetAt)
	k.ExpiresAt = fromMillisPtr(expires)
	k.CreatedAt = fromMillis(createdAt)
	k.UpdatedAt = fromMillis(updatedAt)
	return &k, nil
}
