package cost

import (
	"fmt"
	"testing"

	"github.com/batchgate/batchgate/internal/config"
)

// On-demand prices are model_info's, else the table's, else unknown (nil):
// never the batch price doubled.
func TestOnDemandPrices(t *testing.T) {
	const claude = "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0" // $3 / $15 per M on demand
	str := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	for _, tc := range []struct {
		name, model string
		info        config.ModelInfo
		in, out     string
	}{
		{"table", claude, config.ModelInfo{}, "3e-06", "1.5e-05"},
		{"batch prices only", claude, config.ModelInfo{InputCostPerTokenBatches: f(1e-6), OutputCostPerTokenBatches: f(2e-6)}, "3e-06", "1.5e-05"},
		{"model_info", claude, config.ModelInfo{InputCostPerToken: f(4e-6)}, "4e-06", "1.5e-05"},
		{"unknown model, batch prices", "bedrock/acme.unknown-v1:0", config.ModelInfo{InputCostPerTokenBatches: f(1e-6), OutputCostPerTokenBatches: f(2e-6)}, "nil", "nil"},
		{"unknown model, on-demand output", "bedrock/acme.unknown-v1:0", config.ModelInfo{OutputCostPerToken: f(5e-6)}, "nil", "5e-06"},
	} {
		p := For(config.Model{LiteLLMParams: config.LiteLLMParams{Model: tc.model}, ModelInfo: tc.info})
		if in, out := str(p.OnDemandInput), str(p.OnDemandOutput); in != tc.in || out != tc.out {
			t.Errorf("%s: on-demand %s / %s, want %s / %s", tc.name, in, out, tc.in, tc.out)
		}
	}
}
