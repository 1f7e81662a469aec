package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultReadyTimeout bounds each readiness check (the database ping, each
// HeadBucket): a probe must answer before the load balancer gives up on it.
const DefaultReadyTimeout = 2 * time.Second

// handleLiveliness answers as LiteLLM does: the JSON string "I'm alive!".
// It checks nothing, so that a slow dependency never gets the process restarted.
func (s *Server) handleLiveliness() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		return encode(w, http.StatusOK, "I'm alive!")
	})
}

// bucketChecker is an object store that can tell whether a bucket is
// reachable (s3store.Store).
type bucketChecker interface {
	CheckBucket(ctx context.Context, bucket string) error
}

// readyState is the last readiness result, reused for ReadyCacheTTL.
type readyState struct {
	mu   sync.Mutex // held while checking: concurrent probes wait for one check
	at   time.Time
	code int
	body map[string]any
}

// handleReadiness reports whether the database and every deployment's S3
// buckets answer, in LiteLLM's shape (status, db, cache, litellm_version)
// plus "s3" and, when unhealthy, "down" (what failed) and LiteLLM's 503
// "detail".
func (s *Server) handleReadiness() http.Handler {
	st := &readyState{}
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.body == nil || time.Since(st.at) >= s.ReadyCacheTTL {
			st.code, st.body = s.checkReady(r.Context())
			st.at = time.Now()
		}
		return encode(w, st.code, st.body)
	})
}

// checkReady runs the checks at once, each under ReadyTimeout.
func (s *Server) checkReady(ctx context.Context) (int, map[string]any) {
	// Not the probe's own context: a probe that hangs up must not leave a
	// cancelled check in the cache for the next one.
	ctx = context.WithoutCancel(ctx)
	timeout := s.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	type check struct {
		what string
		run  func(context.Context) error
		err  error
	}
	var checks []*check
	if s.Ready != nil {
		checks = append(checks, &check{what: "database", run: s.Ready})
	}
	for _, b := range s.buckets() {
		checks = append(checks, &check{what: b.what, run: func(ctx context.Context) error { return b.store.CheckBucket(ctx, b.bucket) }})
	}
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			c.err = c.run(ctx)
		})
	}
	wg.Wait()

	body := map[string]any{"status": "healthy", "db": "connected", "s3": "connected", "cache": nil, "litellm_version": s.Version, "batchgate_version": s.Version}
	var down []string
	for _, c := range checks {
		if c.err == nil {
			continue
		}
		logger(ctx).Error("readiness", "check", c.what, "err", c.err)
		if c.what == "database" {
			body["db"] = "disconnected"
		} else {
			body["s3"] = "disconnected"
		}
		down = append(down, c.what+": "+c.err.Error())
	}
	if len(down) == 0 {
		return http.StatusOK, body
	}
	body["status"] = "unhealthy"
	body["down"] = down
	body["detail"] = "Service Unhealthy (" + strings.Join(down, "; ") + ")"
	return http.StatusServiceUnavailable, body
}

// readyBucket is one bucket to check, with the models that use it.
type readyBucket struct {
	what   string
	store  bucketChecker
	bucket string
}

// buckets returns each distinct bucket the deployments read or write (input
// and output), once per endpoint and credentials, named with its models.
func (s *Server) buckets() []readyBucket {
	if s.Gateway == nil {
		return nil
	}
	type entry struct {
		readyBucket
		models []string
	}
	var order []string
	seen := map[string]*entry{}
	for _, d := range s.Gateway.Deployments {
		bc, ok := d.Objects.(bucketChecker)
		if !ok {
			continue
		}
		for _, bucket := range []string{d.InputBucket, d.OutputBucket} {
			if bucket == "" {
				continue
			}
			key := bucket + "\x00" + d.S3Account
			e := seen[key]
			if e == nil {
				e = &entry{readyBucket: readyBucket{store: bc, bucket: bucket}}
				seen[key] = e
				order = append(order, key)
			}
			if !slices.Contains(e.models, d.Name()) {
				e.models = append(e.models, d.Name())
			}
		}
	}
	out := make([]readyBucket, 0, len(order))
	for _, k := range order {
		e := seen[k]
		e.what = fmt.Sprintf("S3 bucket %s (models %s)", e.bucket, strings.Join(e.models, ", "))
		out = append(out, e.readyBucket)
	}
	return out
}
