package httpapi

import (
	"net/http"
)

// handleUserList answers GET /user/list (master key) as LiteLLM does:
// {"users": [...], "total", "page", "page_size", "total_pages"}.
func (s *Server) handleUserList() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		users, err := s.Gateway.FindUsers(r.Context())
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
		teams, err := s.Gateway.FindTeams(r.Context())
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
