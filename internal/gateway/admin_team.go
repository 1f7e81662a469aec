package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
)

// NewTeam is the body of LiteLLM's /team/new.
type NewTeam struct {
	TeamID    string // "" for a new "team-..." id
	TeamAlias string
	Models    []string
	Members   []batchgate.TeamMember
	Metadata  map[string]any
	Budget    BudgetChanges
}

// OwnerChanges holds what /team/update and /user/update change alike; a
// nil field stays as it is.
type OwnerChanges struct {
	Models   *[]string
	Metadata *map[string]any
	Budget   BudgetChanges
}

func (c OwnerChanges) check(g *Gateway) error {
	if c.Models == nil {
		return nil
	}
	return g.checkModels(*c.Models)
}

// apply sets the fields sent on a team's or a user's models, metadata and budget.
func (c OwnerChanges) apply(models *[]string, metadata *map[string]any, b *batchgate.Budget, now time.Time) error {
	if c.Models != nil {
		*models = *c.Models
	}
	if c.Metadata != nil {
		*metadata = *c.Metadata
	}
	return c.Budget.apply(b, now)
}

// TeamChanges is the body of LiteLLM's /team/update.
type TeamChanges struct {
	TeamAlias *string
	OwnerChanges
}

func errTeamNotFound(id string) error {
	return &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "team_id", Message: fmt.Sprintf("Team %q not found.", id)}
}

// CreateTeam creates a team (LiteLLM's /team/new).
func (g *Gateway) CreateTeam(ctx context.Context, nt NewTeam) (*batchgate.Team, error) {
	if err := g.checkModels(nt.Models); err != nil {
		return nil, err
	}
	now := g.now()
	t := &batchgate.Team{TeamID: nt.TeamID, TeamAlias: nt.TeamAlias, Models: nt.Models, Metadata: nt.Metadata, CreatedAt: now, UpdatedAt: now}
	if t.TeamID == "" {
		t.TeamID = NewID("team-")
	}
	for _, m := range nt.Members {
		if err := addMember(t, m); err != nil {
			return nil, err
		}
	}
	if err := nt.Budget.apply(&t.Budget, now); err != nil {
		return nil, err
	}
	if err := g.Store.CreateTeam(ctx, t); err != nil {
		if batchgate.ErrorCode(err) == batchgate.ECONFLICT {
			return nil, &batchgate.Error{Code: batchgate.ECONFLICT, Param: "team_id", Message: fmt.Sprintf("Team %q already exists.", t.TeamID)}
		}
		return nil, err
	}
	return t, nil
}

// addMember adds m to t, or sets its role if it is a member already.
func addMember(t *batchgate.Team, m batchgate.TeamMember) error {
	if m.UserID == "" {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "member.user_id", Message: "a team member needs a user_id"}
	}
	if m.Role == "" {
		m.Role = "user"
	}
	if m.Role != "user" && m.Role != "admin" {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "member.role", Message: fmt.Sprintf("role %q must be user or admin", m.Role)}
	}
	for i, x := range t.Members {
		if x.UserID == m.UserID {
			t.Members[i].Role = m.Role
			return nil
		}
	}
	t.Members = append(t.Members, m)
	return nil
}

// FindTeam returns the team with the given id; ENOTFOUND naming team_id if
// there is none.
func (g *Gateway) FindTeam(ctx context.Context, id string) (*batchgate.Team, error) {
	t, err := g.Store.FindTeamByID(ctx, id)
	if batchgate.IsNotFound(err) {
		return nil, errTeamNotFound(id)
	}
	return t, err
}

// FindTeams returns every team, newest first.
func (g *Gateway) FindTeams(ctx context.Context) ([]*batchgate.Team, error) {
	return g.Store.FindTeams(ctx)
}

// changeTeam reads, changes and writes a team under its lock "team:"+id,
// so that concurrent changes (on this replica or others sharing the
// database) don't drop each other's. It returns the team as stored
// afterwards.
func (g *Gateway) changeTeam(ctx context.Context, id string, f func(t *batchgate.Team, now time.Time) error) (*batchgate.Team, error) {
	var t *batchgate.Team
	err := g.Store.WithLock(ctx, "team:"+id, func(ctx context.Context) error {
		var err error
		if t, err = g.Store.FindTeamByID(ctx, id); err != nil {
			return err
		}
		now := g.now()
		if err := f(t, now); err != nil {
			return err
		}
		t.UpdatedAt = now
		return g.Store.UpdateTeam(ctx, t)
	})
	if batchgate.IsNotFound(err) {
		return nil, errTeamNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTeam changes a team (LiteLLM's /team/update); fields left out stay
// as they are.
func (g *Gateway) UpdateTeam(ctx context.Context, id string, ch TeamChanges) (*batchgate.Team, error) {
	if id == "" {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "team_id", Message: "team_id is required"}
	}
	if err := ch.check(g); err != nil {
		return nil, err
	}
	t, err := g.changeTeam(ctx, id, func(t *batchgate.Team, now time.Time) error {
		if ch.TeamAlias != nil {
			t.TeamAlias = *ch.TeamAlias
		}
		return ch.apply(&t.Models, &t.Metadata, &t.Budget, now)
	})
	if err != nil {
		return nil, err
	}
	if stored, err := g.Store.FindTeamByID(ctx, t.TeamID); err == nil {
		t = stored // with the spend and budget period as they are now
	}
	return t, nil
}

// AddTeamMembers adds members to a team (LiteLLM's /team/member_add); a
// member that is not a user yet becomes one, as in LiteLLM.
func (g *Gateway) AddTeamMembers(ctx context.Context, teamID string, members []batchgate.TeamMember) (*batchgate.Team, error) {
	if len(members) == 0 { // nothing to add is a mistake, not a success
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "member", Message: "member is required: {\"user_id\", \"role\"} or a non-empty list of them"}
	}
	now := g.now()
	for _, m := range members {
		if err := addMember(&batchgate.Team{}, m); err != nil {
			return nil, err
		}
		if _, err := g.Store.FindUserByID(ctx, m.UserID); batchgate.IsNotFound(err) {
			u := &batchgate.User{UserID: m.UserID, CreatedAt: now, UpdatedAt: now}
			if err := g.Store.CreateUser(ctx, u); err != nil && batchgate.ErrorCode(err) != batchgate.ECONFLICT {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
	}
	return g.addMembers(ctx, teamID, members)
}

func (g *Gateway) addMembers(ctx context.Context, teamID string, members []batchgate.TeamMember) (*batchgate.Team, error) {
	return g.changeTeam(ctx, teamID, func(t *batchgate.Team, _ time.Time) error {
		for _, m := range members {
			if err := addMember(t, m); err != nil {
				return err
			}
		}
		return nil
	})
}
