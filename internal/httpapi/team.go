package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

// budgetRequest holds LiteLLM's budget fields, shared by keys, users and teams.
type budgetRequest struct {
	MaxBudget      nullableFloat `json:"max_budget"`
	BudgetDuration *string       `json:"budget_duration"`
}

// nullableFloat tells an absent field (left as it is) from null (cleared,
// as LiteLLM's /key/update clears max_budget) and a number.
type nullableFloat struct {
	Set   bool
	Value *float64
}

func (n *nullableFloat) UnmarshalJSON(b []byte) error {
	n.Set, n.Value = true, nil
	if string(b) == "null" {
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err // an *json.UnmarshalTypeError; decode names the field
	}
	n.Value = &f
	return nil
}

// apply sets the budget fields; a new duration restarts the period at now.
func (r budgetRequest) apply(b *batchgate.Budget, now time.Time) error {
	if r.MaxBudget.Set {
		if v := r.MaxBudget.Value; v != nil && *v < 0 {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "max_budget", Message: "max_budget must not be negative"}
		}
		b.MaxBudget = r.MaxBudget.Value
	}
	if r.BudgetDuration != nil {
		if *r.BudgetDuration == "" {
			b.BudgetDuration, b.BudgetResetAt = "", nil
			return nil
		}
		d, err := batchgate.ParseDuration(*r.BudgetDuration)
		if err != nil || d <= 0 {
			msg := fmt.Sprintf("budget_duration %q must be a positive duration such as \"30d\"", *r.BudgetDuration)
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "budget_duration", Message: msg}
		}
		if *r.BudgetDuration == b.BudgetDuration && b.BudgetResetAt != nil {
			return nil // the same period goes on (the store keeps its reset time)
		}
		b.BudgetDuration, b.BudgetResetAt = *r.BudgetDuration, ptr(now.Add(d))
	}
	return nil
}

// budgetInfo renders the budget fields as LiteLLM does.
type budgetInfo struct {
	MaxBudget      *float64   `json:"max_budget"`
	Spend          float64    `json:"spend"`
	BudgetDuration *string    `json:"budget_duration"`
	BudgetResetAt  *time.Time `json:"budget_reset_at"`
}

func newBudgetInfo(b batchgate.Budget) budgetInfo {
	return budgetInfo{MaxBudget: b.MaxBudget, Spend: b.Spend, BudgetDuration: optional(b.BudgetDuration), BudgetResetAt: b.BudgetResetAt}
}

type member struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

type teamInfo struct {
	TeamID           string         `json:"team_id"`
	TeamAlias        *string        `json:"team_alias"`
	Models           []string       `json:"models"`
	MembersWithRoles []member       `json:"members_with_roles"`
	Metadata         map[string]any `json:"metadata"`
	budgetInfo
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newTeamInfo(t *batchgate.Team) teamInfo {
	ti := teamInfo{TeamID: t.TeamID, TeamAlias: optional(t.TeamAlias), Models: nonNil(t.Models), MembersWithRoles: []member{},
		Metadata: t.Metadata, budgetInfo: newBudgetInfo(t.Budget), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	for _, m := range t.Members {
		ti.MembersWithRoles = append(ti.MembersWithRoles, member{UserID: m.UserID, Role: m.Role})
	}
	if ti.Metadata == nil {
		ti.Metadata = map[string]any{}
	}
	return ti
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkModels refuses model names the config does not define.
func (s *Server) checkModels(models []string) error {
	for _, m := range models {
		if m == "*" || m == "all-proxy-models" {
			continue
		}
		if _, ok := s.Gateway.Deployments[m]; !ok {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "models", Message: fmt.Sprintf("Unknown model %q: the config's model names are %v", m, s.modelNames())}
		}
	}
	return nil
}

func (s *Server) handleTeamNew() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			TeamID           string         `json:"team_id"`
			TeamAlias        string         `json:"team_alias"`
			Models           []string       `json:"models"`
			MembersWithRoles []member       `json:"members_with_roles"`
			Metadata         map[string]any `json:"metadata"`
			budgetRequest
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		if err := s.checkModels(req.Models); err != nil {
			return err
		}
		now := time.Now().UTC()
		t := &batchgate.Team{TeamID: req.TeamID, TeamAlias: req.TeamAlias, Models: req.Models, Metadata: req.Metadata, CreatedAt: now, UpdatedAt: now}
		if t.TeamID == "" {
			t.TeamID = gateway.NewID("team-")
		}
		for _, m := range req.MembersWithRoles {
			if err := addMember(t, m); err != nil {
				return err
			}
		}
		if err := req.budgetRequest.apply(&t.Budget, now); err != nil {
			return err
		}
		if err := s.Gateway.Store.CreateTeam(r.Context(), t); err != nil {
			if batchgate.ErrorCode(err) == batchgate.ECONFLICT {
				return &batchgate.Error{Code: batchgate.ECONFLICT, Param: "team_id", Message: fmt.Sprintf("Team %q already exists.", t.TeamID)}
			}
			return err
		}
		return encode(w, http.StatusOK, newTeamInfo(t))
	})
}

