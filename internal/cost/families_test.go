package cost

import (
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/config"
)

// Every family's batch models, as deployments name them, have a built-in price.
func TestBuiltInPricesCoverEveryFamily(t *testing.T) {
	ids := []string{
		"bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
		"bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0",
		"bedrock/us.amazon.nova-lite-v1:0", "bedrock/amazon.nova-pro-v1:0", "bedrock/amazon.nova-micro-v1:0", "bedrock/us.amazon.nova-premier-v1:0",
		"bedrock/us.meta.llama3-3-70b-instruct-v1:0", "bedrock/meta.llama3-1-8b-instruct-v1:0", "bedrock/us.meta.llama3-2-90b-instruct-v1:0",
		"bedrock/us.meta.llama4-scout-17b-instruct-v1:0", "bedrock/us.meta.llama4-maverick-17b-instruct-v1:0",
		"bedrock/mistral.mistral-7b-instruct-v0:2", "bedrock/mistral.mixtral-8x7b-instruct-v0:1", "bedrock/mistral.mistral-large-2402-v1:0",
		"bedrock/mistral.mistral-large-2407-v1:0", "bedrock/us.mistral.pixtral-large-2502-v1:0",
		"bedrock/openai.gpt-oss-120b-1:0", "bedrock/openai.gpt-oss-20b-1:0", "bedrock/qwen.qwen3-32b-v1:0", "bedrock/qwen.qwen3-235b-a22b-2507-v1:0",
		"bedrock/deepseek.v3-v1:0",
	}
	for _, id := range ids {
		p := For(config.Model{LiteLLMParams: config.LiteLLMParams{Model: id}})
		if p.Input <= 0 || p.Output <= 0 || p.Output < p.Input {
			t.Errorf("%s: price %+v", id, p)
		}
	}
}

// Embeddings are billed on input tokens only, at half the on-demand price.
func TestEmbeddingsPrice(t *testing.T) {
	p := For(config.Model{LiteLLMParams: config.LiteLLMParams{Model: "bedrock/amazon.titan-embed-text-v2:0"}})
	if p.Input != 0.02/2/1e6 || p.Output != 0 {
		t.Fatalf("titan embed v2 price = %+v", p)
	}
	if got := p.Of(batchgate.Usage{InputTokens: 1_000_000, OutputTokens: 5}); got != 0.01 {
		t.Errorf("cost of 1M input tokens = %v, want 0.01", got)
	}
}
