package httpapi_test

import (
	"net/http"
	"testing"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	expired := func() string {
		r := e.json(master, "POST", "/key/generate", map[string]any{"models": []string{model}, "duration": "1s"})
		var k struct{ Key string }
		r.json(t, &k)
		return k.Key
	}()
	tests := []struct {
		name, key, method, path string
		status                  int
		errType                 string
	}{
		{"NoKey", "", "GET", "/v1/files", 401, "authentication_error"},
		{"UnknownKey", "sk-unknown", "GET", "/v1/batches", 401, "authentication_error"},
		{"VirtualKeyOnAdminRoute", key, "POST", "/key/generate", 403, "permission_denied"},
		{"VirtualKeyListsKeys", key, "GET", "/key/list", 403, "permission_denied"},
		{"UnknownRoute", key, "GET", "/v1/nothing", 404, "not_found_error"},
		{"MissingBatch", key, "GET", "/v1/batches/batch_nope", 404, "not_found_error"},
		{"MissingFile", key, "GET", "/files/file-nope/content", 404, "not_found_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.json(tt.key, tt.method, tt.path, map[string]any{})
			var ae apiError
			r.json(t, &ae)
			if r.status != tt.status || ae.Error.Type != tt.errType || ae.Error.Message == "" {
				t.Errorf("status=%d body=%s, want %d %s", r.status, r.body, tt.status, tt.errType)
			}
		})
	}
	t.Run("ExpiredKey", func(t *testing.T) {
		var r response
		waitUntil(t, func() bool { r = e.json(expired, "GET", "/v1/files", nil); return r.status != http.StatusOK })
		if r.status != 401 {
			t.Errorf("expired key: status=%d body=%s", r.status, r.body)
		}
	})
}

func TestHealth(t *testing.T) {
	e := newEnv(t, 1)
	r := e.do("", "GET", "/health/liveliness", "", nil)
	if r.status != 200 || string(r.body) != "\"I'm alive!\"\n" {
		t.Errorf("liveliness: %d %q", r.status, r.body)
	}
	r = e.do("", "GET", "/health/readiness", "", nil)
	var body struct{ Status, DB string }
	r.json(t, &body)
	if r.status != 200 || body.Status != "healthy" {
		t.Errorf("readiness: %d %s", r.status, r.body)
	}
}
