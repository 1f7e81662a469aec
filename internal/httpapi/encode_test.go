package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestAccessLogOfAbortedResponse: handleFileContent ends an interrupted
// download with panic(http.ErrAbortHandler); the access log used to skip
// such a request. It is logged with the status sent and aborted=true, and the
// client still sees a broken transfer.
func TestAccessLogOfAbortedResponse(t *testing.T) {
	var logs syncBuffer
	s := &Server{Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	srv := httptest.NewServer(s.logRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			w.Write([]byte("fine"))
			return
		}
		w.Write([]byte(strings.Repeat("x", 64<<10)))
		panic(http.ErrAbortHandler)
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/abort")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("the aborted response read as complete")
	}
	if resp, err := http.Get(srv.URL + "/ok"); err == nil {
		resp.Body.Close()
	}
	type record struct {
		Msg, Path string
		Status    int
		Bytes     int64
		Aborted   bool
		RequestID string `json:"request_id"`
		Panic     *string
	}
	got := map[string]record{}
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var r record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if r.Msg == "http" {
			got[r.Path] = r
		}
	}
	if r, ok := got["/abort"]; !ok || r.Status != 200 || !r.Aborted || r.Bytes != 64<<10 || r.RequestID == "" || r.Panic != nil {
		t.Errorf("aborted request logged as %+v (present %v)\n%s", r, ok, logs.String())
	}
	if r := got["/ok"]; r.Status != 200 || r.Aborted {
		t.Errorf("plain request logged as %+v", r)
	}
}

func TestJSONFieldPath(t *testing.T) {
	type inner struct {
		MaxBudget *float64 `json:"max_budget"`
	}
	type item struct {
		UserID string `json:"user_id"`
	}
	type req struct {
		Items []item `json:"items"`
		Named inner  `json:"named"`
		NoTag string
		Ptr   *[]item `json:"ptr"`
		inner
	}
	for in, want := range map[string]string{
		"inner.max_budget": "max_budget", "items.user_id": "items.user_id", "named.max_budget": "named.max_budget",
		"NoTag": "NoTag", "ptr.user_id": "ptr.user_id", "": "",
	} {
		if got := jsonFieldPath(reflect.TypeOf(&req{}), in); got != want {
			t.Errorf("jsonFieldPath(%q) = %q, want %q", in, got, want)
		}
	}
}
