package sqlstore

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate"
)

const keyColumns = `key_id, token, key_name, key_alias, models, user_id, team_id,
	max_budget, spend, budget_duration, budget_reset_at, metadata, expires_at, blocked, created_at, updated_at,
	key_type, duration, tpm_limit, rpm_limit, max_parallel_requests, soft_budget, allowed_routes`

// The key's token is a secret's hash: errors don't echo it.
func errKeyNotFound() error { return batchgate.Errorf(batchgate.ENOTFOUND, "key not found") }
func errKeyConflict() error { return batchgate.Errorf(batchgate.ECONFLICT, "key already exists") }

// CreateKey stores k. It returns ECONFLICT if a key with k.ID or k.Token
// exists, and EINVALID without an ID: the empty ID is the master key's.
func (s *Store) CreateKey(ctx context.Context, k *batchgate.Key) error {
	if k.ID == "" {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "key_id", Message: "a key needs an ID"}
	}
	models, meta, routes, err := keyJSON(k)
	if err != nil {
		return s.D.errorf("create key", err)
	}
	n, err := s.Write.Exec(ctx, `INSERT INTO keys (`+keyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		k.ID, k.Token, k.KeyName, k.KeyAlias, models, k.UserID, k.TeamID,
		k.MaxBudget, k.Spend, k.BudgetDuration, s.D.TimePtr(k.BudgetResetAt), meta, s.D.TimePtr(k.ExpiresAt), k.Blocked,
		s.D.Time(k.CreatedAt), s.D.Time(k.UpdatedAt),
		k.KeyType, k.Duration, k.TPMLimit, k.RPMLimit, k.MaxParallelRequests, k.SoftBudget, routes)
	if err != nil {
		return s.D.errorf("create key", err)
	}
	if n == 0 {
		return errKeyConflict()
	}
	return nil
}

// FindKeyByToken returns the key with the given token, or ENOTFOUND.
func (s *Store) FindKeyByToken(ctx context.Context, token string) (*batchgate.Key, error) {
	k, err := scanKey(s.Read.QueryRow(ctx, `SELECT `+keyColumns+` FROM keys WHERE token = ?`, token))
	if isNoRows(err) {
		return nil, errKeyNotFound()
	}
	if err != nil {
		return nil, s.D.errorf("find key", err)
	}
	return k, nil
}

// FindKeys returns the keys of user userID and team teamID, newest first.
// An empty userID or teamID does not filter: FindKeys(ctx, "", "") returns
// every key.
func (s *Store) FindKeys(ctx context.Context, userID, teamID string) ([]*batchgate.Key, error) {
	var w Where
	if userID != "" {
		w.Add("user_id = ?", userID)
	}
	if teamID != "" {
		w.Add("team_id = ?", teamID)
	}
	rows, err := s.Read.Query(ctx, `SELECT `+keyColumns+` FROM keys`+w.String()+
		` ORDER BY created_at DESC, token DESC`, w.Args...)
	keys, err := Collect(rows, err, scanKey)
	if err != nil {
		return nil, s.D.errorf("find keys", err)
	}
	return keys, nil
}

// UpdateKey replaces the key with token k.Token and ID k.ID, or returns
// ENOTFOUND: a copy read before its key was deleted and its secret issued
// again does not write over the new key. ID, Token and CreatedAt never
// change, and neither does Spend: RecordSpend adds to it atomically, which
// a read-modify-write here could undo. BudgetResetAt is written only with a
// new BudgetDuration (or none): ResetBudgets moves it on, and a stale copy
// must not move it back.
func (s *Store) UpdateKey(ctx context.Context, k *batchgate.Key) error {
	models, meta, routes, err := keyJSON(k)
	if err != nil {
		return s.D.errorf("update key", err)
	}
	n, err := s.Write.Exec(ctx, `UPDATE keys SET
		key_name = ?, key_alias = ?, models = ?, user_id = ?, team_id = ?,
		max_budget = ?, budget_duration = ?, budget_reset_at = CASE WHEN budget_duration = ? AND budget_duration <> '' THEN budget_reset_at ELSE ? END,
		metadata = ?, expires_at = ?, blocked = ?, updated_at = ?,
		key_type = ?, duration = ?, tpm_limit = ?, rpm_limit = ?, max_parallel_requests = ?, soft_budget = ?, allowed_routes = ?
		WHERE token = ? AND key_id = ?`,
		k.KeyName, k.KeyAlias, models, k.UserID, k.TeamID,
		k.MaxBudget, k.BudgetDuration, k.BudgetDuration, s.D.TimePtr(k.BudgetResetAt), meta, s.D.TimePtr(k.ExpiresAt), k.Blocked, s.D.Time(k.UpdatedAt),
		k.KeyType, k.Duration, k.TPMLimit, k.RPMLimit, k.MaxParallelRequests, k.SoftBudget, routes,
		k.Token, k.ID)
	if err != nil {
		return s.D.errorf("update key", err)
	}
	if n == 0 {
		return errKeyNotFound()
	}
	return nil
}

// DeleteKey deletes the key with the given token, or returns ENOTFOUND. The
// key's files, batches and spend logs stay.
func (s *Store) DeleteKey(ctx context.Context, token string) error {
	n, err := s.Write.Exec(ctx, `DELETE FROM keys WHERE token = ?`, token)
	if err != nil {
		return s.D.errorf("delete key", err)
	}
	if n == 0 {
		return errKeyNotFound()
	}
	return nil
}

func keyJSON(k *batchgate.Key) (models, meta, routes any, err error) {
	if models, err = jsonArg(k.Models); err != nil {
		return nil, nil, nil, err
	}
	if meta, err = jsonArg(k.Metadata); err != nil {
		return nil, nil, nil, err
	}
	if routes, err = jsonArg(k.AllowedRoutes); err != nil {
		return nil, nil, nil, err
	}
	return models, meta, routes, nil
}

func scanKey(row Row) (*batchgate.Key, error) {
	var (
		k                    batchgate.Key
		models, meta, routes []byte
	)
	if err := row.Scan(&k.ID, &k.Token, &k.KeyName, &k.KeyAlias, &models, &k.UserID, &k.TeamID,
		&k.MaxBudget, &k.Spend, &k.BudgetDuration, NullTime{&k.BudgetResetAt}, &meta, NullTime{&k.ExpiresAt}, &k.Blocked,
		Time{&k.CreatedAt}, Time{&k.UpdatedAt},
		&k.KeyType, &k.Duration, &k.TPMLimit, &k.RPMLimit, &k.MaxParallelRequests, &k.SoftBudget, &routes); err != nil {
		return nil, err
	}
	if err := scanJSON(models, &k.Models); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if err := scanJSON(meta, &k.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if err := scanJSON(routes, &k.AllowedRoutes); err != nil {
		return nil, fmt.Errorf("allowed_routes: %w", err)
	}
	return &k, nil
}
