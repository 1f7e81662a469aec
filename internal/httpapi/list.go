package httpapi

import (
	"context"
	"net/http"
	"sort"

	"github.com/batchgate/batchgate"
)

// userLister and teamLister are implemented by the SQLite and PostgreSQL
// stores. They are optional so that other Store implementations keep
// compiling; without them the lists are derived from keys and team members.
type userLister interface {
	FindUsers(ctx context.Context) ([]*batchgate.User, error)
}

type teamLister interface {
	FindTeams(ctx context.Context) ([]*batchgate.Team, error)
}

// handleUserList answers GET /user/list (master key) as LiteLLM does:
// {"users": [...], "total", "page", "page_size", "total_pages"}.
func (s *Server) handleUserList() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		users, err := s.users(r.Context())
		if err != nil {
			return err
		}
		out := make([]userInfo, len(users))
		for i, u := range users {
			out[i] = newUserInfo(u)
		}
		return encode(w, http.StatusOK, map[string]any{
			"users": out, "total": len(out), "page": 1, "page_size": len(out), "total_pages": 1,
		})
	})
}

// handleTeamList answers GET /team/list (master key) as LiteLLM does: a JSON array of teams.
func (s *Server) handleTeamList() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		teams, err := s.teams(r.Context())
		if err != nil {
			return err
		}
		out := make([]teamInfo, len(teams))
		for i, t := range teams {
			out[i] = newTeamInfo(t)
		}
		return encode(w, http.StatusOK, out)
	})
}

func (s *Server) users(ctx context.Context) ([]*batchgate.User, error) {
	if l, ok := s.Gateway.Store.(userLister); ok {
		return l.FindUsers(ctx)
	}
	keys, err := s.Gateway.Store.FindKeys(ctx, "", "")
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, k := range keys {
		if k.UserID != "" {
			ids[k.UserID] = true
		}
	}
	teams, err := s.teams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		for _, m := range t.Members {
			ids[m.UserID] = true
		}
	}
	var out []*batchgate.User
	for id := range ids {
		u, err := s.Gateway.Store.FindUserByID(ctx, id)
		if batchgate.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func (s *Server) teams(ctx context.Context) ([]*batchgate.Team, error) {
	if l, ok := s.Gateway.Store.(teamLister); ok {
		return l.FindTeams(ctx)
	}
	keys, err := s.Gateway.Store.FindKeys(ctx, "", "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*batchgate.Team
	for _, k := range keys {
		if k.TeamID == "" || seen[k.TeamID] {
			continue
		}
		seen[k.TeamID] = true
		t, err := s.Gateway.Store.FindTeamByID(ctx, k.TeamID)
		if batchgate.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}
