package cost

import (
	"testing"

	"github.com/batchgate/batchgate/internal/config"
)

func f(v float64) *float64 { return &v }

// Each price comes from the first source that has it, input and output
// separately, and says which one that was.
func TestPriceSources(t *testing.T) {
	const claude = "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0" // $3 / $15 per M on demand
	for _, tc := range []struct {
		name          string
		model         string
		info          config.ModelInfo
		in, out       float64
		inSrc, outSrc string
	}{
		{"table", claude, config.ModelInfo{}, 1.5e-6, 7.5e-6, SourceTable, SourceTable},
		{"batch prices", claude, config.ModelInfo{InputCostPerTokenBatches: f(1e-6), OutputCostPerTokenBatches: f(2e-6)}, 1e-6, 2e-6, SourceBatches, SourceBatches},
		{"on-demand halved", claude, config.ModelInfo{InputCostPerToken: f(4e-6), OutputCostPerToken: f(8e-6)}, 2e-6, 4e-6, SourceOnDemand, SourceOnDemand},
		{"batch input only", claude, config.ModelInfo{InputCostPerTokenBatches: f(1e-6)}, 1e-6, 7.5e-6, SourceBatches, SourceTable},
		{"mixed", claude, config.ModelInfo{OutputCostPerTokenBatches: f(3e-6), InputCostPerToken: f(4e-6)}, 2e-6, 3e-6, SourceOnDemand, SourceBatches},
		{"unknown", "bedrock/acme.unknown-v1:0", config.ModelInfo{}, 0, 0, SourceNone, SourceNone},
		{"profile with base_model", "bedrock/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc", config.ModelInfo{BaseModel: "anthropic.claude-3-5-sonnet-20240620-v1:0"}, 1.5e-6, 7.5e-6, SourceTable, SourceTable},
		// base_model is read like any model id (bedrock/, route, geography, ARN, case).
		{"profile with a foundation-model ARN as base_model", "bedrock/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc", config.ModelInfo{BaseModel: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"}, 1.5e-6, 7.5e-6, SourceTable, SourceTable},
		{"profile with a routed profile id as base_model", "bedrock/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc", config.ModelInfo{BaseModel: "bedrock/converse/US.anthropic.claude-3-5-sonnet-20240620-v1:0"}, 1.5e-6, 7.5e-6, SourceTable, SourceTable},
		{"route", "bedrock/converse/" + claude[len("bedrock/"):], config.ModelInfo{}, 1.5e-6, 7.5e-6, SourceTable, SourceTable},
		{"unknown, priced", "bedrock/acme.unknown-v1:0", config.ModelInfo{InputCostPerTokenBatches: f(5e-7), OutputCostPerTokenBatches: f(0)}, 5e-7, 0, SourceBatches, SourceBatches},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := For(config.Model{LiteLLMParams: config.LiteLLMParams{Model: tc.model}, ModelInfo: tc.info})
			if p.Input != tc.in || p.Output != tc.out || p.InputSource != tc.inSrc || p.OutputSource != tc.outSrc || p.Source == "" {
				t.Errorf("For = %+v; want %v (%s), %v (%s)", p, tc.in, tc.inSrc, tc.out, tc.outSrc)
			}
		})
	}
}
