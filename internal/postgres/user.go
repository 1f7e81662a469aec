package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

const userColumns = `user_id, user_email, user_alias, models,
	max_budget, spend, budget_duration, budget_reset_at, metadata, created_at, updated_at`

// CreateUser stores u. It returns ECONFLICT if a user with u.UserID exists.
func (db *DB) CreateUser(ctx context.Context, u *batchgate.User) error {
	models, err := jsonArg(u.Models)
	if err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	meta, err := jsonArg(u.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	n, err := affected(db.pool.Exec(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES (`+placeholders(11)+`)
		ON CONFLICT DO NOTHING`,
		u.UserID, u.UserEmail, u.UserAlias, models,
		u.MaxBudget, u.Spend, u.BudgetDuration, u.BudgetResetAt, meta, u.CreatedAt, u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	if n == 0 {
		return conflict("user", u.UserID)
	}
	return nil
}

// FindUserByID returns the user with the given id, or ENOTFOUND.
func (db *DB) FindUserByID(ctx context.Context, id string) (*batchgate.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE user_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: find user: %w", err)
	}
	return u, nil
}

// UpdateUser replaces the user with id u.UserID, or returns ENOTFOUND.
// UserID, CreatedAt and Spend never change (RecordSpend and ResetBudgets own
// Spend); BudgetResetAt is written only with a new BudgetDuration (or
// none): ResetBudgets moves it on, and a stale copy must not move it back.
func (db *DB) UpdateUser(ctx context.Context, u *batchgate.User) error {
	models, err := jsonArg(u.Models)
	if err != nil {
		return fmt.Errorf("postgres: update user: %w", err)
	}
	meta, err := jsonArg(u.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: update user: %w", err)
	}
	n, err := affected(db.pool.Exec(ctx, `UPDATE users SET
		user_email = $1, user_alias = $2, models = $3,
		max_budget = $4, budget_duration = $5, budget_reset_at = CASE WHEN budget_duration = $5 AND budget_duration <> '' THEN budget_reset_at ELSE $6 END, metadata = $7, updated_at = $8
		WHERE user_id = $9`,
		u.UserEmail, u.UserAlias, models,
		u.MaxBudget, u.BudgetDuration, u.BudgetResetAt, meta, u.UpdatedAt,
		u.UserID))
	if err != nil {
		return fmt.Errorf("postgres: update user: %w", err)
	}
	if n == 0 {
		return notFound("user", u.UserID)
	}
	return nil
}

func scanUser(row pgx.Row) (*batchgate.User, error) {
	var (
		u            batchgate.User
		models, meta []byte
		resetAt      *time.Time
	)
	if err := row.Scan(&u.UserID, &u.UserEmail, &u.UserAlias, &models,
		&u.MaxBudget, &u.Spend, &u.BudgetDuration, &resetAt, &meta, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	if err := scanJSON(models, &u.Models); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if err := scanJSON(meta, &u.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	u.BudgetResetAt = utcPtr(resetAt)
	u.CreatedAt = utc(u.CreatedAt)
	u.UpdatedAt = utc(u.UpdatedAt)
	return &u, nil
}
