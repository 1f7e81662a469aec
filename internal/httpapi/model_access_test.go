package httpapi_test

import (
	"slices"
	"testing"
)

// TestLiteLLMModelNames: keys, users and teams take model names as LiteLLM
// stores them, served here or not (issue 13): names the config does not
// serve, all-proxy-models, all-team-models and wildcards. batchgate
// enforces access for the names it serves, with LiteLLM's meaning
// (litellm/proxy/auth/auth_checks.py _check_model_access_helper,
// is_model_allowed_by_pattern; model_checks.py get_key_models).
func TestLiteLLMModelNames(t *testing.T) {
	g := newGovEnv(t, govOptions{})
	both := []string{model, novaModel}

	// Names batchgate does not serve are stored and returned as sent.
	var team struct{ Models []string }
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-mixed", "models": []string{"gpt-4o", novaModel}}, &team)
	if !slices.Equal(team.Models, []string{"gpt-4o", novaModel}) {
		t.Errorf("/team/new models = %v", team.Models)
	}
	g.ok(master, "POST", "/team/update", map[string]any{"team_id": "t-mixed", "models": []string{"gpt-4o", "azure/*", novaModel}}, nil)
	g.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-mixed", "models": []string{"gpt-4o", "all-proxy-models"}}, nil)
	g.ok(master, "POST", "/user/update", map[string]any{"user_id": "u-mixed", "models": []string{"claude-3-opus", model}}, nil)
	var k struct {
		Key    string
		Models []string
	}
	g.ok(master, "POST", "/key/generate", map[string]any{"models": []string{"gpt-4o", model}}, &k)
	if !slices.Equal(k.Models, []string{"gpt-4o", model}) {
		t.Errorf("/key/generate models = %v", k.Models)
	}
	g.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "models": []string{"gpt-4o", model, "openai/*"}}, nil)

	for _, tt := range []struct {
		name   string
		fields map[string]any
		want   []string
	}{
		{"served and unserved", map[string]any{"models": []string{"gpt-4o", model}}, []string{model}},
		{"unserved only", map[string]any{"models": []string{"gpt-4o"}}, nil},
		{"all-proxy-models", map[string]any{"models": []string{"all-proxy-models"}}, both},
		{"star", map[string]any{"models": []string{"*"}}, both},
		{"bedrock wildcard", map[string]any{"models": []string{"bedrock/*"}}, both},
		{"openai wildcard", map[string]any{"models": []string{"openai/*"}}, nil},
		{"name pattern", map[string]any{"models": []string{"bedrock-batch-n*"}}, []string{novaModel}},
		{"all-team-models", map[string]any{"models": []string{"all-team-models"}, "team_id": "t-mixed"}, []string{novaModel}},
		{"key user with unserved", map[string]any{"models": []string{}, "user_id": "u-mixed"}, []string{model}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := g.newKey(tt.fields)
			if got := g.modelIDs(key); !slices.Equal(got, tt.want) {
				t.Errorf("/v1/models = %v, want %v", got, tt.want)
			}
			// An upload for a model outside the list is refused; inside, it passes.
			r := g.upload(key, part{"purpose", "batch"}, part{"file", chatLines(1, novaModel, 10)})
			if want := slices.Contains(tt.want, novaModel); (r.status == 200) != want {
				t.Errorf("upload for %s: %d %s (allowed: %v)", novaModel, r.status, r.body, want)
			}
		})
	}
}
