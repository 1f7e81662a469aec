package httpapi_test

import "testing"

func TestUserAndTeamList(t *testing.T) {
	e := newEnv(t, 1)
	if r := e.json(master, "POST", "/team/new", map[string]any{"team_id": "t-empty", "team_alias": "Empty"}); r.status != 200 {
		t.Fatalf("team/new: %d %s", r.status, r.body)
	}
	if r := e.json(master, "POST", "/team/new", map[string]any{"team_id": "t-research"}); r.status != 200 {
		t.Fatalf("team/new: %d %s", r.status, r.body)
	}
	if r := e.json(master, "POST", "/user/new", map[string]any{"user_id": "u-ann", "teams": []string{"t-research"}, "auto_create_key": false}); r.status != 200 {
		t.Fatalf("user/new: %d %s", r.status, r.body)
	}

	r := e.json(master, "GET", "/team/list", nil)
	var teams []struct {
		TeamID           string `json:"team_id"`
		MembersWithRoles []struct {
			UserID string `json:"user_id"`
		} `json:"members_with_roles"`
	}
	r.json(t, &teams)
	if r.status != 200 || len(teams) != 2 {
		t.Fatalf("team/list: %d %s", r.status, r.body)
	}
	got := map[string]int{}
	for _, tm := range teams {
		got[tm.TeamID] = len(tm.MembersWithRoles)
	}
	if n, ok := got["t-empty"]; !ok || n != 0 {
		t.Errorf("team/list lacks t-empty (a team without keys): %s", r.body)
	}
	if got["t-research"] != 1 {
		t.Errorf("t-research should have one member: %s", r.body)
	}

	r = e.json(master, "GET", "/user/list", nil)
	var users struct {
		Users []struct {
			UserID string `json:"user_id"`
		} `json:"users"`
		Total int `json:"total"`
	}
	r.json(t, &users)
	if r.status != 200 || users.Total != 1 || len(users.Users) != 1 || users.Users[0].UserID != "u-ann" {
		t.Fatalf("user/list: %d %s", r.status, r.body)
	}

	// Virtual keys may not list users or teams.
	vk := e.key()
	for _, p := range []string{"/user/list", "/team/list"} {
		if r := e.json(vk, "GET", p, nil); r.status != 403 {
			t.Errorf("%s with a virtual key: %d %s, want 403", p, r.status, r.body)
		}
	}
}
