package httpapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// keyLimits are LiteLLM's key fields beyond budgets, as /key/generate,
// /key/info and /key/update return them.
type keyLimits struct {
	Key                 string   `json:"key"`
	KeyType             string   `json:"key_type"`
	Duration            *string  `json:"duration"`
	TPMLimit            *int64   `json:"tpm_limit"`
	RPMLimit            *int64   `json:"rpm_limit"`
	MaxParallelRequests *int64   `json:"max_parallel_requests"`
	SoftBudget          *float64 `json:"soft_budget"`
	AllowedRoutes       []string `json:"allowed_routes"`
	KeyAlias            *string  `json:"key_alias"`
	Expires             *time.Time
}

// TestKeyLiteLLMFields: /key/generate takes LiteLLM's key_type (its
// default "default" included), tpm_limit, rpm_limit, max_parallel_requests,
// soft_budget, allowed_routes and duration, stores them and returns them
// (issue 13). Refusing a LiteLLM default is a bug.
func TestKeyLiteLLMFields(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	e := newClockEnv(t, clk, nil)
	var k keyLimits
	e.ok(master, "POST", "/key/generate", map[string]any{"models": []string{model}, "key_type": "default", "tpm_limit": 1000, "rpm_limit": 50,
		"max_parallel_requests": 2, "soft_budget": 5.5, "allowed_routes": []string{"llm_api_routes", "/key/info"}, "duration": "30s"}, &k)
	check := func(what string, k keyLimits) {
		t.Helper()
		if k.KeyType != "default" || k.Duration == nil || *k.Duration != "30s" || k.TPMLimit == nil || *k.TPMLimit != 1000 ||
			k.RPMLimit == nil || *k.RPMLimit != 50 || k.MaxParallelRequests == nil || *k.MaxParallelRequests != 2 ||
			k.SoftBudget == nil || *k.SoftBudget != 5.5 || !slices.Equal(k.AllowedRoutes, []string{"llm_api_routes", "/key/info"}) ||
			k.Expires == nil || k.Expires.Sub(clk.now().Add(30*time.Second)).Abs() >= time.Millisecond {
			t.Errorf("%s = %+v", what, k)
		}
	}
	check("/key/generate", k)
	var info struct{ Info keyLimits }
	e.ok(master, "GET", "/key/info?key="+k.Key, nil, &info)
	check("/key/info", info.Info)

	// The key works until its duration is over, then it is refused as LiteLLM does (401).
	if r := e.json(k.Key, "GET", "/v1/files", nil); r.status != 200 {
		t.Errorf("a fresh key: %d %s", r.status, r.body)
	}
	clk.add(31 * time.Second)
	if r := e.json(k.Key, "GET", "/v1/files", nil); r.status != 401 {
		t.Errorf("an expired key: %d %s", r.status, r.body)
	}

	// key_type other than default sets allowed_routes as LiteLLM's handle_key_type does.
	e.ok(master, "POST", "/key/generate", map[string]any{"key_type": "read_only"}, &k)
	if k.KeyType != "read_only" || !slices.Equal(k.AllowedRoutes, []string{"info_routes"}) {
		t.Errorf("key_type read_only: %+v", k)
	}
	wantError(t, "key_type", e.json(master, "POST", "/key/generate", map[string]any{"key_type": "superuser"}), 400, "key_type")
	wantError(t, "negative rpm_limit", e.json(master, "POST", "/key/generate", map[string]any{"rpm_limit": -1}), 400, "rpm_limit")
	wantError(t, "duration", e.json(master, "POST", "/key/generate", map[string]any{"duration": "30x"}), 400, "duration")

	// /key/update changes them; fields left out stay.
	var upd keyLimits
	e.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "rpm_limit": 7, "allowed_routes": []string{}}, &upd)
	if upd.RPMLimit == nil || *upd.RPMLimit != 7 || len(upd.AllowedRoutes) != 0 || upd.KeyType != "read_only" {
		t.Errorf("/key/update = %+v", upd)
	}
}

// TestUserNewKeyFields: /user/new's duration and key_alias apply to the
// key it makes for the user, as in LiteLLM.
func TestUserNewKeyFields(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	e := newClockEnv(t, clk, nil)
	var u struct{ Key string }
	e.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-d", "duration": "1h", "key_alias": "u-d-key"}, &u)
	var info struct{ Info keyLimits }
	e.ok(master, "GET", "/key/info?key="+u.Key, nil, &info)
	if info.Info.KeyAlias == nil || *info.Info.KeyAlias != "u-d-key" || info.Info.Expires == nil || info.Info.Expires.Sub(clk.now().Add(time.Hour)).Abs() >= time.Millisecond {
		t.Errorf("the user's key = %+v", info.Info)
	}
	wantError(t, "bad duration", e.json(master, "POST", "/user/new", map[string]any{"user_id": "u-bad", "duration": "soon"}), 400, "duration")
	if r := e.json(master, "GET", "/user/info?user_id=u-bad", nil); r.status != 404 {
		t.Errorf("a refused /user/new created the user: %d", r.status)
	}
}

