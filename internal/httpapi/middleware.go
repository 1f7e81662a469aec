package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/batchgate/batchgate/internal/logctx"
)

// ctxKey keys the request's logger and caller in its context. The request
// id is not among them: logctx carries it (see logRequests).
type ctxKey int

const (
	keyLogger ctxKey = iota
	keyCaller
)

func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// logRequests gives each request an id (echoed as x-request-id) and logs it.
// Headers are never logged: they carry keys.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := "req_" + hex.EncodeToString(b[:])
		l := s.Log.With("request_id", id)
		// logctx carries the id, so gateway logs written with ctx name the
		// request and writeError can quote it.
		ctx := logctx.WithRequestID(context.WithValue(r.Context(), keyLogger, l), id)
		w.Header().Set("x-request-id", id)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		// A handler that aborts the response (panic(http.ErrAbortHandler), as
		// an interrupted file download does) is logged too, with the status
		// it had sent and aborted=true; then the panic goes on to net/http,
		// which breaks the connection.
		defer func() {
			if p := recover(); p != nil {
				attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.bytes, "ms", time.Since(start).Milliseconds(), "aborted", true}
				if p != http.ErrAbortHandler {
					attrs = append(attrs, "panic", fmt.Sprint(p))
				}
				l.Warn("http", attrs...)
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
		l.Info("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.bytes, "ms", time.Since(start).Milliseconds())
	})
}
