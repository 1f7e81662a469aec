package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/batchgate/batchgate"
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

// check refuses unknown model names, as /team/new and /user/new do.
func (u ownerUpdate) check(s *Server) error {
	if u.Models == nil {
		return nil
	}
	return s.checkModels(*u.Models)
}

// apply sets the fields sent on a team's or a user's models, metadata and budget.
func (u ownerUpdate) apply(models *[]string, metadata *map[string]any, b *batchgate.Budget, now time.Time) error {
	if u.Models != nil {
		*models = *u.Models
	}
	if u.Metadata != nil {
		*metadata = *u.Metadata
	}
	return u.budgetRequest.apply(b, now)
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
		if req.TeamID == "" {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "team_id", Message: "team_id is required"}
		}
		if err := req.check(s); err != nil {
			return err
		}
		now := time.Now().UTC()
		var t *batchgate.Team
		// Under the team's lock, as /team/member_add: a concurrent
		// member_add must not lose its members to this read-modify-write.
		err := s.Gateway.Store.WithLock(r.Context(), "team:"+req.TeamID, func(ctx context.Context) error {
			var err error
			if t, err = s.Gateway.Store.FindTeamByID(ctx, req.TeamID); err != nil {
				return err
			}
			if req.TeamAlias != nil {
				t.TeamAlias = *req.TeamAlias
			}
			if err := req.apply(&t.Models, &t.Metadata, &t.Budget, now); err != nil {
				return err
			}
			t.UpdatedAt = now
			return s.Gateway.Store.UpdateTeam(ctx, t)
		})
		if batchgate.IsNotFound(err) {
			return &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "team_id", Message: fmt.Sprintf("Team %q not found.", req.TeamID)}
		}
		if err != nil {
			return err
		}
		if stored, err := s.Gateway.Store.FindTeamByID(r.Context(), t.TeamID); err == nil {
			t = stored // with the spend and budget period as they are now
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
		if req.UserID == "" {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "user_id", Message: "user_id is required"}
		}
		if err := req.check(s); err != nil {
			return err
		}
		now := time.Now().UTC()
		var u *batchgate.User
		err := s.Gateway.Store.WithLock(r.Context(), "user:"+req.UserID, func(ctx context.Context) error {
			var err error
			if u, err = s.Gateway.Store.FindUserByID(ctx, req.UserID); err != nil {
				return err
			}
			if req.UserEmail != nil {
				u.UserEmail = *req.UserEmail
			}
			if req.UserAlias != nil {
				u.UserAlias = *req.UserAlias
			}
			if err := req.apply(&u.Models, &u.Metadata, &u.Budget, now); err != nil {
				return err
			}
			u.UpdatedAt = now
			return s.Gateway.Store.UpdateUser(ctx, u)
		})
		if batchgate.IsNotFound(err) {
			return &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "user_id", Message: fmt.Sprintf("User %q not found.", req.UserID)}
		}
		if err != nil {
			return err
		}
		if stored, err := s.Gateway.Store.FindUserByID(r.Context(), u.UserID); err == nil {
			u = stored
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
		k, err := s.findKey(r, req.Key)
		if err != nil {
			return err
		}
		// Under the key's lock, as /key/update: neither overwrites the other.
		err = s.Gateway.Store.WithLock(r.Context(), "key:"+k.Token, func(ctx context.Context) error {
			if k, err = s.refindKey(ctx, k); err != nil {
				return err
			}
			k.Blocked, k.UpdatedAt = blocked, time.Now().UTC()
			return s.Gateway.Store.UpdateKey(ctx, k)
		})
		if batchgate.IsNotFound(err) { // deleted meanwhile
			return errKeyNotFound()
		}
		if err != nil {
			return err
		}
		if stored, err := s.refindKey(r.Context(), k); err == nil {
			k = stored
		}
		logger(r.Context()).Info("key blocked", "token", k.Token[:min(12, len(k.Token))], "blocked", k.Blocked)
		return encode(w, http.StatusOK, newKeyInfo(k))
	})
}
