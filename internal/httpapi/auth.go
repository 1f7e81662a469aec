package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

// bearer returns the API key of a request: Authorization: Bearer, or
// LiteLLM's x-litellm-api-key, or Azure-style api-key.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if k, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(k)
		}
		return strings.TrimSpace(h)
	}
	if k := r.Header.Get("x-litellm-api-key"); k != "" {
		return strings.TrimPrefix(k, "Bearer ")
	}
	return r.Header.Get("api-key")
}

// auth requires a valid key and puts the caller in the context.
func (s *Server) auth(next http.Handler) http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.Gateway.Authenticate(r.Context(), s.MasterKey, bearer(r))
		if err != nil {
			return err
		}
		if err := c.CheckRoute(r.URL.Path); err != nil { // LiteLLM's allowed_routes
			return err
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyCaller, c)))
		return nil
	})
}

// admin requires the master key: virtual keys are refused.
func (s *Server) admin(next http.Handler) http.Handler {
	return s.auth(handle(func(w http.ResponseWriter, r *http.Request) error {
		if !caller(r).Admin() {
			return batchgate.Errorf(batchgate.EFORBIDDEN, "This route needs the master key; virtual keys may not call %s.", r.URL.Path)
		}
		next.ServeHTTP(w, r)
		return nil
	}))
}

func caller(r *http.Request) gateway.Caller {
	c, _ := r.Context().Value(keyCaller).(gateway.Caller)
	return c
}
