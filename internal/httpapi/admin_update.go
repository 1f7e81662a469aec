package httpapi

import (
	"net/http"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

// LiteLLM's routes that change a team, a user or a key after creation:
// /team/update, /user/update, /key/block and /key/unblock. All need the
// master key (server.go wraps them in admin).

// ownerUpdate holds what /team/update and /user/update change alike; a
// field left out stays as it is.
type ownerUpdate struct {
	Models   *[]string       `json:"models"`
	Metadata *map[string]any `json:"metadata"`
	budgetRequest
}

// changes returns the request's fields for the gateway.
func (u ownerUpdate) changes() gateway.OwnerChanges {
	return gateway.OwnerChanges{Models: u.Models, Metadata: u.Metadata, Budget: u.budgetRequest.changes()}
}

// handleTeamUpdate answers POST /team/update. As LiteLLM, fields left out
// stay as they are; max_budget null clears the budget, budget_duration ""
// ends the budget period. The answer is LiteLLM's {"team_id", "data"}, with
// data the team object of /team/info's team_info.
func (s *Server) handleTeamUpdate() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			TeamID    string  `json:"team_id"`
			TeamAlias *string `json:"team_alias"`
			ownerUpdate
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		t, err := s.Gateway.UpdateTeam(r.Context(), req.TeamID, gateway.TeamChanges{TeamAlias: req.TeamAlias, OwnerChanges: req.changes()})
		if err != nil {
			return err
		}
		logger(r.Context()).Info("team updated", "team_id", t.TeamID, "models", t.Models)
		return encode(w, http.StatusOK, map[string]any{"team_id": t.TeamID, "data": newTeamInfo(t)})
	})
}

// handleUserUpdate answers POST /user/update, as handleTeamUpdate does for
// teams. The answer is LiteLLM's {"user_id", "data"}, with data the user
// object of /user/info's user_info. Unlike LiteLLM, which creates a user it
// does not know, an unknown user_id is 404: /user/new creates users.
func (s *Server) handleUserUpdate() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			UserID    string  `json:"user_id"`
			UserEmail *string `json:"user_email"`
			UserAlias *string `json:"user_alias"`
			ownerUpdate
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		u, err := s.Gateway.UpdateUser(r.Context(), req.UserID, gateway.UserChanges{UserEmail: req.UserEmail, UserAlias: req.UserAlias, OwnerChanges: req.changes()})
		if err != nil {
			return err
		}
		logger(r.Context()).Info("user updated", "user_id", u.UserID, "models", u.Models)
		return encode(w, http.StatusOK, map[string]any{"user_id": u.UserID, "data": newUserInfo(u)})
	})
}

// handleKeyBlock answers POST /key/block (blocked true) and /key/unblock
// (false). The body is LiteLLM's {"key": "sk-..." or the key's token}; the
// answer is the key object, as /key/info's info, with "blocked" set. A
// blocked key is refused with 401 on every route (gateway.Authenticate).
func (s *Server) handleKeyBlock(blocked bool) http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Key string `json:"key"`
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		if req.Key == "" {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "key", Message: "key is required"}
		}
		k, err := s.Gateway.BlockKey(r.Context(), req.Key, blocked)
		if err != nil {
			return err
		}
		logger(r.Context()).Info("key blocked", "token", k.Token[:min(12, len(k.Token))], "blocked", k.Blocked)
		return encode(w, http.StatusOK, newKeyInfo(k))
	})
}
