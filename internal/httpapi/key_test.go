package httpapi_test

import (
	"strings"
	"testing"
	"time"
)

func waitUntil(t *testing.T, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type keyInfo struct {
	Key, KeyName, Token string
	KeyAlias            *string `json:"key_alias"`
	Models              []string
	UserID              *string  `json:"user_id"`
	TeamID              *string  `json:"team_id"`
	MaxBudget           *float64 `json:"max_budget"`
	Spend               float64
	Metadata            map[string]any
	Expires             *time.Time
}

func TestKeyLifecycle(t *testing.T) {
	e := newEnv(t, 1)
	e.ok(master, "POST", "/team/new", map[string]any{"team_id": "t1"}, nil) // a key's team must exist
	r := e.json(master, "POST", "/key/generate", map[string]any{
		"models": []string{model}, "user_id": "u1", "team_id": "t1", "key_alias": "ci", "duration": "30d",
		"metadata": map[string]any{"env": "test"}, "max_budget": 12.5,
	})
	var k keyInfo
	r.json(t, &k)
	if r.status != 200 || !strings.HasPrefix(k.Key, "sk-") || len(k.Token) != 64 || k.Token == k.Key {
		t.Fatalf("generate: %d %s", r.status, r.body)
	}
	if *k.UserID != "u1" || *k.TeamID != "t1" || *k.KeyAlias != "ci" || *k.MaxBudget != 12.5 || k.Metadata["env"] != "test" || k.Expires == nil || k.Expires.Before(time.Now().Add(29*24*time.Hour)) {
		t.Errorf("generate returned %+v", k)
	}
	if strings.Contains(string(e.json(master, "GET", "/key/list?return_full_object=true", nil).body), k.Key) {
		t.Error("/key/list shows the secret key")
	}

	// Info by secret, by token, and the key about itself: "key" is the key
	// asked about, as sent (the token when a key asks about itself), and
	// info has neither the secret nor the token, as LiteLLM's info_key_fn.
	for _, q := range []struct{ key, path, want string }{{master, "/key/info?key=" + k.Key, k.Key}, {master, "/key/info?key=" + k.Token, k.Token}, {k.Key, "/key/info", k.Token}} {
		r := e.json(q.key, "GET", q.path, nil)
		var info struct {
			Key  string
			Info keyInfo
		}
		r.json(t, &info)
		if r.status != 200 || info.Key != q.want || info.Info.Models[0] != model || info.Info.Key != "" || info.Info.Token != "" {
			t.Errorf("%s: %d %s", q.path, r.status, r.body)
		}
	}
	other := e.key(model)
	if r := e.json(other, "GET", "/key/info?key="+k.Key, nil); r.status != 404 {
		t.Errorf("a key read another key's info: %d", r.status)
	}

	// List, filtered.
	r = e.json(master, "GET", "/key/list?team_id=t1", nil)
	var list struct {
		Keys       []string
		TotalCount int `json:"total_count"`
	}
	r.json(t, &list)
	if list.TotalCount != 1 || list.Keys[0] != k.Token {
		t.Errorf("list team t1 = %s", r.body)
	}

	// Update the models; an empty name is refused (names batchgate does
	// not serve are kept, as LiteLLM's: TestLiteLLMModelNames).
	if r := e.json(master, "POST", "/key/update", map[string]any{"key": k.Key, "models": []string{""}}); r.status != 400 {
		t.Errorf("update with an empty model name: %d %s", r.status, r.body)
	}
	r = e.json(master, "POST", "/key/update", map[string]any{"key": k.Key, "models": []string{}, "max_budget": 3})
	var upd keyInfo
	r.json(t, &upd)
	if r.status != 200 || len(upd.Models) != 0 || *upd.MaxBudget != 3 || *upd.KeyAlias != "ci" {
		t.Errorf("update: %d %s", r.status, r.body)
	}
	// max_budget: absent leaves the budget, a string is refused naming the
	// field, null clears it (as on LiteLLM).
	e.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "key_alias": "ci2"}, &upd)
	if upd.MaxBudget == nil || *upd.MaxBudget != 3 {
		t.Errorf("an update without max_budget changed it: %v", upd.MaxBudget)
	}
	wantError(t, "max_budget as a string", e.json(master, "POST", "/key/update", map[string]any{"key": k.Key, "max_budget": "lots"}), 400, "max_budget")
	e.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "max_budget": nil}, &upd)
	var info struct {
		Info keyInfo `json:"info"`
	}
	e.ok(master, "GET", "/key/info?key="+k.Key, nil, &info)
	if upd.MaxBudget != nil || info.Info.MaxBudget != nil {
		t.Errorf("max_budget null did not clear the budget: update %v, info %v", upd.MaxBudget, info.Info.MaxBudget)
	}

	// Delete: the key stops working.
	if r := e.json(master, "POST", "/key/delete", map[string]any{"keys": []string{k.Key}}); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.json(k.Key, "GET", "/v1/files", nil); r.status != 401 {
		t.Errorf("deleted key still works: %d", r.status)
	}
	if r := e.json(master, "POST", "/key/delete", map[string]any{"keys": []string{k.Key}}); r.status != 404 {
		t.Errorf("second delete: %d %s", r.status, r.body)
	}
	if r := e.json(master, "POST", "/key/generate", map[string]any{"duration": "forever"}); r.status != 400 {
		t.Errorf("bad duration: %d %s", r.status, r.body)
	}
}

