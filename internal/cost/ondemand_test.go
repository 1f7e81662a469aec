package cost

import (
	"fmt"
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/config"
)

// A batch run on demand pays the on-demand price: model_info's
// *_cost_per_token, else the table's, else the batch price doubled.
func TestOnDemandPrice(t *testing.T) {
	const claude = "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0" // $3 / $15 per M on demand
	for _, tc := range []struct {
		name          string
		model         string
		info          config.ModelInfo
		in, out       float64
		inSrc, outSrc string
	}{
		{"table", claude, config.ModelInfo{}, 3e-6, 15e-6, OnDemandSourceTable, OnDemandSourceTable},
		{"model_info on-demand", claude, config.ModelInfo{InputCostPerToken: f(4e-6), OutputCostPerToken: f(8e-6)}, 4e-6, 8e-6, OnDemandSourceModelInfo, OnDemandSourceModelInfo},
		{"batch prices, table known", claude, config.ModelInfo{InputCostPerTokenBatches: f(1e-6)}, 3e-6, 15e-6, OnDemandSourceTable, OnDemandSourceTable},
		{"batch prices, unknown model", "bedrock/acme.unknown-v1:0", config.ModelInfo{InputCostPerTokenBatches: f(1e-6), OutputCostPerTokenBatches: f(2e-6)}, 2e-6, 4e-6, OnDemandSourceBatches, OnDemandSourceBatches},
		{"unknown", "bedrock/acme.unknown-v1:0", config.ModelInfo{}, 0, 0, SourceNone, SourceNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := For(config.Model{LiteLLMParams: config.LiteLLMParams{Model: tc.model}, ModelInfo: tc.info})
			od := p.OnDemand()
			if od.Input != tc.in || od.Output != tc.out || od.InputSource != tc.inSrc || od.OutputSource != tc.outSrc {
				t.Errorf("OnDemand() = %+v, want %v (%s) / %v (%s)", od, tc.in, tc.inSrc, tc.out, tc.outSrc)
			}
			u := batchgate.Usage{InputTokens: 1000, OutputTokens: 100}
			if got, want := od.Of(u), 1000*tc.in+100*tc.out; got != want {
				t.Errorf("OnDemand().Of = %v, want %v", got, want)
			}
		})
	}
}

// The listed on-demand prices are model_info's, else the table's, else
// unknown (nil): never the batch price doubled.
func TestListedOnDemandPrices(t *testing.T) {
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
		in, out := p.ListedOnDemand()
		if in, out := str(in), str(out); in != tc.in || out != tc.out {
			t.Errorf("%s: on-demand %s / %s, want %s / %s", tc.name, in, out, tc.in, tc.out)
		}
	}
}
