package sqlite

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate"
)

// FindUsers returns every user, newest first (for GET /user/list).
func (db *DB) FindUsers(ctx context.Context) ([]*batchgate.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY created_at DESC, user_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find users: %w", err)
	}
	defer rows.Close()
	var users []*batchgate.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find users: %w", err)
	}
	return users, nil
}

// FindTeams returns every team, newest first (for GET /team/list).
func (db *DB) FindTeams(ctx context.Context) ([]*batchgate.Team, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+teamColumns+` FROM teams ORDER BY created_at DESC, team_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find teams: %w", err)
	}
	defer rows.Close()
	var teams []*batchgate.Team
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find teams: %w", err)
		}
		teams = append(teams, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find teams: %w", err)
	}
	return teams, nil
}