// TestAllowedRoutes: a key's allowed_routes limit the routes it may call,
// with LiteLLM's semantics (litellm/proxy/auth/route_checks.py
// is_virtual_key_allowed_to_call_route): exact routes and the routes under
// them, route groups by name, a trailing "*"; others are 403.
func TestAllowedRoutes(t *testing.T) {
	e := newEnv(t, 1)
	for _, tt := range []struct {
		routes  []string
		allowed []string
		refused []string
	}{
		{[]string{"/v1/files"}, []string{"/v1/files", "/v1/files/file-x"}, []string{"/v1/batches", "/key/info", "/files"}},
		{[]string{"llm_api_routes"}, []string{"/v1/files", "/files/file-x/content", "/v1/batches/batch_x", "/v1/models"}, []string{"/key/info", "/spend/logs"}},
		{[]string{"info_routes"}, []string{"/key/info", "/model_group/info", "/v1/models"}, []string{"/v1/files", "/v1/batches"}},
		{[]string{"/v1/batch*"}, []string{"/v1/batches", "/v1/batches/batch_x"}, []string{"/v1/files"}},
	} {
		key := e.newKey(map[string]any{"allowed_routes": tt.routes})
		for _, p := range tt.allowed {
			if r := e.json(key, "GET", p, nil); r.status == 403 {
				t.Errorf("%v: GET %s refused: %s", tt.routes, p, r.body)
			}
		}
		for _, p := range tt.refused {
			r := e.json(key, "GET", p, nil)
			ae := wantError(t, strings.Join(tt.routes, ",")+" "+p, r, 403, "")
			if !strings.Contains(ae.Error.Message, "not allowed to call this route") {
				t.Errorf("GET %s: %s", p, r.body)
			}
		}
	}
	// key_type llm_api: the OpenAI routes only.
	key := e.newKey(map[string]any{"key_type": "llm_api"})
	if r := e.json(key, "GET", "/v1/files", nil); r.status != 200 {
		t.Errorf("llm_api key on /v1/files: %d %s", r.status, r.body)
	}
	if r := e.json(key, "GET", "/key/info", nil); r.status != 403 {
		t.Errorf("llm_api key on /key/info: %d %s", r.status, r.body)
	}
}

// TestRPMLimit: rpm_limit counts a key's file uploads and batch creations
// in the last minute; one more is refused with 429, as LiteLLM does.
func TestRPMLimit(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	e := newClockEnv(t, clk, nil)
	key := e.newKey(map[string]any{"rpm_limit": 3})
	other := e.newKey(map[string]any{"rpm_limit": 3})
	f1 := e.uploadOK(key, lines(1, model))
	e.uploadOK(key, lines(1, model))
	e.createBatch(key, f1)
	r := e.upload(key, part{"purpose", "batch"}, part{"file", lines(1, model)})
	if ae := wantError(t, "4th upload", r, 429, "rpm_limit"); ae.Error.Type != "rate_limit_error" {
		t.Errorf("type %q", ae.Error.Type)
	}
	wantError(t, "batch over the limit", e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": f1, "endpoint": "/v1/chat/completions", "completion_window": "24h"}), 429, "rpm_limit")
	e.uploadOK(other, lines(1, model)) // another key has its own limit
	clk.add(61 * time.Second)
	e.uploadOK(key, lines(1, model))
}

// TestMaxParallelRequests: max_parallel_requests bounds the key's batches
// in progress; one more is refused with 429.
func TestMaxParallelRequests(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	e := newClockEnv(t, clk, nil) // no reconciler: batches stay in progress
	key := e.newKey(map[string]any{"max_parallel_requests": 1})
	f := e.uploadOK(key, lines(1, model))
	e.createBatch(key, f)
	r := e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": f, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
	if ae := wantError(t, "second batch", r, 429, "max_parallel_requests"); ae.Error.Type != "rate_limit_error" {
		t.Errorf("type %q", ae.Error.Type)
	}
	other := e.newKey(map[string]any{"max_parallel_requests": 1})
	e.createBatch(other, e.uploadOK(other, lines(1, model)))
}
