package gateway

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate"
)

// NewUser is the body of LiteLLM's /user/new.
type NewUser struct {
	UserID    string // "" for a new "user-..." id
	UserEmail string
	UserAlias string
	Models    []string
	Metadata  map[string]any
	Teams     []string // ids of existing teams the user joins as "user"
	Budget    BudgetChanges
	// AutoCreateKey creates a key for the user, as LiteLLM does unless
	// auto_create_key is false.
	AutoCreateKey bool
	// KeyDuration and KeyAlias are LiteLLM's duration and key_alias of
	// /user/new: they apply to the key made for the user.
	KeyDuration *string
	KeyAlias    *string
}

// CreatedUser is what CreateUser made.
type CreatedUser struct {
	User  *batchgate.User
	Teams []string       // the teams joined, without repeats
	Key   *batchgate.Key // the user's new key, if one was made
	// Secret is Key's secret, shown once.
	Secret string
}

// UserChanges is the body of LiteLLM's /user/update.
type UserChanges struct {
	UserEmail *string
	UserAlias *string
	OwnerChanges
}

func errUserNotFound(id string) error {
	return &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "user_id", Message: fmt.Sprintf("User %q not found.", id)}
}

// CreateUser creates a user, adds it to its teams and, if asked, makes it
// a key (LiteLLM's /user/new).
func (g *Gateway) CreateUser(ctx context.Context, nu NewUser) (*CreatedUser, error) {
	if err := g.checkModels(nu.Models); err != nil {
		return nil, err
	}
	// Checked before anything is stored: a bad duration creates no user.
	keyChanges := KeyChanges{Duration: nu.KeyDuration, KeyAlias: nu.KeyAlias}
	if err := g.applyKey(ctx, keyChanges, &batchgate.Key{}); err != nil {
		return nil, err
	}
	now := g.now()
	u := &batchgate.User{UserID: nu.UserID, UserEmail: nu.UserEmail, UserAlias: nu.UserAlias, Models: nu.Models, Metadata: nu.Metadata, CreatedAt: now, UpdatedAt: now}
	if u.UserID == "" {
		u.UserID = NewID("user-")
	}
	if err := nu.Budget.apply(&u.Budget, now); err != nil {
		return nil, err
	}
	teams := dedupe(nu.Teams) // ["t", "t"] is one membership, and one team for the key
	for _, id := range teams {
		if _, err := g.Store.FindTeamByID(ctx, id); err != nil {
			if batchgate.IsNotFound(err) {
				return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "teams", Message: fmt.Sprintf("Team %q does not exist.", id)}
			}
			return nil, err
		}
	}
	if err := g.Store.CreateUser(ctx, u); err != nil {
		if batchgate.ErrorCode(err) == batchgate.ECONFLICT {
			return nil, &batchgate.Error{Code: batchgate.ECONFLICT, Param: "user_id", Message: fmt.Sprintf("User %q already exists.", u.UserID)}
		}
		return nil, err
	}
	for _, id := range teams {
		if _, err := g.addMembers(ctx, id, []batchgate.TeamMember{{UserID: u.UserID, Role: "user"}}); err != nil {
			return nil, err
		}
	}
	out := &CreatedUser{User: u, Teams: teams}
	if nu.AutoCreateKey {
		out.Secret = NewSecret()
		k := NewKey(out.Secret, now)
		k.UserID = u.UserID
		if len(teams) == 1 {
			k.TeamID = teams[0]
		}
		if err := g.applyKey(ctx, keyChanges, k); err != nil {
			return nil, err
		}
		if err := g.Store.CreateKey(ctx, k); err != nil {
			return nil, err
		}
		out.Key = k
	}
	return out, nil
}

// FindUser returns the user with the given id; ENOTFOUND naming user_id if
// there is none.
func (g *Gateway) FindUser(ctx context.Context, id string) (*batchgate.User, error) {
	u, err := g.Store.FindUserByID(ctx, id)
	if batchgate.IsNotFound(err) {
		return nil, errUserNotFound(id)
	}
	return u, err
}

// FindUsers returns every user, newest first.
func (g *Gateway) FindUsers(ctx context.Context) ([]*batchgate.User, error) {
	return g.Store.FindUsers(ctx)
}

// UserTeams returns the teams of a user: those it is a member of and those
// its keys belong to.
func (g *Gateway) UserTeams(ctx context.Context, userID string, keys []*batchgate.Key) ([]*batchgate.Team, error) {
	ids := map[string]bool{}
	for _, k := range keys {
		if k.TeamID != "" {
			ids[k.TeamID] = true
		}
	}
	all, err := g.Store.FindTeams(ctx)
	if err != nil {
		return nil, err
	}
	var teams []*batchgate.Team
	for _, t := range all {
		member := ids[t.TeamID]
		for _, m := range t.Members {
			member = member || m.UserID == userID
		}
		if member {
			teams = append(teams, t)
		}
	}
	return teams, nil
}

// UpdateUser changes a user (LiteLLM's /user/update), under its lock;
// fields left out stay as they are. Unlike LiteLLM, which creates a user it
// does not know, an unknown id is ENOTFOUND: /user/new creates users.
func (g *Gateway) UpdateUser(ctx context.Context, id string, ch UserChanges) (*batchgate.User, error) {
	if id == "" {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "user_id", Message: "user_id is required"}
	}
	if err := ch.check(g); err != nil {
		return nil, err
	}
	var u *batchgate.User
	err := g.Store.WithLock(ctx, "user:"+id, func(ctx context.Context) error {
		var err error
		if u, err = g.Store.FindUserByID(ctx, id); err != nil {
			return err
		}
		now := g.now()
		if ch.UserEmail != nil {
			u.UserEmail = *ch.UserEmail
		}
		if ch.UserAlias != nil {
			u.UserAlias = *ch.UserAlias
		}
		if err := ch.apply(&u.Models, &u.Metadata, &u.Budget, now); err != nil {
			return err
		}
		u.UpdatedAt = now
		return g.Store.UpdateUser(ctx, u)
	})
	if batchgate.IsNotFound(err) {
		return nil, errUserNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if stored, err := g.Store.FindUserByID(ctx, id); err == nil {
		u = stored
	}
	return u, nil
}
