package batchgate

import "testing"

// TestModelAllowed follows LiteLLM's _check_model_access_helper and
// is_model_allowed_by_pattern (litellm/proxy/auth/auth_checks.py).
func TestModelAllowed(t *testing.T) {
	for _, tt := range []struct {
		models []string
		m      string
		want   bool
	}{
		{nil, "claude", true},
		{[]string{"claude"}, "claude", true},
		{[]string{"gpt-4o"}, "claude", false},
		{[]string{"gpt-4o", "claude"}, "claude", true},
		{[]string{"*"}, "claude", true},
		{[]string{"all-proxy-models"}, "claude", true},
		{[]string{"all-team-models"}, "claude", false}, // the caller expands it
		{[]string{"bedrock/*"}, "claude", true},
		{[]string{"bedrock/*"}, "bedrock/us.amazon.nova-lite-v1:0", true},
		{[]string{"bedrock/us.*"}, "bedrock/us.amazon.nova-lite-v1:0", true},
		{[]string{"bedrock/us.*"}, "nova", false},
		{[]string{"openai/*"}, "claude", false},
		{[]string{"bedrockzzzz/*"}, "bedrock/nova", false},
		{[]string{"cl*de"}, "claude", true},
		{[]string{"cl*de"}, "claudes", false},
		{[]string{"*-batch-*"}, "bedrock-batch-claude", true},
		{[]string{"x*"}, "claude", false},
	} {
		if got := ModelAllowed(tt.models, tt.m); got != tt.want {
			t.Errorf("ModelAllowed(%q, %q) = %v, want %v", tt.models, tt.m, got, tt.want)
		}
	}
}
