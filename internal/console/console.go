// Package console is batchgate's web console: a single-page app served at
// /ui from assets embedded in the binary (no build step, no CDN). It talks to
// the gateway's own JSON API with the key the user signs in with, so a
// virtual key sees in the console exactly what it may see through the API.
package console

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Prefix is where the console is served.
const Prefix = "/ui"

// csp allows the console's own scripts, styles and API calls only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves the console under Prefix: /ui redirects to /ui/, which is
// the app; other paths are its assets.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix(Prefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Prefix {
			http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		// The assets change with the binary; revalidate rather than cache stale code.
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
