package httpapi_test

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/config"
)

// modelIDs returns the sorted ids of /v1/models as key sees them.
func (e *env) modelIDs(key string) []string {
	e.t.Helper()
	var models struct{ Data []struct{ ID string } }
	e.ok(key, "GET", "/v1/models", nil, &models)
	var ids []string
	for _, m := range models.Data {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	return ids
}

// updated is the answer of /team/update and /user/update: LiteLLM's
// {"team_id"|"user_id", "data": the object of /team/info or /user/info}.
type updated struct {
	TeamID string `json:"team_id"`
	UserID string `json:"user_id"`
	Data   struct {
		TeamID         string         `json:"team_id"`
		TeamAlias      *string        `json:"team_alias"`
		UserID         string         `json:"user_id"`
		UserEmail      *string        `json:"user_email"`
		UserAlias      *string        `json:"user_alias"`
		Models         []string       `json:"models"`
		Metadata       map[string]any `json:"metadata"`
		MaxBudget      *float64       `json:"max_budget"`
		BudgetDuration *string        `json:"budget_duration"`
		BudgetResetAt  *time.Time     `json:"budget_reset_at"`
		Members        []struct {
			UserID string `json:"user_id"`
		} `json:"members_with_roles"`
	} `json:"data"`
}

// /team/update changes a team's models and budget after creation, and the
// team's keys feel it at once; fields left out stay as they were.
func TestTeamUpdate(t *testing.T) {
	info := config.ModelInfo{InputCostPerTokenBatches: costPtr(0.000001), OutputCostPerTokenBatches: costPtr(0.000005)}
	g := newGovEnv(t, govOptions{info: info})
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-up", "team_alias": "Up", "models": []string{model, novaModel},
		"metadata": map[string]any{"cost_center": "42"}, "members_with_roles": []map[string]any{{"user_id": "u-m", "role": "admin"}}}, nil)
	key := g.newKey(map[string]any{"team_id": "t-up"})
	if got := g.modelIDs(key); !slices.Equal(got, []string{model, novaModel}) {
		t.Fatalf("/v1/models before the update = %v", got)
	}

	// Remove a model: /v1/models drops it, uploads for it are refused.
	var up updated
	g.ok(master, "POST", "/team/update", map[string]any{"team_id": "t-up", "models": []string{novaModel}}, &up)
	if up.TeamID != "t-up" || up.Data.TeamID != "t-up" || !slices.Equal(up.Data.Models, []string{novaModel}) ||
		up.Data.TeamAlias == nil || *up.Data.TeamAlias != "Up" || up.Data.Metadata["cost_center"] != "42" ||
		len(up.Data.Members) != 1 || up.Data.MaxBudget != nil {
		t.Errorf("team/update models = %+v", up)
	}
	if got := g.modelIDs(key); !slices.Equal(got, []string{novaModel}) {
		t.Errorf("/v1/models after the team lost %s = %v", model, got)
	}
	if r := g.upload(key, part{"purpose", "batch"}, part{"file", chatLines(1, model, 10)}); r.status != 403 {
		t.Errorf("upload for the removed model: %d %s", r.status, r.body)
	}
	g.createBatch(key, g.uploadOK(key, chatLines(1, novaModel, 10)))

	// Set a budget smaller than a batch's worst case: the team's key is
	// refused. Clear it with null: the same batch is accepted.
	file := g.uploadOK(key, chatLines(2, novaModel, 4000))
	g.ok(master, "POST", "/team/update", map[string]any{"team_id": "t-up", "max_budget": 0.0000001, "budget_duration": "30d", "team_alias": "Renamed"}, &up)
	if up.Data.MaxBudget == nil || *up.Data.MaxBudget != 0.0000001 || up.Data.BudgetDuration == nil || *up.Data.BudgetDuration != "30d" ||
		up.Data.BudgetResetAt == nil || *up.Data.TeamAlias != "Renamed" || !slices.Equal(up.Data.Models, []string{novaModel}) {
		t.Errorf("team/update budget = %+v", up.Data)
	}
	status, ae, _ := g.createBatchErr(key, file)
	checkBudgetError(t, "batch over the updated team budget", status, ae, "team t-up")
	g.ok(master, "POST", "/team/update", map[string]any{"team_id": "t-up", "max_budget": nil}, &up)
	if up.Data.MaxBudget != nil || up.Data.BudgetDuration == nil || *up.Data.BudgetDuration != "30d" {
		t.Errorf("team/update max_budget null = %+v", up.Data)
	}
	if status, ae, _ := g.createBatchErr(key, file); status != 200 {
		t.Errorf("batch after the team budget was cleared: %d %+v", status, ae.Error)
	}
	// /team/info shows what /team/update answered.
	var ti struct {
		TeamInfo struct {
			Models    []string `json:"models"`
			MaxBudget *float64 `json:"max_budget"`
			TeamAlias string   `json:"team_alias"`
		} `json:"team_info"`
	}
	g.ok(master, "GET", "/team/info?team_id=t-up", nil, &ti)
	if !slices.Equal(ti.TeamInfo.Models, []string{novaModel}) || ti.TeamInfo.MaxBudget != nil || ti.TeamInfo.TeamAlias != "Renamed" {
		t.Errorf("team/info after the updates = %+v", ti.TeamInfo)
	}

	// Models [] gives the team every model again.
	g.ok(master, "POST", "/team/update", map[string]any{"team_id": "t-up", "models": []string{}}, nil)
	if got := g.modelIDs(key); !slices.Equal(got, []string{model, novaModel}) {
		t.Errorf("/v1/models after models [] = %v", got)
	}

	// Refusals: an unknown team, no team_id, an empty model name, a negative budget.
	if r := g.json(master, "POST", "/team/update", map[string]any{"team_id": "t-none", "max_budget": 1}); r.status != 404 {
		t.Errorf("update of a missing team: %d %s", r.status, r.body)
	} else {
		wantError(t, "t-none", r, 404, "team_id")
	}
	for _, body := range []map[string]any{
		{"models": []string{model}},
		{"team_id": "t-up", "models": []string{""}},
		{"team_id": "t-up", "max_budget": -1},
		{"team_id": "t-up", "budget_duration": "soon"},
	} {
		if r := g.json(master, "POST", "/team/update", body); r.status != 400 {
			t.Errorf("team/update %v: %d %s", body, r.status, r.body)
		}
	}
	if got := g.modelIDs(key); !slices.Equal(got, []string{model, novaModel}) {
		t.Errorf("a refused update changed the team: /v1/models = %v", got)
	}
}

