package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

type userInfo struct {
	UserID    string         `json:"user_id"`
	UserEmail *string        `json:"user_email"`
	UserAlias *string        `json:"user_alias"`
	Models    []string       `json:"models"`
	Metadata  map[string]any `json:"metadata"`
	budgetInfo
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newUserInfo(u *batchgate.User) userInfo {
	ui := userInfo{UserID: u.UserID, UserEmail: optional(u.UserEmail), UserAlias: optional(u.UserAlias), Models: nonNil(u.Models),
		Metadata: u.Metadata, budgetInfo: newBudgetInfo(u.Budget), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if ui.Metadata == nil {
		ui.Metadata = map[string]any{}
	}
	return ui
}

// handleUserNew creates a user and, as LiteLLM does unless auto_create_key
// is false, a key for it.
func (s *Server) handleUserNew() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			UserID        string         `json:"user_id"`
			UserEmail     string         `json:"user_email"`
			UserAlias     string         `json:"user_alias"`
			Models        []string       `json:"models"`
			Metadata      map[string]any `json:"metadata"`
			Teams         []string       `json:"teams"`
			AutoCreateKey *bool          `json:"auto_create_key"`
			budgetRequest
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		if err := s.checkModels(req.Models); err != nil {
			return err
		}
		now := time.Now().UTC()
		u := &batchgate.User{UserID: req.UserID, UserEmail: req.UserEmail, UserAlias: req.UserAlias, Models: req.Models, Metadata: req.Metadata, CreatedAt: now, UpdatedAt: now}
		if u.UserID == "" {
			u.UserID = gateway.NewID("user-")
		}
		if err := req.budgetRequest.apply(&u.Budget, now); err != nil {
			return err
		}
		req.Teams = dedupe(req.Teams) // ["t", "t"] is one membership, and one team for the key
		var teams []*batchgate.Team
		for _, id := range req.Teams {
			t, err := s.Gateway.Store.FindTeamByID(r.Context(), id)
			if err != nil {
				if batchgate.IsNotFound(err) {
					return &batchgate.Error{Code: batchgate.EINVALID, Param: "teams", Message: fmt.Sprintf("Team %q does not exist.", id)}
				}
				return err
			}
			teams = append(teams, t)
		}
		if err := s.Gateway.Store.CreateUser(r.Context(), u); err != nil {
			if batchgate.ErrorCode(err) == batchgate.ECONFLICT {
				return &batchgate.Error{Code: batchgate.ECONFLICT, Param: "user_id", Message: fmt.Sprintf("User %q already exists.", u.UserID)}
			}
			return err
		}
		for _, t := range teams {
			if _, err := s.addMembers(r, t.TeamID, []member{{UserID: u.UserID, Role: "user"}}, now); err != nil {
				return err
			}
		}
		out := map[string]any{"user_id": u.UserID, "user_email": optional(u.UserEmail), "user_alias": optional(u.UserAlias),
			"models": nonNil(u.Models), "max_budget": u.MaxBudget, "spend": u.Spend, "budget_duration": optional(u.BudgetDuration),
			"teams": nonNil(req.Teams), "metadata": newUserInfo(u).Metadata}
		if req.AutoCreateKey == nil || *req.AutoCreateKey {
			secret := gateway.NewSecret()
			k := gateway.NewKey(secret, now)
			k.UserID = u.UserID
			if len(req.Teams) == 1 {
				k.TeamID = req.Teams[0]
			}
			if err := s.Gateway.Store.CreateKey(r.Context(), k); err != nil {
				return err
			}
			out["key"], out["token"], out["key_id"], out["key_name"] = secret, k.Token, k.ID, k.KeyName
		}
		return encode(w, http.StatusOK, out)
	})
}

// handleUserInfo answers GET /user/info?user_id=; a virtual key may read its own user.
func (s *Server) handleUserInfo() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c := caller(r)
		id := r.URL.Query().Get("user_id")
		if id == "" && c.Key != nil {
			id = c.Key.UserID
		}
		if id == "" {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "user_id", Message: "user_id is required"}
		}
		notFound := &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "user_id", Message: fmt.Sprintf("User %q not found.", id)}
		if !c.Admin() && c.Key.UserID != id {
			return notFound
		}
		u, err := s.Gateway.Store.FindUserByID(r.Context(), id)
		if batchgate.IsNotFound(err) {
			return notFound
		}
		if err != nil {
			return err
		}
		keys, err := s.Gateway.Store.FindKeys(r.Context(), id, "")
		if err != nil {
			return err
		}
		infos := []keyInfo{}
		ids := map[string]bool{}
		for _, k := range keys {
			infos = append(infos, newKeyInfo(k))
			if k.TeamID != "" {
				ids[k.TeamID] = true
			}
		}
		// The user's teams: those it is a member of, and those its keys
		// belong to.
		all, err := s.Gateway.Store.FindTeams(r.Context())
		if err != nil {
			return err
		}
		// Team ids, as the console reads them (LiteLLM lists team objects).
		teams := []string{}
		for _, t := range all {
			member := ids[t.TeamID]
			for _, m := range t.Members {
				member = member || m.UserID == u.UserID
			}
			if member {
				teams = append(teams, t.TeamID)
			}
		}
		return encode(w, http.StatusOK, map[string]any{"user_id": u.UserID, "user_info": newUserInfo(u), "keys": infos, "teams": teams})
	})
}

// dedupe returns s without repeated values, in first-seen order.
func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
