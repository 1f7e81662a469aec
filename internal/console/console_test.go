package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/batchgate/batchgate/internal/console"
)

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestServesApp(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /ui", console.Handler())
	mux.Handle("GET /ui/", console.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, _ := get(t, srv, "/ui")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/ui/" {
		t.Fatalf("/ui: %d %q, want a redirect to /ui/", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp, body := get(t, srv, "/ui/")
	if resp.StatusCode != 200 || !strings.Contains(body, `<script type="module" src="app.js">`) {
		t.Fatalf("/ui/: %d %.200s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	// No asset may come from elsewhere: the console works offline and under the CSP.
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).FindString(body); m != "" {
		t.Errorf("index.html loads an external resource: %s", m)
	}

	for path, ctype := range map[string]string{
		"/ui/app.js": "text/javascript", "/ui/chart.js": "text/javascript", "/ui/app.css": "text/css", "/ui/favicon.svg": "image/svg+xml",
	} {
		resp, body := get(t, srv, path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if b := strings.ReplaceAll(body, "http://www.w3.org/2000/svg", ""); strings.Contains(b, "https://") || strings.Contains(b, "http://") {
			t.Errorf("%s refers to an external URL", path)
		}
	}
	if resp, _ := get(t, srv, "/ui/nope.js"); resp.StatusCode != 404 {
		t.Errorf("/ui/nope.js: %d, want 404", resp.StatusCode)
	}
}