// /user/update changes a user's models, budget and names; its keys feel
// the new models at once.
func TestUserUpdate(t *testing.T) {
	info := config.ModelInfo{InputCostPerTokenBatches: costPtr(0.000001), OutputCostPerTokenBatches: costPtr(0.000005)}
	g := newGovEnv(t, govOptions{info: info})
	var user struct{ Key string }
	g.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-up", "user_email": "up@example.com", "models": []string{model, novaModel}}, &user)
	if got := g.modelIDs(user.Key); !slices.Equal(got, []string{model, novaModel}) {
		t.Fatalf("/v1/models before the update = %v", got)
	}

	var up updated
	g.ok(master, "POST", "/user/update", map[string]any{"user_id": "u-up", "models": []string{model}, "user_alias": "Up",
		"max_budget": 0.0000001, "metadata": map[string]any{"desk": "7"}}, &up)
	if up.UserID != "u-up" || up.Data.UserID != "u-up" || !slices.Equal(up.Data.Models, []string{model}) ||
		up.Data.UserEmail == nil || *up.Data.UserEmail != "up@example.com" || up.Data.UserAlias == nil || *up.Data.UserAlias != "Up" ||
		up.Data.MaxBudget == nil || *up.Data.MaxBudget != 0.0000001 || up.Data.Metadata["desk"] != "7" {
		t.Errorf("user/update = %+v", up)
	}
	if got := g.modelIDs(user.Key); !slices.Equal(got, []string{model}) {
		t.Errorf("/v1/models after the user lost %s = %v", novaModel, got)
	}
	if r := g.upload(user.Key, part{"purpose", "batch"}, part{"file", chatLines(1, novaModel, 10)}); r.status != 403 {
		t.Errorf("upload for the removed model: %d %s", r.status, r.body)
	}
	file := g.uploadOK(user.Key, chatLines(2, model, 4000))
	status, ae, _ := g.createBatchErr(user.Key, file)
	checkBudgetError(t, "batch over the updated user budget", status, ae, "user u-up")

	g.ok(master, "POST", "/user/update", map[string]any{"user_id": "u-up", "max_budget": nil, "user_email": "new@example.com"}, &up)
	if up.Data.MaxBudget != nil || *up.Data.UserEmail != "new@example.com" || !slices.Equal(up.Data.Models, []string{model}) || up.Data.Metadata["desk"] != "7" {
		t.Errorf("user/update max_budget null = %+v", up.Data)
	}
	if status, ae, _ := g.createBatchErr(user.Key, file); status != 200 {
		t.Errorf("batch after the user budget was cleared: %d %+v", status, ae.Error)
	}
	var ui struct {
		UserInfo struct {
			UserEmail string   `json:"user_email"`
			MaxBudget *float64 `json:"max_budget"`
			Models    []string `json:"models"`
		} `json:"user_info"`
	}
	g.ok(master, "GET", "/user/info?user_id=u-up", nil, &ui)
	if ui.UserInfo.UserEmail != "new@example.com" || ui.UserInfo.MaxBudget != nil || !slices.Equal(ui.UserInfo.Models, []string{model}) {
		t.Errorf("user/info after the updates = %+v", ui.UserInfo)
	}

	if r := g.json(master, "POST", "/user/update", map[string]any{"user_id": "u-none", "max_budget": 1}); r.status != 404 {
		t.Errorf("update of a missing user: %d %s", r.status, r.body)
	} else {
		wantError(t, "u-none", r, 404, "user_id")
	}
	if r := g.json(master, "GET", "/user/info?user_id=u-none", nil); r.status != 404 {
		t.Errorf("/user/update created u-none: %d", r.status)
	}
	for _, body := range []map[string]any{
		{"models": []string{model}},
		{"user_id": "u-up", "models": []string{""}},
		{"user_id": "u-up", "max_budget": "lots"},
	} {
		if r := g.json(master, "POST", "/user/update", body); r.status != 400 {
			t.Errorf("user/update %v: %d %s", body, r.status, r.body)
		}
	}
}

