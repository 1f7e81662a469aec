package httpapi_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Field lists written down from LiteLLM's source, to compare batchgate's
// admin answers with, field by field.

// litellmGenerateKeyResponse: litellm/proxy/_types.py GenerateKeyResponse
// (with KeyRequestBase and GenerateRequestBase, which it extends).
var litellmGenerateKeyResponse = strings.Fields(`key_alias duration models spend max_budget user_id team_id agent_id
	max_parallel_requests metadata tpm_limit rpm_limit budget_duration budget_limits allowed_cache_controls config
	permissions model_max_budget model_rpm_limit model_tpm_limit guardrails policies prompts blocked aliases
	object_permission key budget_id tags enforced_params allowed_routes allowed_passthrough_routes
	allowed_vector_store_indexes rpm_limit_type tpm_limit_type router_settings access_group_ids key_name expires
	token_id organization_id project_id litellm_budget_table token created_by updated_by created_at updated_at`)

// litellmVerificationToken: litellm/proxy/_types.py LiteLLM_VerificationToken,
// the key row of /key/info's info (without token: key_management_endpoints.py
// info_key_fn pops it) and /key/update's answer (update_key_fn: {"key": key, **row}).
var litellmVerificationToken = strings.Fields(`token key_name key_alias spend max_budget expires models aliases config
	user_id team_id agent_id project_id max_parallel_requests metadata tpm_limit rpm_limit budget_duration
	budget_reset_at allowed_cache_controls allowed_routes key_type permissions model_spend model_max_budget
	soft_budget_cooldown blocked litellm_budget_table budget_id org_id created_at created_by updated_at updated_by`)

// litellmTeamInfoResponse: litellm/proxy/_types.py TeamInfoResponseObject;
// litellmTeamMembership: LiteLLM_TeamMembership; litellmUserInfoResponse:
// UserInfoResponse (internal_user_endpoints.py user_info; teams are team rows).
var (
	litellmTeamInfoResponse = []string{"team_id", "team_info", "keys", "team_memberships"}
	// LiteLLM_TeamTable (proxy/_types.py), the fields batchgate shows.
	litellmTeamTable = strings.Fields(`team_id team_alias organization_id models admins members members_with_roles
		metadata tpm_limit rpm_limit max_parallel_requests blocked max_budget spend budget_duration budget_reset_at
		created_at updated_at`)
	litellmTeamMembership   = []string{"user_id", "team_id", "budget_id", "spend", "total_spend", "litellm_budget_table"}
	litellmUserInfoResponse = []string{"user_id", "user_info", "keys", "teams"}
)

// batchgateKeyFields are batchgate's own key fields: key_id (the stable ID
// that owns files, batches and spend), soft_budget (LiteLLM takes it on
// /key/generate), key_type and budget_reset_at (in LiteLLM's key row, not
// in GenerateKeyResponse).
var batchgateKeyFields = []string{"key_id", "soft_budget", "key_type", "budget_reset_at"}

