package sqlstore

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate"
)

const userColumns = `user_id, user_email, user_alias, models,
	max_budget, spend, budget_duration, budget_reset_at, metadata, created_at, updated_at`

// CreateUser stores u. It returns ECONFLICT if a user with u.UserID exists.
func (s *Store) CreateUser(ctx context.Context, u *batchgate.User) error {
	models, meta, err := userJSON(u)
	if err != nil {
		return s.D.errorf("create user", err)
	}
	n, err := s.Write.Exec(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		u.UserID, u.UserEmail, u.UserAlias, models,
		u.MaxBudget, u.Spend, u.BudgetDuration, s.D.TimePtr(u.BudgetResetAt), meta,
		s.D.Time(u.CreatedAt), s.D.Time(u.UpdatedAt))
	if err != nil {
		return s.D.errorf("create user", err)
	}
	if n == 0 {
		return conflict("user", u.UserID)
	}
	return nil
}

// FindUserByID returns the user with the given id, or ENOTFOUND.
func (s *Store) FindUserByID(ctx context.Context, id string) (*batchgate.User, error) {
	u, err := scanUser(s.Read.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE user_id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, s.D.errorf("find user", err)
	}
	return u, nil
}

// FindUsers returns every user, newest first (for GET /user/list).
func (s *Store) FindUsers(ctx context.Context) ([]*batchgate.User, error) {
	rows, err := s.Read.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY created_at DESC, user_id`)
	users, err := Collect(rows, err, scanUser)
	if err != nil {
		return nil, s.D.errorf("find users", err)
	}
	return users, nil
}

// UpdateUser replaces the user with id u.UserID, or returns ENOTFOUND.
// UserID, CreatedAt and Spend never change (RecordSpend and ResetBudgets own
// Spend); BudgetResetAt is written only with a new BudgetDuration (or
// none): ResetBudgets moves it on, and a stale copy must not move it back.
func (s *Store) UpdateUser(ctx context.Context, u *batchgate.User) error {
	models, meta, err := userJSON(u)
	if err != nil {
		return s.D.errorf("update user", err)
	}
	n, err := s.Write.Exec(ctx, `UPDATE users SET
		user_email = ?, user_alias = ?, models = ?,
		max_budget = ?, budget_duration = ?, budget_reset_at = CASE WHEN budget_duration = ? AND budget_duration <> '' THEN budget_reset_at ELSE ? END, metadata = ?, updated_at = ?
		WHERE user_id = ?`,
		u.UserEmail, u.UserAlias, models,
		u.MaxBudget, u.BudgetDuration, u.BudgetDuration, s.D.TimePtr(u.BudgetResetAt), meta, s.D.Time(u.UpdatedAt),
		u.UserID)
	if err != nil {
		return s.D.errorf("update user", err)
	}
	if n == 0 {
		return notFound("user", u.UserID)
	}
	return nil
}

func userJSON(u *batchgate.User) (models, meta any, err error) {
	if models, err = jsonArg(u.Models); err != nil {
		return nil, nil, err
	}
	if meta, err = jsonArg(u.Metadata); err != nil {
		return nil, nil, err
	}
	return models, meta, nil
}

func scanUser(row Row) (*batchgate.User, error) {
	var (
		u            batchgate.User
		models, meta []byte
	)
	if err := row.Scan(&u.UserID, &u.UserEmail, &u.UserAlias, &models,
		&u.MaxBudget, &u.Spend, &u.BudgetDuration, NullTime{&u.BudgetResetAt}, &meta,
		Time{&u.CreatedAt}, Time{&u.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := scanJSON(models, &u.Models); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if err := scanJSON(meta, &u.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return &u, nil
}
