package httpapi

import (
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

// changes returns the budget fields for the gateway.
func (r budgetRequest) changes() gateway.BudgetChanges {
	return gateway.BudgetChanges{SetMaxBudget: r.MaxBudget.Set, MaxBudget: r.MaxBudget.Value, BudgetDuration: r.BudgetDuration}
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

// teamMembership is LiteLLM's LiteLLM_TeamMembership.
type teamMembership struct {
	UserID             string  `json:"user_id"`
	TeamID             string  `json:"team_id"`
	BudgetID           *string `json:"budget_id"`
	Spend              float64 `json:"spend"`
	LiteLLMBudgetTable any     `json:"litellm_budget_table"` // always null
}

// teamInfo is LiteLLM's LiteLLM_TeamTable (what /team/new, /team/info's
// team_info and /user/info's teams show). The fields batchgate has no
// counterpart of are there with LiteLLM's empty values: organization_id,
// tpm_limit, rpm_limit and max_parallel_requests null (refused on teams),
// blocked false (teams are not blocked; keys are).
type teamInfo struct {
	TeamID              string         `json:"team_id"`
	TeamAlias           *string        `json:"team_alias"`
	OrganizationID      *string        `json:"organization_id"`
	Models              []string       `json:"models"`
	Admins              []string       `json:"admins"`  // user ids of members_with_roles' admins
	Members             []string       `json:"members"` // user ids of the other members
	MembersWithRoles    []member       `json:"members_with_roles"`
	Metadata            map[string]any `json:"metadata"`
	TPMLimit            *int           `json:"tpm_limit"`
	RPMLimit            *int           `json:"rpm_limit"`
	MaxParallelRequests *int           `json:"max_parallel_requests"`
	Blocked             bool           `json:"blocked"`
	budgetInfo
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newTeamInfo(t *batchgate.Team) teamInfo {
	ti := teamInfo{TeamID: t.TeamID, TeamAlias: optional(t.TeamAlias), Models: nonNil(t.Models), MembersWithRoles: []member{},
		Admins: []string{}, Members: []string{},
		Metadata: t.Metadata, budgetInfo: newBudgetInfo(t.Budget), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	for _, m := range t.Members {
		ti.MembersWithRoles = append(ti.MembersWithRoles, member{UserID: m.UserID, Role: m.Role})
		if m.Role == "admin" {
			ti.Admins = append(ti.Admins, m.UserID)
		} else {
			ti.Members = append(ti.Members, m.UserID)
		}
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
		t, err := s.Gateway.CreateTeam(r.Context(), gateway.NewTeam{TeamID: req.TeamID, TeamAlias: req.TeamAlias, Models: req.Models,
			Members: teamMembers(req.MembersWithRoles), Metadata: req.Metadata, Budget: req.budgetRequest.changes()})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, newTeamInfo(t))
	})
}

func teamMembers(ms []member) []batchgate.TeamMember {
	out := make([]batchgate.TeamMember, len(ms))
	for i, m := range ms {
		out[i] = batchgate.TeamMember{UserID: m.UserID, Role: m.Role}
	}
	return out
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
	return s.Gateway.FindTeam(r.Context(), id)
}

func (s *Server) handleTeamInfo() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.findTeam(r, r.URL.Query().Get("team_id"))
		if err != nil {
			return err
		}
		keys, err := s.Gateway.FindKeys(r.Context(), "", t.TeamID)
		if err != nil {
			return err
		}
		infos := []keyInfo{}
		spend := map[string]float64{} // by user: the spend of the member's keys in the team
		for _, k := range keys {
			infos = append(infos, newKeyInfo(k))
			spend[k.UserID] += k.Spend
		}
		// LiteLLM's team_memberships (LiteLLM_TeamMembership); batchgate has
		// no per-member budgets, so budget_id and litellm_budget_table are null.
		memberships := []teamMembership{}
		for _, m := range t.Members {
			memberships = append(memberships, teamMembership{UserID: m.UserID, TeamID: t.TeamID, Spend: spend[m.UserID]})
		}
		return encode(w, http.StatusOK, map[string]any{"team_id": t.TeamID, "team_info": newTeamInfo(t), "keys": infos, "team_memberships": memberships})
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
		if t, err = s.Gateway.AddTeamMembers(r.Context(), t.TeamID, teamMembers(members)); err != nil {
			return err
		}
		return encode(w, http.StatusOK, newTeamInfo(t))
	})
}