func addMember(t *batchgate.Team, m member) error {
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
	t.Members = append(t.Members, batchgate.TeamMember{UserID: m.UserID, Role: m.Role})
	return nil
}

// findTeam returns a team the caller may read: any for the master key, its own for a virtual key.
func (s *Server) findTeam(r *http.Request, id string) (*batchgate.Team, error) {
	c := caller(r)
	if id == "" && c.Key != nil {
		id = c.Key.TeamID
	}
	if id == "" {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "team_id", Message: "team_id is required"}
	}
	if !c.Admin() && (c.Key == nil || c.Key.TeamID != id) {
		return nil, &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "team_id", Message: fmt.Sprintf("Team %q not found.", id)}
	}
	t, err := s.Gateway.Store.FindTeamByID(r.Context(), id)
	if batchgate.IsNotFound(err) {
		return nil, &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "team_id", Message: fmt.Sprintf("Team %q not found.", id)}
	}
	return t, err
}

func (s *Server) handleTeamInfo() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.findTeam(r, r.URL.Query().Get("team_id"))
		if err != nil {
			return err
		}
		keys, err := s.Gateway.Store.FindKeys(r.Context(), "", t.TeamID)
		if err != nil {
			return err
		}
		infos := []keyInfo{}
		for _, k := range keys {
			infos = append(infos, newKeyInfo(k))
		}
		return encode(w, http.StatusOK, map[string]any{"team_id": t.TeamID, "team_info": newTeamInfo(t), "keys": infos})
	})
}

func (s *Server) handleTeamMemberAdd() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			TeamID string          `json:"team_id"`
			Member json.RawMessage `json:"member"`
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		var members []member
		if err := json.Unmarshal(req.Member, &members); err != nil {
			var one member
			if err := json.Unmarshal(req.Member, &one); err != nil {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "member", Message: "member must be {\"user_id\", \"role\"} or a list of them"}
			}
			members = []member{one}
		}
		if len(members) == 0 { // "member" missing, null or []: nothing to add is a mistake, not a success
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "member", Message: "member is required: {\"user_id\", \"role\"} or a non-empty list of them"}
		}
		t, err := s.findTeam(r, req.TeamID)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		for _, m := range members {
			if err := addMember(&batchgate.Team{}, m); err != nil {
				return err
			}
			// As LiteLLM does, a member that is not a user yet becomes one.
			if _, err := s.Gateway.Store.FindUserByID(r.Context(), m.UserID); batchgate.IsNotFound(err) {
				u := &batchgate.User{UserID: m.UserID, CreatedAt: now, UpdatedAt: now}
				if err := s.Gateway.Store.CreateUser(r.Context(), u); err != nil && batchgate.ErrorCode(err) != batchgate.ECONFLICT {
					return err
				}
			} else if err != nil {
				return err
			}
		}
		if t, err = s.addMembers(r, t.TeamID, members, now); err != nil {
			return err
		}
		return encode(w, http.StatusOK, newTeamInfo(t))
	})
}

// addMembers adds members to the team as it is stored now and stores it,
// under the store lock "team:"+id, so that concurrent member_add calls, on
// this replica or on others sharing the database, don't drop each other's
// members.
func (s *Server) addMembers(r *http.Request, teamID string, members []member, now time.Time) (*batchgate.Team, error) {
	var t *batchgate.Team
	err := s.Gateway.Store.WithLock(r.Context(), "team:"+teamID, func(ctx context.Context) error {
		var err error
		if t, err = s.Gateway.Store.FindTeamByID(ctx, teamID); err != nil {
			return err
		}
		for _, m := range members {
			if err := addMember(t, m); err != nil {
				return err
			}
		}
		t.UpdatedAt = now
		return s.Gateway.Store.UpdateTeam(ctx, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
