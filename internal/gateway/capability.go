package gateway

import "github.com/batchgate/batchgate/internal/translate"

// Capabilities is what a deployment's model family can do, for /model_group/info.
type Capabilities struct {
	Vision, Tools, Reasoning, Embeddings bool
}

// Capabilities reports what the deployment's family supports.
func (d *Deployment) Capabilities() Capabilities {
	switch translate.FamilyOf(d.baseModelID()) {
	case translate.Anthropic:
		return Capabilities{Vision: true, Tools: true, Reasoning: true}
	case translate.Nova:
		return Capabilities{Vision: true, Tools: true}
	case translate.Llama:
		return Capabilities{Vision: true}
	case translate.Mistral, translate.OpenAI:
		return Capabilities{Tools: true}
	case translate.TitanEmbed:
		return Capabilities{Embeddings: true}
	}
	return Capabilities{}
}

// SupportedParams lists the OpenAI parameters batchgate translates for the deployment.
func (d *Deployment) SupportedParams() []string {
	if d.Capabilities().Embeddings {
		return []string{"input", "dimensions", "encoding_format"}
	}
	p := []string{"messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop"}
	if c := d.Capabilities(); c.Tools {
		p = append(p, "tools", "tool_choice")
	}
	if translate.FamilyOf(d.baseModelID()) == translate.Anthropic {
		p = append(p, "response_format", "reasoning_effort")
	}
	return p
}