func TestModelsFilteredByKey(t *testing.T) {
	e := newEnv(t, 1)
	for _, tt := range []struct {
		name   string
		models []string
		want   int
	}{{"Allowed", []string{model}, 1}, {"AllModels", nil, 1}, {"Other", []string{"*"}, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			key := e.key(tt.models...)
			var groups struct {
				Data []struct {
					ModelGroup string `json:"model_group"`
					Mode       string
					Providers  []string
				}
			}
			e.json(key, "GET", "/model_group/info", nil).json(t, &groups)
			if len(groups.Data) != tt.want || groups.Data[0].Mode != "batch" || groups.Data[0].Providers[0] != "bedrock" {
				t.Errorf("model_group/info = %+v", groups)
			}
		})
	}
}

// TestUnsupportedFieldsRefused: a LiteLLM field batchgate cannot honour
// (a rate limit, tags) is refused naming it rather than ignored, on the
// admin routes and on batch creation alike; the same field left empty
// (null, false, 0, "", [], {}) passes, so clients that send every field work.
func TestUnsupportedFieldsRefused(t *testing.T) {
	e := newEnv(t, 1)
	wantError(t, "model_rpm_limit", e.json(master, "POST", "/key/generate", map[string]any{"models": []string{model}, "model_rpm_limit": map[string]int{model: 100}}), 400, "model_rpm_limit")
	ae := wantError(t, "two fields", e.json(master, "POST", "/team/new", map[string]any{"team_id": "t-x", "tpm_limit": 5, "tags": []string{"a"}}), 400, "tags")
	if !strings.Contains(ae.Error.Message, "tags, tpm_limit") {
		t.Errorf("message %q does not name both fields", ae.Error.Message)
	}
	if r := e.json(master, "GET", "/team/info?team_id=t-x", nil); r.status != 404 {
		t.Errorf("a refused /team/new created the team: %d", r.status)
	}
	r := e.json(master, "POST", "/key/generate", map[string]any{"models": []string{model}, "rpm_limit": nil, "tpm_limit": 0,
		"tags": []string{}, "send_invite_email": false, "aliases": map[string]any{}, "config": "", "Key_Alias": "case-insensitive"})
	if r.status != 200 || !strings.Contains(string(r.body), `"case-insensitive"`) {
		t.Errorf("a key with empty LiteLLM fields: %d %s", r.status, r.body)
	}
	// Values LiteLLM clients send that change nothing pass; one that would is refused.
	if r := e.json(master, "POST", "/user/new", map[string]any{"user_id": "u-lite", "user_role": "internal_user", "send_invite_email": true}); r.status != 200 {
		t.Errorf("/user/new with LiteLLM's default role: %d %s", r.status, r.body)
	}
	wantError(t, "proxy_admin role", e.json(master, "POST", "/user/new", map[string]any{"user_id": "u-admin", "user_role": "proxy_admin"}), 400, "user_role")
	key := e.key(model)
	fileID := e.uploadOK(key, lines(1, model))
	wantError(t, "batch field", e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": fileID, "endpoint": "/v1/chat/completions",
		"completion_window": "24h", "priority": "high"}), 400, "priority")
}
