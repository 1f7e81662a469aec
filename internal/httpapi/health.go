package httpapi

import (
	"net/http"
)

// handleLiveliness answers as LiteLLM does: the JSON string "I'm alive!".
func (s *Server) handleLiveliness() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		return encode(w, http.StatusOK, "I'm alive!")
	})
}

// handleReadiness reports whether the database answers, in LiteLLM's shape.
func (s *Server) handleReadiness() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		body := map[string]any{"status": "healthy", "db": "connected", "cache": nil, "litellm_version": s.Version, "batchgate_version": s.Version}
		if s.Ready != nil {
			if err := s.Ready(r.Context()); err != nil {
				logger(r.Context()).Error("readiness", "err", err)
				body["status"], body["db"] = "unhealthy", "disconnected"
				return encode(w, http.StatusServiceUnavailable, body)
			}
		}
		return encode(w, http.StatusOK, body)
	})
}
