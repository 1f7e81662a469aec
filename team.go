package batchgate

import (
	"context"
	"time"
)

// Team groups users and keys under one model list and budget.
type Team struct {
	TeamID    string
	TeamAlias string
	Models    []string // empty means all
	Members   []TeamMember
	Budget
	Metadata  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TeamMember is a user's membership of a team.
type TeamMember struct {
	UserID string
	Role   string // "admin" or "user", as LiteLLM has it
}

// TeamShareKey is the team metadata flag that lets every key of a team see
// the team's files and batches (by default a key sees only its own).
const TeamShareKey = "batchgate_share_batches"

// SharesObjects reports whether the team's keys see each other's files and batches.
func (t *Team) SharesObjects() bool {
	v, _ := t.Metadata[TeamShareKey].(bool)
	return v
}

// TeamStore keeps teams and their members; it is part of Store.
type TeamStore interface {
	// CreateTeam stores t. It returns ECONFLICT if a team with t.TeamID
	// exists.
	CreateTeam(ctx context.Context, t *Team) error
	// FindTeamByID returns the team with the given id, with its members. It
	// returns ENOTFOUND if the team does not exist.
	FindTeamByID(ctx context.Context, id string) (*Team, error)
	// FindTeams returns every team with its members, newest first.
	FindTeams(ctx context.Context) ([]*Team, error)
	// UpdateTeam replaces the team with id t.TeamID. It returns ENOTFOUND
	// if the team does not exist. TeamID, CreatedAt and Spend never change
	// (RecordSpend and ResetBudgets own Spend); BudgetResetAt is written
	// only with a new BudgetDuration.
	UpdateTeam(ctx context.Context, t *Team) error
}
