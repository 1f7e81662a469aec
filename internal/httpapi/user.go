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
			Duration      *string        `json:"duration"`  // of the user's key, as LiteLLM
			KeyAlias      *string        `json:"key_alias"` // of the user's key, as LiteLLM
			budgetRequest
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		cu, err := s.Gateway.CreateUser(r.Context(), gateway.NewUser{UserID: req.UserID, UserEmail: req.UserEmail, UserAlias: req.UserAlias,
			Models: req.Models, Metadata: req.Metadata, Teams: req.Teams, Budget: req.budgetRequest.changes(),
			AutoCreateKey: req.AutoCreateKey == nil || *req.AutoCreateKey, KeyDuration: req.Duration, KeyAlias: req.KeyAlias})
		if err != nil {
			return err
		}
		u := cu.User
		out := map[string]any{"user_id": u.UserID, "user_email": optional(u.UserEmail), "user_alias": optional(u.UserAlias),
			"models": nonNil(u.Models), "max_budget": u.MaxBudget, "spend": u.Spend, "budget_duration": optional(u.BudgetDuration),
			"teams": nonNil(cu.Teams), "metadata": newUserInfo(u).Metadata}
		if k := cu.Key; k != nil {
			// As LiteLLM's NewUserResponse: the key's fields next to the user's.
			out["key"], out["token"], out["token_id"], out["key_id"], out["key_name"] = cu.Secret, k.Token, k.Token, k.ID, k.KeyName
			out["key_alias"], out["duration"], out["expires"] = optional(k.KeyAlias), optional(k.Duration), k.ExpiresAt
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
		if !c.Admin() && c.Key.UserID != id {
			return &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "user_id", Message: fmt.Sprintf("User %q not found.", id)}
		}
		u, err := s.Gateway.FindUser(r.Context(), id)
		if err != nil {
			return err
		}
		keys, err := s.Gateway.FindKeys(r.Context(), id, "")
		if err != nil {
			return err
		}
		infos := []keyInfo{}
		for _, k := range keys {
			infos = append(infos, newKeyInfo(k))
		}
		// The user's teams, as LiteLLM's user_info lists them: team objects
		// (litellm/proxy/_types.py UserInfoResponse.teams).
		all, err := s.Gateway.UserTeams(r.Context(), id, keys)
		if err != nil {
			return err
		}
		teams := []teamInfo{}
		for _, t := range all {
			teams = append(teams, newTeamInfo(t))
		}
		return encode(w, http.StatusOK, map[string]any{"user_id": u.UserID, "user_info": newUserInfo(u), "keys": infos, "teams": teams})
	})
}
