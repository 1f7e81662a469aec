package postgres

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

// FindUsers returns every user, newest first (for GET /user/list).
func (db *DB) FindUsers(ctx context.Context) ([]*batchgate.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY created_at DESC, user_id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: find users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.User, error) { return scanUser(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: find users: %w", err)
	}
	return users, nil
}

// FindTeams returns every team, newest first (for GET /team/list).
func (db *DB) FindTeams(ctx context.Context) ([]*batchgate.Team, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+teamColumns+` FROM teams ORDER BY created_at DESC, team_id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: find teams: %w", err)
	}
	teams, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.Team, error) { return scanTeam(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: find teams: %w", err)
	}
	return teams, nil
}