// The new admin routes refuse virtual keys (403, even a key updating its
// own team or user, or blocking itself) and anonymous callers (401).
func TestAdminUpdateRoutesNeedTheMasterKey(t *testing.T) {
	g := newGovEnv(t, govOptions{})
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-own", "models": []string{novaModel}}, nil)
	var user struct{ Key string }
	g.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-own", "models": []string{novaModel}, "teams": []string{"t-own"}}, &user)
	other := g.newKey(map[string]any{})
	for _, path := range []string{"/team/update", "/user/update", "/key/block", "/key/unblock"} {
		body := map[string]any{"team_id": "t-own", "user_id": "u-own", "models": []string{}, "max_budget": nil, "key": other}
		if r := g.json(user.Key, "POST", path, body); r.status != 403 {
			t.Errorf("%s with a virtual key: %d %s", path, r.status, r.body)
		}
		if r := g.json("", "POST", path, body); r.status != 401 {
			t.Errorf("%s without a key: %d %s", path, r.status, r.body)
		}
	}
	if got := g.modelIDs(user.Key); !slices.Equal(got, []string{novaModel}) {
		t.Errorf("a refused update widened the models: %v", got)
	}
	if r := g.json(other, "GET", "/v1/files", nil); r.status != 200 {
		t.Errorf("a refused /key/block blocked the key: %d %s", r.status, r.body)
	}
}

// keyBlocked is the part of LiteLLM's key object /key/block answers with.
type keyBlocked struct {
	Token   string `json:"token"`
	Blocked *bool  `json:"blocked"`
}