func jsonKeys(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

// checkShape fails unless obj has every want field and none outside
// litellm and extra.
func checkShape(t *testing.T, what string, obj map[string]json.RawMessage, litellm, extra, want []string) {
	t.Helper()
	var missing, unknown []string
	for _, f := range want {
		if _, ok := obj[f]; !ok {
			missing = append(missing, f)
		}
	}
	for f := range obj {
		if !slices.Contains(litellm, f) && !slices.Contains(extra, f) {
			unknown = append(unknown, f)
		}
	}
	sort.Strings(unknown)
	if len(missing)+len(unknown) > 0 {
		t.Errorf("%s: missing %v, not LiteLLM's %v", what, missing, unknown)
	}
}

// TestLiteLLMAdminShapes: /key/generate, /key/info, /key/update,
// /user/info and /team/info answer with LiteLLM's fields (issue 13).
func TestLiteLLMAdminShapes(t *testing.T) {
	e := newEnv(t, 1)
	e.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-s", "members_with_roles": []map[string]any{{"user_id": "u-s", "role": "admin"}}}, nil)
	e.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-s", "auto_create_key": false}, nil)
	r := e.json(master, "POST", "/key/generate", map[string]any{"user_id": "u-s", "team_id": "t-s", "duration": "30d", "tpm_limit": 10, "rpm_limit": 5})
	gen := jsonKeys(t, r.body)
	checkShape(t, "/key/generate", gen, litellmGenerateKeyResponse, batchgateKeyFields, strings.Fields(
		`key key_name token token_id key_alias duration models spend max_budget budget_duration user_id team_id
		max_parallel_requests metadata tpm_limit rpm_limit allowed_routes blocked expires created_by updated_by created_at updated_at`))
	var secret, token, tokenID, duration string
	json.Unmarshal(gen["key"], &secret)
	json.Unmarshal(gen["token"], &token)
	json.Unmarshal(gen["token_id"], &tokenID)
	json.Unmarshal(gen["duration"], &duration)
	if tokenID != token || duration != "30d" || string(gen["tpm_limit"]) != "10" || string(gen["created_by"]) != `"default_user_id"` {
		t.Errorf("/key/generate = %s", r.body)
	}

	// /key/info: "key" is the key asked about; info has no token.
	info := jsonKeys(t, e.json(master, "GET", "/key/info?key="+secret, nil).body)
	checkShape(t, "/key/info", info, []string{"key", "info"}, nil, []string{"key", "info"})
	if string(info["key"]) != `"`+secret+`"` {
		t.Errorf("/key/info key = %s, want the key asked about", info["key"])
	}
	row := jsonKeys(t, info["info"])
	if _, ok := row["token"]; ok {
		t.Errorf("/key/info info has the token")
	}
	checkShape(t, "/key/info info", row, litellmVerificationToken, append(batchgateKeyFields, "duration", "soft_budget"),
		strings.Fields(`key_name key_alias spend max_budget expires models user_id team_id max_parallel_requests metadata
		tpm_limit rpm_limit budget_duration budget_reset_at allowed_routes key_type blocked created_at created_by updated_at updated_by`))

	// The master key without ?key= gets its own info.
	mi := e.json(master, "GET", "/key/info", nil)
	if mi.status != 200 || !strings.Contains(string(mi.body), `"default_user_id"`) {
		t.Errorf("/key/info of the master key: %d %s", mi.status, mi.body)
	}

	// /key/update returns the key as sent, with its row.
	upd := jsonKeys(t, e.json(master, "POST", "/key/update", map[string]any{"key": secret, "key_alias": "a"}).body)
	checkShape(t, "/key/update", upd, append(litellmVerificationToken, "key"), append(batchgateKeyFields, "duration", "token_id"), []string{"key", "token", "key_alias"})
	if string(upd["key"]) != `"`+secret+`"` {
		t.Errorf("/key/update key = %s", upd["key"])
	}

	// /user/info: teams are team objects.
	ui := jsonKeys(t, e.json(master, "GET", "/user/info?user_id=u-s", nil).body)
	checkShape(t, "/user/info", ui, litellmUserInfoResponse, nil, litellmUserInfoResponse)
	var teams []map[string]any
	json.Unmarshal(ui["teams"], &teams)
	if len(teams) != 1 || teams[0]["team_id"] != "t-s" || teams[0]["members_with_roles"] == nil {
		t.Errorf("/user/info teams = %s", ui["teams"])
	}

	// /team/new: LiteLLM_TeamTable's fields.
	tn := jsonKeys(t, e.json(master, "POST", "/team/new", map[string]any{"team_id": "t-shape", "members_with_roles": []map[string]any{{"user_id": "u-s", "role": "admin"}}}).body)
	checkShape(t, "/team/new", tn, litellmTeamTable, nil, litellmTeamTable)
	if string(tn["admins"]) != `["u-s"]` || string(tn["members"]) != `[]` || string(tn["blocked"]) != "false" {
		t.Errorf("/team/new admins %s, members %s, blocked %s", tn["admins"], tn["members"], tn["blocked"])
	}

	// /team/info: team_memberships.
	ti := jsonKeys(t, e.json(master, "GET", "/team/info?team_id=t-s", nil).body)
	checkShape(t, "/team/info", ti, litellmTeamInfoResponse, nil, litellmTeamInfoResponse)
	var ms []map[string]json.RawMessage
	json.Unmarshal(ti["team_memberships"], &ms)
	if len(ms) != 1 || string(ms[0]["user_id"]) != `"u-s"` || string(ms[0]["team_id"]) != `"t-s"` {
		t.Fatalf("/team/info team_memberships = %s", ti["team_memberships"])
	}
	checkShape(t, "team membership", ms[0], litellmTeamMembership, nil, []string{"user_id", "team_id", "budget_id", "spend", "litellm_budget_table"})
}
