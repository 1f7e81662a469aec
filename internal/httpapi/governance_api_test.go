package httpapi_test

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
)

// LiteLLM's user and team routes, with their request and response shapes.
func TestUsersAndTeams(t *testing.T) {
	g := newGovEnv(t, govOptions{})
	var team struct {
		TeamID           string   `json:"team_id"`
		TeamAlias        *string  `json:"team_alias"`
		Models           []string `json:"models"`
		MaxBudget        *float64 `json:"max_budget"`
		Spend            float64  `json:"spend"`
		BudgetDuration   *string  `json:"budget_duration"`
		MembersWithRoles []struct {
			UserID string `json:"user_id"`
			Role   string `json:"role"`
		} `json:"members_with_roles"`
	}
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-ml", "team_alias": "ML", "models": []string{model, novaModel},
		"max_budget": 20, "budget_duration": "30d", "members_with_roles": []map[string]any{{"user_id": "u-lead", "role": "admin"}}}, &team)
	if team.TeamID != "t-ml" || *team.TeamAlias != "ML" || len(team.Models) != 2 || *team.MaxBudget != 20 || *team.BudgetDuration != "30d" ||
		len(team.MembersWithRoles) != 1 || team.MembersWithRoles[0].Role != "admin" {
		t.Errorf("team/new = %+v", team)
	}
	if r := g.json(master, "POST", "/team/new", map[string]any{"team_id": "t-ml"}); r.status != 409 {
		t.Errorf("a second t-ml: %d %s", r.status, r.body)
	}
	// LiteLLM's other model names are stored as sent (issue 13); an empty name means nothing.
	if r := g.json(master, "POST", "/team/new", map[string]any{"models": []string{""}}); r.status != 400 {
		t.Errorf("a team with an empty model name: %d %s", r.status, r.body)
	}

	var user struct {
		UserID    string   `json:"user_id"`
		Key       string   `json:"key"`
		Models    []string `json:"models"`
		MaxBudget *float64 `json:"max_budget"`
		Teams     []string `json:"teams"`
	}
	g.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-ann", "user_email": "ann@example.com", "models": []string{model},
		"max_budget": 5, "teams": []string{"t-ml"}}, &user)
	if user.UserID != "u-ann" || user.Key == "" || !slices.Equal(user.Models, []string{model}) || *user.MaxBudget != 5 || !slices.Equal(user.Teams, []string{"t-ml"}) {
		t.Errorf("user/new = %+v", user)
	}

	// member_add: one member or a list; a member that is no user yet becomes one.
	g.ok(master, "POST", "/team/member_add", map[string]any{"team_id": "t-ml", "member": map[string]any{"user_id": "u-bob", "role": "user"}}, &team)
	g.ok(master, "POST", "/team/member_add", map[string]any{"team_id": "t-ml", "member": []map[string]any{{"user_id": "u-cy"}}}, &team)
	var members []string
	for _, m := range team.MembersWithRoles {
		members = append(members, m.UserID)
	}
	sort.Strings(members)
	if !slices.Equal(members, []string{"u-ann", "u-bob", "u-cy", "u-lead"}) {
		t.Errorf("members after member_add: %v", members)
	}
	if r := g.json(master, "POST", "/team/member_add", map[string]any{"team_id": "t-none", "member": map[string]any{"user_id": "u-bob"}}); r.status != 404 {
		t.Errorf("member_add to a missing team: %d %s", r.status, r.body)
	}
	var info struct {
		UserID   string `json:"user_id"`
		UserInfo struct {
			UserID    string   `json:"user_id"`
			UserEmail *string  `json:"user_email"`
			MaxBudget *float64 `json:"max_budget"`
			Spend     float64  `json:"spend"`
		} `json:"user_info"`
		Keys  []struct{ Token string } `json:"keys"`
		Teams []struct {
			TeamID string `json:"team_id"`
		} `json:"teams"` // team objects, as LiteLLM's
	}
	g.ok(master, "GET", "/user/info?user_id=u-bob", nil, &info)
	if info.UserID != "u-bob" || len(info.Teams) != 1 || info.Teams[0].TeamID != "t-ml" {
		t.Errorf("user/info of u-bob = %+v", info)
	}
	// The user's key reads its own user (no user_id needed).
	g.ok(user.Key, "GET", "/user/info", nil, &info)
	if info.UserID != "u-ann" || *info.UserInfo.UserEmail != "ann@example.com" || *info.UserInfo.MaxBudget != 5 || len(info.Keys) != 1 || len(info.Teams) != 1 {
		t.Errorf("user/info by the user's key = %+v", info)
	}
	var ti struct {
		TeamID   string `json:"team_id"`
		TeamInfo struct {
			MaxBudget *float64 `json:"max_budget"`
		} `json:"team_info"`
		Keys []struct{ Token string } `json:"keys"`
	}
	g.ok(user.Key, "GET", "/team/info", nil, &ti) // the key's team: user/new gave it the one team
	if ti.TeamID != "t-ml" || *ti.TeamInfo.MaxBudget != 20 || len(ti.Keys) != 1 {
		t.Errorf("team/info by the user's key = %+v", ti)
	}

	// Admin routes refuse virtual keys, and anonymous callers.
	for _, p := range []struct{ method, path string }{
		{"POST", "/user/new"}, {"POST", "/team/new"}, {"POST", "/team/member_add"}, {"POST", "/key/generate"},
		{"POST", "/key/update"}, {"POST", "/key/delete"}, {"GET", "/key/list"}, {"GET", "/user/list"}, {"GET", "/team/list"},
	} {
		body := map[string]any{"team_id": "t-ml", "user_id": "u-evil", "member": map[string]any{"user_id": "u-evil"}, "key": user.Key, "keys": []string{user.Key}}
		if r := g.json(user.Key, p.method, p.path, body); r.status != 403 {
			t.Errorf("%s %s with a virtual key: %d %s", p.method, p.path, r.status, r.body)
		}
		if r := g.json("", p.method, p.path, body); r.status != 401 {
			t.Errorf("%s %s without a key: %d %s", p.method, p.path, r.status, r.body)
		}
	}
	if r := g.json(master, "GET", "/user/info?user_id=u-evil", nil); r.status != 404 {
		t.Errorf("a refused /user/new created u-evil: %d", r.status)
	}
}

