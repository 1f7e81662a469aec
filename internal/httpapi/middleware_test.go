package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/batchgate/batchgate/internal/logctx"
)

// TestRequestIDOneKey: the id logRequests gives a request is the one in the
// x-request-id header, in logctx (for the gateway's logs), in a 500's
// message and in the logs of the request.
func TestRequestIDOneKey(t *testing.T) {
	var logs syncBuffer
	s := &Server{Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	var seen string
	h := s.logRequests(handle(func(w http.ResponseWriter, r *http.Request) error {
		seen = logctx.RequestID(r.Context())
		return errors.New("disk on fire")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/files", nil))

	id := rec.Header().Get("x-request-id")
	if !strings.HasPrefix(id, "req_") || seen != id {
		t.Fatalf("x-request-id = %q, logctx.RequestID in the handler = %q; want the same req_ id", id, seen)
	}
	var body struct {
		Error struct{ Message, Type string }
	}
	if rec.Code != http.StatusInternalServerError || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		t.Fatalf("status %d body %s; want a 500 error envelope", rec.Code, rec.Body)
	}
	if want := "Internal error (request id " + id + ")."; body.Error.Message != want {
		t.Errorf("message = %q; want %q", body.Error.Message, want)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines (request failed, http), got:\n%s", logs.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["request_id"] != id {
			t.Errorf("log line without request_id %q: %s", id, l)
		}
	}
}
