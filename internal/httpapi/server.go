// Package httpapi is batchgate's HTTP surface: the OpenAI Files and Batches
// APIs (with and without the /v1 prefix) and LiteLLM's admin routes, with the
// same names and shapes so that an admin can switch by swapping the binary.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/batchgate/batchgate/internal/console"
	"github.com/batchgate/batchgate/internal/gateway"
)

// Server holds what the handlers need.
type Server struct {
	Gateway   *gateway.Gateway
	MasterKey string
	Log       *slog.Logger
	Version   string
	// Ready reports whether the store answers, for /health/readiness.
	Ready func(ctx context.Context) error
	// ReadyCacheTTL is how long a readiness result is reused, so that a
	// storm of probes does not reach the database and S3 each time (0: no
	// reuse). ReadyTimeout bounds each check (0: DefaultReadyTimeout).
	ReadyCacheTTL time.Duration
	ReadyTimeout  time.Duration
	// BodyProgressWindow and BodyProgressBytes: a request body (an upload)
	// that brings less than BodyProgressBytes per BodyProgressWindow of
	// waiting is cut off with 408 (0: no limit). See minBodyRate.
	BodyProgressWindow time.Duration
	BodyProgressBytes  int64
	// MaxUploadBytes bounds an uploaded file (Bedrock's per-file limit is 1 GB).
	MaxUploadBytes int64
	// Metrics, if set, serves GET /metrics, open unless MetricsNeedsAuth
	// (then it needs the master key). Instrument, if set, wraps the routes
	// (it sees the matched pattern on the request).
	Metrics          http.Handler
	MetricsNeedsAuth bool
	Instrument       func(http.Handler) http.Handler
}

// Handler returns the routed handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	auth, admin := s.auth, s.admin

	mux.Handle("GET /health/liveliness", s.handleLiveliness())
	mux.Handle("GET /health/liveness", s.handleLiveliness())
	mux.Handle("GET /health/readiness", s.handleReadiness())
	mux.Handle("GET /health", s.auth(s.handleHealth()))
	if s.Metrics != nil {
		if s.MetricsNeedsAuth {
			mux.Handle("GET /metrics", admin(s.Metrics))
		} else {
			mux.Handle("GET /metrics", s.Metrics)
		}
	}

	for _, p := range []string{"/v1", ""} {
		mux.Handle("GET "+p+"/models", auth(s.handleModels()))
		mux.Handle("POST "+p+"/files", auth(s.handleFileCreate()))
		mux.Handle("GET "+p+"/files", auth(s.handleFileList()))
		mux.Handle("GET "+p+"/files/{file_id}", auth(s.handleFileGet()))
		mux.Handle("DELETE "+p+"/files/{file_id}", auth(s.handleFileDelete()))
		mux.Handle("GET "+p+"/files/{file_id}/content", auth(s.handleFileContent()))
		mux.Handle("POST "+p+"/batches", auth(s.handleBatchCreate()))
		mux.Handle("GET "+p+"/batches", auth(s.handleBatchList()))
		mux.Handle("GET "+p+"/batches/{batch_id}", auth(s.handleBatchGet()))
		mux.Handle("POST "+p+"/batches/{batch_id}/cancel", auth(s.handleBatchCancel()))
	}
	mux.Handle("GET /model_group/info", auth(s.handleModelGroupInfo()))

	mux.Handle("POST /key/generate", admin(s.handleKeyGenerate()))
	mux.Handle("GET /key/info", auth(s.handleKeyInfo()))
	mux.Handle("GET /key/list", admin(s.handleKeyList()))
	mux.Handle("POST /key/update", admin(s.handleKeyUpdate()))
	mux.Handle("POST /key/delete", admin(s.handleKeyDelete()))
	mux.Handle("POST /key/block", admin(s.handleKeyBlock(true)))
	mux.Handle("POST /key/unblock", admin(s.handleKeyBlock(false)))
	mux.Handle("POST /user/new", admin(s.handleUserNew()))
	mux.Handle("GET /user/info", auth(s.handleUserInfo()))
	mux.Handle("POST /user/update", admin(s.handleUserUpdate()))
	mux.Handle("POST /team/new", admin(s.handleTeamNew()))
	mux.Handle("GET /team/info", auth(s.handleTeamInfo()))
	mux.Handle("POST /team/member_add", admin(s.handleTeamMemberAdd()))
	mux.Handle("POST /team/update", admin(s.handleTeamUpdate()))
	mux.Handle("GET /spend/logs", auth(s.handleSpendLogs()))
	mux.Handle("GET /user/list", admin(s.handleUserList()))
	mux.Handle("GET /team/list", admin(s.handleTeamList()))
	mux.Handle("GET "+console.Prefix, console.Handler())
	mux.Handle("GET "+console.Prefix+"/", console.Handler())

	mux.Handle("/", handle(func(w http.ResponseWriter, r *http.Request) error {
		return &notFoundRoute{r.Method, r.URL.Path}
	}))
	var h http.Handler = mux
	if s.Instrument != nil {
		h = s.Instrument(mux)
	}
	// Outermost: the rate check sets deadlines on the connection itself.
	return s.minBodyRate(s.logRequests(h))
}
