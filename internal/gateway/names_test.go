package gateway_test

import (
	"testing"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
)

// A line or target_model_names may name a deployment by its model_name or by
// its Bedrock model id in any of LiteLLM's spellings.
func TestDeploymentNames(t *testing.T) {
	d := deploy.FromConfig(config.Model{ModelName: "claude", LiteLLMParams: config.LiteLLMParams{
		Model: "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", InvocationType: "Converse"}}, "us-east-1", nil, nil)
	for model, want := range map[string]bool{
		"claude": true,
		"bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0":          true,
		"us.anthropic.claude-3-5-haiku-20241022-v1:0":                  true,
		"bedrock/converse/us.anthropic.claude-3-5-haiku-20241022-v1:0": true,
		"bedrock/invoke/us.anthropic.claude-3-5-haiku-20241022-v1:0":   true,
		"eu.anthropic.claude-3-5-haiku-20241022-v1:0":                  false,
		"anthropic.claude-3-5-haiku-20241022-v1:0":                     false,
		"gpt-4o": false,
	} {
		if got := d.Names(model); got != want {
			t.Errorf("Names(%q) = %v, want %v", model, got, want)
		}
	}
}