// /key/block refuses the key on every route with LiteLLM's 401 until
// /key/unblock; /key/info and /key/list show "blocked".
func TestKeyBlock(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key()
	fileID := e.uploadOK(key, lines(1, model))
	b := e.createBatch(key, fileID)
	other := e.key()

	var kb keyBlocked
	e.ok(master, "POST", "/key/block", map[string]any{"key": key}, &kb)
	if kb.Blocked == nil || !*kb.Blocked || kb.Token == "" {
		t.Errorf("key/block = %+v", kb)
	}
	for _, p := range []struct{ method, path string }{
		{"GET", "/v1/files"}, {"GET", "/v1/files/" + fileID}, {"GET", "/v1/batches"}, {"GET", "/v1/batches/" + b.ID},
		{"POST", "/v1/batches"}, {"GET", "/v1/models"}, {"GET", "/key/info"}, {"GET", "/files"},
	} {
		var body any
		if p.method == "POST" {
			body = map[string]any{"input_file_id": fileID, "endpoint": "/v1/chat/completions", "completion_window": "24h"}
		}
		r := e.json(key, p.method, p.path, body)
		wantError(t, p.method+" "+p.path+" with a blocked key", r, 401, "")
		var ae apiError
		r.json(t, &ae)
		if ae.Error.Message != "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin." {
			t.Errorf("%s %s: message %q", p.method, p.path, ae.Error.Message)
		}
	}
	if r := e.upload(key, part{"purpose", "batch"}, part{"file", lines(1, model)}); r.status != 401 {
		t.Errorf("upload with a blocked key: %d %s", r.status, r.body)
	}
	// Other keys go on working; the admin sees the flag.
	if r := e.json(other, "GET", "/v1/files", nil); r.status != 200 {
		t.Errorf("another key while one is blocked: %d %s", r.status, r.body)
	}
	var info struct {
		Info struct{ Blocked *bool } `json:"info"`
	}
	e.ok(master, "GET", "/key/info?key="+key, nil, &info)
	if info.Info.Blocked == nil || !*info.Info.Blocked {
		t.Errorf("key/info of the blocked key: blocked = %v", info.Info.Blocked)
	}
	var list struct {
		Keys []keyBlocked `json:"keys"`
	}
	e.ok(master, "GET", "/key/list?return_full_object=true", nil, &list)
	blocked := map[string]bool{}
	for _, k := range list.Keys {
		if k.Blocked == nil {
			t.Errorf("key/list: %s has no blocked field", k.Token)
			continue
		}
		blocked[k.Token] = *k.Blocked
	}
	if len(blocked) != 2 || !blocked[kb.Token] {
		t.Errorf("key/list blocked = %v, want only %s", blocked, kb.Token)
	}

	// Unblock by the token (the hash), as LiteLLM accepts either form.
	e.ok(master, "POST", "/key/unblock", map[string]any{"key": kb.Token}, &kb)
	if kb.Blocked == nil || *kb.Blocked {
		t.Errorf("key/unblock = %+v", kb)
	}
	for _, path := range []string{"/v1/files", "/v1/batches", "/v1/batches/" + b.ID} {
		if r := e.json(key, "GET", path, nil); r.status != 200 {
			t.Errorf("GET %s after unblock: %d %s", path, r.status, r.body)
		}
	}
	e.createBatch(key, e.uploadOK(key, lines(1, model)))

	// Unknown keys are 404; the key is required.
	for _, k := range []string{"sk-never-issued-0000", "0123456789abcdef"} {
		for _, path := range []string{"/key/block", "/key/unblock"} {
			if r := e.json(master, "POST", path, map[string]any{"key": k}); r.status != 404 {
				t.Errorf("%s of an unknown key: %d %s", path, r.status, r.body)
			}
		}
	}
	if r := e.json(master, "POST", "/key/block", map[string]any{}); r.status != 400 {
		t.Errorf("key/block without key: %d %s", r.status, r.body)
	}
}

// "blocked" on /key/generate and /key/update, as LiteLLM accepts it.
func TestKeyBlockedOnGenerateAndUpdate(t *testing.T) {
	e := newEnv(t, 1)
	var k struct {
		Key     string `json:"key"`
		Blocked *bool  `json:"blocked"`
	}
	e.ok(master, "POST", "/key/generate", map[string]any{"blocked": true}, &k)
	if k.Blocked == nil || !*k.Blocked {
		t.Errorf("key/generate blocked = %v", k.Blocked)
	}
	if r := e.json(k.Key, "GET", "/v1/files", nil); r.status != 401 {
		t.Errorf("a key generated blocked: %d %s", r.status, r.body)
	}
	var upd keyBlocked
	e.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "blocked": false}, &upd)
	if upd.Blocked == nil || *upd.Blocked {
		t.Errorf("key/update blocked false = %+v", upd)
	}
	if r := e.json(k.Key, "GET", "/v1/files", nil); r.status != 200 {
		t.Errorf("after key/update blocked false: %d %s", r.status, r.body)
	}
	// An update without "blocked" leaves it as it is.
	e.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "blocked": true}, nil)
	e.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "key_alias": "renamed"}, &upd)
	if upd.Blocked == nil || !*upd.Blocked {
		t.Errorf("key/update without blocked unblocked the key: %+v", upd)
	}
	if r := e.json(k.Key, "GET", "/v1/batches", nil); r.status != 401 {
		t.Errorf("a key updated blocked: %d %s", r.status, r.body)
	}
	// A fresh key is not blocked.
	e.ok(master, "POST", "/key/generate", map[string]any{}, &k)
	if k.Blocked == nil || *k.Blocked {
		t.Errorf("a new key: blocked = %v", k.Blocked)
	}
}
