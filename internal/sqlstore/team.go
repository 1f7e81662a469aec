package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/batchgate/batchgate"
)

const teamColumns = `team_id, team_alias, models, members,
	max_budget, spend, budget_duration, budget_reset_at, metadata, created_at, updated_at`

// member is the stored form of a batchgate.TeamMember, named as LiteLLM's
// members_with_roles are, so that the column doesn't depend on Go names.
type member struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// membersArg returns ms as JSON text, or nil (NULL) if ms is nil.
func membersArg(ms []batchgate.TeamMember) (any, error) {
	if ms == nil {
		return nil, nil
	}
	stored := make([]member, len(ms))
	for i, m := range ms {
		stored[i] = member(m)
	}
	b, err := json.Marshal(stored)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// scanMembers decodes the JSON b, leaving *ms nil if b is NULL.
func scanMembers(b []byte, ms *[]batchgate.TeamMember) error {
	if b == nil {
		return nil
	}
	var stored []member
	if err := json.Unmarshal(b, &stored); err != nil {
		return err
	}
	*ms = make([]batchgate.TeamMember, len(stored))
	for i, m := range stored {
		(*ms)[i] = batchgate.TeamMember(m)
	}
	return nil
}

// CreateTeam stores t. It returns ECONFLICT if a team with t.TeamID exists.
func (s *Store) CreateTeam(ctx context.Context, t *batchgate.Team) error {
	models, members, meta, err := teamJSON(t)
	if err != nil {
		return s.D.errorf("create team", err)
	}
	n, err := s.Write.Exec(ctx, `INSERT INTO teams (`+teamColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		t.TeamID, t.TeamAlias, models, members,
		t.MaxBudget, t.Spend, t.BudgetDuration, s.D.TimePtr(t.BudgetResetAt), meta,
		s.D.Time(t.CreatedAt), s.D.Time(t.UpdatedAt))
	if err != nil {
		return s.D.errorf("create team", err)
	}
	if n == 0 {
		return conflict("team", t.TeamID)
	}
	return nil
}

// FindTeamByID returns the team with the given id, or ENOTFOUND.
func (s *Store) FindTeamByID(ctx context.Context, id string) (*batchgate.Team, error) {
	t, err := scanTeam(s.Read.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams WHERE team_id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("team", id)
	}
	if err != nil {
		return nil, s.D.errorf("find team", err)
	}
	return t, nil
}

// FindTeams returns every team, newest first (for GET /team/list).
func (s *Store) FindTeams(ctx context.Context) ([]*batchgate.Team, error) {
	rows, err := s.Read.Query(ctx, `SELECT `+teamColumns+` FROM teams ORDER BY created_at DESC, team_id`)
	teams, err := Collect(rows, err, scanTeam)
	if err != nil {
		return nil, s.D.errorf("find teams", err)
	}
	return teams, nil
}

// UpdateTeam replaces the team with id t.TeamID, or returns ENOTFOUND.
// TeamID, CreatedAt and Spend never change (RecordSpend and ResetBudgets own
// Spend); BudgetResetAt is written only with a new BudgetDuration (or
// none): ResetBudgets moves it on, and a stale copy must not move it back.
func (s *Store) UpdateTeam(ctx context.Context, t *batchgate.Team) error {
	models, members, meta, err := teamJSON(t)
	if err != nil {
		return s.D.errorf("update team", err)
	}
	n, err := s.Write.Exec(ctx, `UPDATE teams SET
		team_alias = ?, models = ?, members = ?,
		max_budget = ?, budget_duration = ?, budget_reset_at = CASE WHEN budget_duration = ? AND budget_duration <> '' THEN budget_reset_at ELSE ? END, metadata = ?, updated_at = ?
		WHERE team_id = ?`,
		t.TeamAlias, models, members,
		t.MaxBudget, t.BudgetDuration, t.BudgetDuration, s.D.TimePtr(t.BudgetResetAt), meta, s.D.Time(t.UpdatedAt),
		t.TeamID)
	if err != nil {
		return s.D.errorf("update team", err)
	}
	if n == 0 {
		return notFound("team", t.TeamID)
	}
	return nil
}

func teamJSON(t *batchgate.Team) (models, members, meta any, err error) {
	if models, err = jsonArg(t.Models); err != nil {
		return nil, nil, nil, fmt.Errorf("models: %w", err)
	}
	if members, err = membersArg(t.Members); err != nil {
		return nil, nil, nil, fmt.Errorf("members: %w", err)
	}
	if meta, err = jsonArg(t.Metadata); err != nil {
		return nil, nil, nil, fmt.Errorf("metadata: %w", err)
	}
	return models, members, meta, nil
}

func scanTeam(row Row) (*batchgate.Team, error) {
	var (
		t                     batchgate.Team
		models, members, meta []byte
	)
	if err := row.Scan(&t.TeamID, &t.TeamAlias, &models, &members,
		&t.MaxBudget, &t.Spend, &t.BudgetDuration, NullTime{&t.BudgetResetAt}, &meta,
		Time{&t.CreatedAt}, Time{&t.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := scanJSON(models, &t.Models); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if err := scanMembers(members, &t.Members); err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	if err := scanJSON(meta, &t.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return &t, nil
}
