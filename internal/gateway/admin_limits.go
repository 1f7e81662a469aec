package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
)

// LiteLLM's key settings that batchgate enforces (batchgate.KeyLimits):
// allowed_routes on every route, rpm_limit on file uploads and batch
// creations, max_parallel_requests on batch creation. tpm_limit and
// soft_budget are kept and shown but change nothing for batches.

// KeyTypes are LiteLLM's key_type values (litellm/proxy/_types.py
// LiteLLMKeyType); all but "default" set allowed_routes to a route group,
// as LiteLLM's handle_key_type does.
var KeyTypes = map[string]string{
	"default":    "",
	"llm_api":    "llm_api_routes",
	"management": "management_routes",
	"read_only":  "info_routes",
}

// batchgate's routes in LiteLLM's route groups (litellm/proxy/_types.py
// LiteLLMRoutes), limited to the routes batchgate serves. "{...}" matches
// one path segment, as in LiteLLM's _route_matches_pattern.
var openAIRoutes = func() []string {
	var r []string
	for _, p := range []string{"/v1", ""} {
		r = append(r, p+"/models", p+"/files", p+"/files/{file_id}", p+"/files/{file_id}/content",
			p+"/batches", p+"/batches/{batch_id}", p+"/batches/{batch_id}/cancel")
	}
	return r
}()

var routeGroups = map[string][]string{
	"openai_routes":  openAIRoutes,
	"llm_api_routes": openAIRoutes,
	"info_routes": {"/key/info", "/team/info", "/team/list", "/user/info", "/model_group/info", "/health",
		"/key/list", "/models", "/v1/models"},
	"management_routes": {"/key/generate", "/key/update", "/key/delete", "/key/info", "/key/list", "/key/block", "/key/unblock",
		"/user/new", "/user/update", "/user/info", "/user/list",
		"/team/new", "/team/update", "/team/info", "/team/list", "/team/member_add"},
	"spend_tracking_routes": {"/spend/logs"},
}

// routeMatches reports whether path is route, a "{...}" segment of route
// matching any one segment of path.
func routeMatches(route, path string) bool {
	rs, ps := strings.Split(route, "/"), strings.Split(path, "/")
	if len(rs) != len(ps) {
		return false
	}
	for i, r := range rs {
		if r != ps[i] && !(strings.HasPrefix(r, "{") && strings.HasSuffix(r, "}") && ps[i] != "") {
			return false
		}
	}
	return true
}

// RouteAllowed reports whether a key with the given allowed_routes may call
// path, as LiteLLM's RouteChecks.is_virtual_key_allowed_to_call_route
// does: an empty list allows every route; an entry allows its route
// exactly and the routes under it ("/v1/files" allows
// "/v1/files/file-1"); a route group's name ("llm_api_routes",
// "info_routes", ...) allows the group's routes; an entry ending in "*"
// allows the routes it prefixes.
func RouteAllowed(allowed []string, path string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		switch {
		case path == a || strings.HasPrefix(path, a+"/"):
			return true
		case strings.HasSuffix(a, "*") && strings.HasPrefix(path, strings.TrimSuffix(a, "*")):
			return true
		}
		for _, r := range routeGroups[a] {
			if routeMatches(r, path) {
				return true
			}
		}
	}
	return false
}

// CheckRoute refuses a key whose allowed_routes do not include path (403,
// with LiteLLM's message). The master key may call every route.
func (c Caller) CheckRoute(path string) error {
	if c.Key == nil || RouteAllowed(c.Key.AllowedRoutes, path) {
		return nil
	}
	return &batchgate.Error{Code: batchgate.EFORBIDDEN, Message: fmt.Sprintf(
		"Virtual key is not allowed to call this route. Only allowed to call routes: %v. Tried to call route: %s", c.Key.AllowedRoutes, path)}
}

// checkRate refuses a file upload or batch creation beyond the key's
// rpm_limit: the files and batches the key created in the last minute,
// counted from the store, so that replicas sharing the database share the
// limit. Requests refused before they created anything do not count.
func (g *Gateway) checkRate(ctx context.Context, c Caller) error {
	if c.Key == nil || c.Key.RPMLimit == nil {
		return nil
	}
	limit := *c.Key.RPMLimit
	since := g.now().Add(-time.Minute)
	scope := batchgate.Scope{KeyID: c.Key.ID}
	page := batchgate.Page{Limit: int(min(limit, 10000)) + 1}
	files, err := g.Store.FindFiles(ctx, batchgate.FileFilter{Scope: scope, Purpose: batchgate.PurposeBatch, Page: page})
	if err != nil {
		return err
	}
	batches, err := g.Store.FindBatches(ctx, batchgate.BatchFilter{Scope: scope, Page: page})
	if err != nil {
		return err
	}
	var n int64
	for _, f := range files {
		if f.Kind == batchgate.FileInput && f.CreatedAt.After(since) {
			n++
		}
	}
	for _, b := range batches {
		if b.CreatedAt.After(since) {
			n++
		}
	}
	if n >= limit {
		return &batchgate.Error{Code: batchgate.ERATELIMIT, Param: "rpm_limit", Message: fmt.Sprintf(
			"Rate limit exceeded for this key: rpm_limit %d, and it created %d files and batches in the last minute. Retry in a minute.", limit, n)}
	}
	return nil
}

// parallelLimited reports whether the caller's key limits its batches in progress.
func (c Caller) parallelLimited() bool { return c.Key != nil && c.Key.MaxParallelRequests != nil }

// checkParallel refuses a new batch when the key's max_parallel_requests
// batches are in progress (not yet completed, failed, expired or
// cancelled). It runs under the budget lock (holdBudgets), so that two
// creations at once cannot both take the last place.
func (g *Gateway) checkParallel(ctx context.Context, c Caller) error {
	if !c.parallelLimited() {
		return nil
	}
	limit := *c.Key.MaxParallelRequests
	running, err := g.Store.FindBatches(ctx, batchgate.BatchFilter{Scope: batchgate.Scope{KeyID: c.Key.ID}, NonTerminal: true,
		Page: batchgate.Page{Limit: int(min(limit, 10000)) + 1}})
	if err != nil {
		return err
	}
	if int64(len(running)) >= limit {
		return &batchgate.Error{Code: batchgate.ERATELIMIT, Param: "max_parallel_requests", Message: fmt.Sprintf(
			"This key has %d batches in progress, its max_parallel_requests: wait for one to finish, or cancel one.", len(running))}
	}
	return nil
}

// checkKeyType checks a key_type and returns the allowed_routes it sets
// (nil for "default").
func checkKeyType(t string) ([]string, error) {
	group, ok := KeyTypes[t]
	if !ok {
		names := make([]string, 0, len(KeyTypes))
		for n := range KeyTypes {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "key_type", Message: fmt.Sprintf("key_type %q must be one of %v", t, names)}
	}
	if group == "" {
		return nil, nil
	}
	return []string{group}, nil
}
