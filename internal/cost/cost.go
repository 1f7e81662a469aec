// Package cost prices Bedrock batch tokens. Batch inference costs half the
// on-demand price (bedrock-batch-spec §2.8); model_info can override either.
package cost

import (
	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrockmodel"
	"github.com/batchgate/batchgate/internal/config"
)

// Price is a per-token batch price and where it came from. Input and
// output are resolved separately: a model_info that prices only one of them
// leaves the other to the next source.
type Price struct {
	Input, Output float64 // USD per token
	// InputSource and OutputSource name where each price came from: one of
	// the Source* constants.
	InputSource, OutputSource string
	// Source sums both up, e.g. for logs.
	Source string

	// OnDemandInput and OnDemandOutput are the deployment's on-demand
	// prices (USD per token), for batches run through the runtime API
	// (model_info.batch_below_minimum: on_demand), with their sources (the
	// OnDemandSource* constants). See OnDemand.
	OnDemandInput, OnDemandOutput             float64
	OnDemandInputSource, OnDemandOutputSource string
}

// Where a price comes from.
const (
	SourceBatches  = "model_info.*_cost_per_token_batches"
	SourceOnDemand = "model_info.*_cost_per_token, halved for batch"
	SourceTable    = "built-in table (on-demand price halved for batch)"
	SourceNone     = "unknown model: no price"
)

// Where an on-demand price comes from.
const (
	OnDemandSourceModelInfo = "model_info.*_cost_per_token (on-demand)"
	OnDemandSourceTable     = "built-in table (on-demand)"
	OnDemandSourceBatches   = "model_info.*_cost_per_token_batches, doubled for on-demand"
)

// onDemand holds on-demand USD prices per million tokens, keyed by
// foundation model id (bedrockmodel.ID.Foundation): the list prices of AWS's
// Amazon Bedrock pricing page (aws.amazon.com/bedrock/pricing, standard
// tier, us-east-1). Batch prices are half of these (bedrock-batch-spec §2.8).
var onDemand = map[string][2]float64{
	"anthropic.claude-3-haiku-20240307-v1:0":    {0.25, 1.25},
	"anthropic.claude-3-sonnet-20240229-v1:0":   {3, 15},
	"anthropic.claude-3-opus-20240229-v1:0":     {15, 75},
	"anthropic.claude-3-5-sonnet-20240620-v1:0": {3, 15},
	"anthropic.claude-3-5-sonnet-20241022-v2:0": {3, 15},
	"anthropic.claude-3-5-haiku-20241022-v1:0":  {0.8, 4},
	"anthropic.claude-3-7-sonnet-20250219-v1:0": {3, 15},
	"anthropic.claude-sonnet-4-20250514-v1:0":   {3, 15},
	"anthropic.claude-sonnet-4-5-20250929-v1:0": {3, 15},
	"anthropic.claude-opus-4-20250514-v1:0":     {15, 75},
	"anthropic.claude-haiku-4-5-20251001-v1:0":  {1, 5},
	"amazon.nova-micro-v1:0":                    {0.035, 0.14},
	"amazon.nova-lite-v1:0":                     {0.06, 0.24},
	"amazon.nova-pro-v1:0":                      {0.8, 3.2},
	"amazon.nova-premier-v1:0":                  {2.5, 12.5},
	"amazon.titan-embed-text-v2:0":              {0.02, 0},
	"meta.llama3-1-8b-instruct-v1:0":            {0.22, 0.22},
	"meta.llama3-1-70b-instruct-v1:0":           {0.72, 0.72},
	"meta.llama3-1-405b-instruct-v1:0":          {2.4, 2.4},
	"meta.llama3-2-1b-instruct-v1:0":            {0.1, 0.1},
	"meta.llama3-2-3b-instruct-v1:0":            {0.15, 0.15},
	"meta.llama3-2-11b-instruct-v1:0":           {0.16, 0.16},
	"meta.llama3-2-90b-instruct-v1:0":           {0.72, 0.72},
	"meta.llama3-3-70b-instruct-v1:0":           {0.72, 0.72},
	"mistral.mistral-small-2402-v1:0":           {1, 3},
	"mistral.mistral-large-2402-v1:0":           {4, 12},
	"openai.gpt-oss-20b-1:0":                    {0.07, 0.3},
	"openai.gpt-oss-120b-1:0":                   {0.15, 0.6},
	"deepseek.v3-v1:0":                          {0.58, 1.68},
	"qwen.qwen3-32b-v1:0":                       {0.15, 0.6},
	// Further batch-capable models (us-east-1 on-demand list prices).
	"anthropic.claude-opus-4-1-20250805-v1:0": {15, 75},
	"anthropic.claude-opus-4-5-20251101-v1:0": {5, 25},
	"amazon.nova-2-lite-v1:0":                 {0.3, 2.5},
	"meta.llama4-scout-17b-instruct-v1:0":     {0.17, 0.66},
	"meta.llama4-maverick-17b-instruct-v1:0":  {0.24, 0.97},
	"mistral.mistral-7b-instruct-v0:2":        {0.15, 0.2},
	"mistral.mixtral-8x7b-instruct-v0:1":      {0.45, 0.7},
	"mistral.mistral-large-2407-v1:0":         {2, 6},
	"mistral.pixtral-large-2502-v1:0":         {2, 6},
	"qwen.qwen3-235b-a22b-2507-v1:0":          {0.22, 0.88},
	"qwen.qwen3-coder-30b-a3b-v1:0":           {0.15, 0.6},
	"qwen.qwen3-coder-480b-a35b-v1:0":         {0.45, 1.8},
}

