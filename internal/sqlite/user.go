package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/batchgate/batchgate"
)

const userColumns = `user_id, user_email, user_alias, models,
	max_budget, spend, budget_duration, budget_reset_at, metadata, created_at, updated_at`

// CreateUser stores u. It returns ECONFLICT if a user with u.UserID exists.
func (db *DB) CreateUser(ctx context.Context, u *batchgate.User) error {
	models, err := jsonText(u.Models)
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	meta, err := jsonText(u.Metadata)
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	n, err := affected(db.write.ExecContext(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		u.UserID, u.UserEmail, u.UserAlias, models,
		u.MaxBudget, u.Spend, u.BudgetDuration, millisPtr(u.BudgetResetAt), meta,
		millis(u.CreatedAt), millis(u.UpdatedAt)))
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	if n == 0 {
		return conflict("user", u.UserID)
	}
	return nil
}

// FindUserByID returns the user with the given id, or ENOTFOUND.
func (db *DB) FindUserByID(ctx context.Context, id string) (*batchgate.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE user_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find user: %w", err)
	}
	return u, nil
}

// UpdateUser replaces the user with id u.UserID, or returns ENOTFOUND.
// UserID, CreatedAt and Spend never change (RecordSpend and ResetBudgets own
// Spend); BudgetResetAt is written only with a new BudgetDuration (or
// none): ResetBudgets moves it on, and a stale copy must not move it back.
func (db *DB) UpdateUser(ctx context.Context, u *batchgate.User) error {
	models, err := jsonText(u.Models)
	if err != nil {
		return fmt.Errorf("sqlite: update user: %w", err)
	}
	meta, err := jsonText(u.Metadata)
	if err != nil {
		return fmt.Errorf("sqlite: update user: %w", err)
	}
	n, err := affected(db.write.ExecContext(ctx, `UPDATE users SET
		user_email = ?, user_alias = ?, models = ?,
		max_budget = ?, budget_duration = ?, budget_reset_at = CASE WHEN budget_duration = ? AND budget_duration <> '' THEN budget_reset_at ELSE ? END, metadata = ?, updated_at = ?
		WHERE user_id = ?`,
		u.UserEmail, u.UserAlias, models,
		u.MaxBudget, u.BudgetDuration, u.BudgetDuration, millisPtr(u.BudgetResetAt), meta, millis(u.UpdatedAt),
		u.UserID))
	if err != nil {
		return fmt.Errorf("sqlite: update user: %w", err)
	}
	if n == 0 {
		return notFound("user", u.UserID)
	}
	return nil
}

func scanUser(row rowScanner) (*batchgate.User, error) {
	var (
		u                    batchgate.User
		models, meta         []byte
		maxBudget            sql.NullFloat64
		resetAt              sql.NullInt64
		createdAt, updatedAt int64
	)
	if err := row.Scan(&u.UserID, &u.UserEmail, &u.UserAlias, &models,
		&maxBudget, &u.Spend, &u.BudgetDuration, &resetAt, &meta, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	if err := scanJSON(models, &u.Models); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if err := scanJSON(meta, &u.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if maxBudget.Valid {
		u.MaxBudget = &maxBudget.Float64
	}
	u.BudgetResetAt = fromMillisPtr(resetAt)
	u.CreatedAt = fromMillis(createdAt)
	u.UpdatedAt = fromMillis(updatedAt)
	return &u, nil
}