// A key may use a model only if its key, its user and its team all allow it.
func TestEffectiveModelAccess(t *testing.T) {
	g := newGovEnv(t, govOptions{})
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-nova", "models": []string{novaModel}}, nil)
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-all"}, nil)
	g.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-claude", "models": []string{model}, "auto_create_key": false}, nil)
	g.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-all", "auto_create_key": false}, nil)
	for _, tc := range []struct {
		name       string
		key        map[string]any
		want       []string
		notAllowed string
	}{
		{"all", map[string]any{}, []string{model, novaModel}, ""},
		{"key limits", map[string]any{"models": []string{novaModel}}, []string{novaModel}, model},
		{"user limits", map[string]any{"user_id": "u-claude", "team_id": "t-all"}, []string{model}, novaModel},
		{"team limits", map[string]any{"user_id": "u-all", "team_id": "t-nova"}, []string{novaModel}, model},
		{"key and team", map[string]any{"models": []string{model, novaModel}, "team_id": "t-nova"}, []string{novaModel}, model},
		{"user and team disjoint", map[string]any{"user_id": "u-claude", "team_id": "t-nova"}, nil, model},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := g.newKey(tc.key)
			var models struct{ Data []struct{ ID string } }
			g.ok(key, "GET", "/v1/models", nil, &models)
			var got []string
			for _, m := range models.Data {
				got = append(got, m.ID)
			}
			sort.Strings(got)
			want := slices.Clone(tc.want)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("/v1/models = %v, want %v", got, want)
			}
			if len(tc.want) > 0 {
				allowed := tc.want[0]
				g.createBatch(key, g.uploadOK(key, chatLines(1, allowed, 10)))
			}
			if tc.notAllowed != "" {
				if r := g.upload(key, part{"purpose", "batch"}, part{"file", chatLines(1, tc.notAllowed, 10)}); r.status != 403 {
					t.Errorf("upload for %s: %d %s", tc.notAllowed, r.status, r.body)
				}
				// A file prepared by the master key for that model cannot be run either.
				if r := g.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": g.uploadOK(master, chatLines(1, tc.notAllowed, 10))}); r.status != 404 {
					t.Errorf("batch of the master's file: %d %s", r.status, r.body)
				}
			}
		})
	}

	// Access is checked again when the batch is created: a file prepared
	// while the key could use the model cannot run once it no longer can.
	key := g.newKey(map[string]any{})
	fileID := g.uploadOK(key, chatLines(1, model, 10))
	g.ok(master, "POST", "/key/update", map[string]any{"key": key, "models": []string{novaModel}}, nil)
	if r := g.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": fileID}); r.status != 403 {
		t.Errorf("batch for a model the key lost: %d %s", r.status, r.body)
	}
}

// Members added at once are all kept.
func TestConcurrentMemberAdd(t *testing.T) {
	g := newGovEnv(t, govOptions{})
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-busy"}, nil)
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				g.ok(master, "POST", "/team/member_add", map[string]any{"team_id": "t-busy", "member": map[string]any{"user_id": fmt.Sprintf("u-%d", i)}}, nil)
			} else {
				g.ok(master, "POST", "/user/new", map[string]any{"user_id": fmt.Sprintf("u-%d", i), "teams": []string{"t-busy"}, "auto_create_key": false}, nil)
			}
		})
	}
	wg.Wait()
	var ti struct {
		TeamInfo struct {
			MembersWithRoles []struct {
				UserID string `json:"user_id"`
			} `json:"members_with_roles"`
		} `json:"team_info"`
	}
	g.ok(master, "GET", "/team/info?team_id=t-busy", nil, &ti)
	if len(ti.TeamInfo.MembersWithRoles) != n {
		t.Errorf("team has %d members, want %d", len(ti.TeamInfo.MembersWithRoles), n)
	}
}