// For returns the batch price of a deployment, for input and for output
// tokens each: model_info's batch price, else its on-demand price halved,
// else the built-in table's on-demand price halved.
func For(m config.Model) Price {
	mi := m.ModelInfo
	// base_model first: it names the model behind an application inference
	// profile, in any form a model id may take.
	table, known := onDemand[bedrockmodel.Base(m.LiteLLMParams.Model, mi.BaseModel)]
	pick := func(batch, onDemand *float64, tableUSDPerM float64) (float64, string) {
		switch {
		case batch != nil:
			return *batch, SourceBatches
		case onDemand != nil:
			return *onDemand / 2, SourceOnDemand
		case known:
			return tableUSDPerM / 2 / 1e6, SourceTable
		}
		return 0, SourceNone
	}
	var p Price
	p.Input, p.InputSource = pick(mi.InputCostPerTokenBatches, mi.InputCostPerToken, table[0])
	p.Output, p.OutputSource = pick(mi.OutputCostPerTokenBatches, mi.OutputCostPerToken, table[1])
	p.Source = summary(p.InputSource, p.OutputSource)
	// On demand: model_info's on-demand price, else the table's, else the
	// batch price doubled.
	onDemandOf := func(batch, onDemand *float64, tableUSDPerM float64) (float64, string) {
		switch {
		case onDemand != nil:
			return *onDemand, OnDemandSourceModelInfo
		case known:
			return tableUSDPerM / 1e6, OnDemandSourceTable
		case batch != nil:
			return *batch * 2, OnDemandSourceBatches
		}
		return 0, SourceNone
	}
	p.OnDemandInput, p.OnDemandInputSource = onDemandOf(mi.InputCostPerTokenBatches, mi.InputCostPerToken, table[0])
	p.OnDemandOutput, p.OnDemandOutputSource = onDemandOf(mi.OutputCostPerTokenBatches, mi.OutputCostPerToken, table[1])
	return p
}

func summary(in, out string) string {
	if in == out {
		return in
	}
	return "input: " + in + "; output: " + out
}

// OnDemand returns the price of a batch run on demand: the on-demand prices
// as Input and Output (Of then bills at them), with their sources.
func (p Price) OnDemand() Price {
	return Price{
		Input: p.OnDemandInput, Output: p.OnDemandOutput,
		InputSource: p.OnDemandInputSource, OutputSource: p.OnDemandOutputSource,
		Source:        summary(p.OnDemandInputSource, p.OnDemandOutputSource),
		OnDemandInput: p.OnDemandInput, OnDemandOutput: p.OnDemandOutput,
		OnDemandInputSource: p.OnDemandInputSource, OnDemandOutputSource: p.OnDemandOutputSource,
	}
}

// ListedOnDemand returns the on-demand prices model_info or the built-in
// table gives, for /model_group/info's input_cost_per_token and
// output_cost_per_token: nil when neither knows, never a doubled batch price.
func (p Price) ListedOnDemand() (in, out *float64) {
	listed := func(v float64, src string) *float64 {
		if src == OnDemandSourceModelInfo || src == OnDemandSourceTable {
			return &v
		}
		return nil
	}
	return listed(p.OnDemandInput, p.OnDemandInputSource), listed(p.OnDemandOutput, p.OnDemandOutputSource)
}

// Of returns the cost of u at price p.
func (p Price) Of(u batchgate.Usage) float64 {
	return float64(u.InputTokens)*p.Input + float64(u.OutputTokens)*p.Output
}
