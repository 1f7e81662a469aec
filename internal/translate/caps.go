package translate

import (
	"fmt"
	"strconv"
	"strings"
)

// caps is what one family (and model, and invocation type) can honour.
// check rejects, with the parameter's name, whatever a request asks beyond it.
type caps struct {
	name string // for messages, e.g. "Anthropic Claude models"

	tempMax          float64
	tempXorTopP      bool // temperature and top_p cannot both be given
	topK             bool
	topKMax          int64 // 0: no limit
	stop             bool
	maxStop          int // 0: no limit
	stopNonBlank     bool
	tools            bool
	toolsWhy         string // why tools are not supported, when they are not
	toolChoiceNone   bool   // the model's own tool choice has "none"
	noneAsNoTools    bool   // else tool_choice none becomes a request without tools (see dropTools)
	toolChoiceFunc   bool
	parallelFalse    bool
	parallelWhy      string // why parallel_tool_calls false is not supported, when it is not
	responseFormat   bool
	formatViaTool    bool // response_format becomes a forced tool call
	reasoning        bool
	reasoningWhy     string          // why reasoning is not supported, when it is not
	reasoningLevels  map[string]bool // allowed reasoning_effort values; nil: all
	thinking         bool
	images           bool
	imagesWhy        string // why images are not supported, when they are not
	maxImages        int    // 0: no limit
	maxImageBytes    int    // 0: no limit
	maxImageDim      int    // 0: no limit
	pdf              bool
	names            bool
	maxTokensMax     int64 // 0: no limit
	maxTokensDefault int64 // 0: the model's own default
}

// Claude's image limits on Bedrock: 3.75 MB and 8000 px a side, 20 images
// (Bedrock Claude and Converse documentation).
const (
	claudeMaxImageBytes = 3_932_160
	claudeMaxImageDim   = 8000
	claudeMaxImages     = 20
	claudeDefaultTokens = 4096
)

func capsFor(r resolved) caps {
	var k caps
	switch r.family {
	case Anthropic:
		k = caps{
			name: "Anthropic Claude models", tempMax: 1, topK: true, stop: true, stopNonBlank: true,
			tools: true, noneAsNoTools: true, toolChoiceFunc: true, parallelFalse: claudeParallelToggle(r.base),
			responseFormat: true, formatViaTool: true,
			images: true, maxImages: claudeMaxImages, maxImageBytes: claudeMaxImageBytes, maxImageDim: claudeMaxImageDim,
			pdf: true, maxTokensMax: claudeMaxOutput(r.base), maxTokensDefault: claudeDefaultTokens,
			tempXorTopP: claudeOneSampler(r.base),
		}
		if !k.parallelFalse {
			k.parallelWhy = fmt.Sprintf("%s on Bedrock refuses disable_parallel_tool_use (Claude 3.7 Sonnet and later take it); leave parallel_tool_calls out or true", r.base)
		}
		if claudeThinkingSupported(r.base) {
			k.reasoning, k.thinking = true, true
		} else {
			k.reasoningWhy = "extended thinking needs Claude 3.7 Sonnet or a later Claude model"
		}
	case Nova:
		k = caps{
			name: "Amazon Nova models", tempMax: 1, topK: true, stop: true,
			tools: true, noneAsNoTools: true, toolChoiceFunc: true, responseFormat: true, formatViaTool: true,
			images: true, reasoningWhy: "batchgate does not map reasoning_effort to Nova's reasoning configuration",
			maxTokensMax: novaMaxOutput(r.base),
		}
	case Llama:
		k = caps{name: "Meta Llama models", tempMax: 1, maxTokensMax: 2048,
			toolsWhy: "Meta Llama models take a raw prompt on Bedrock InvokeModel"}
		if ok, n := llamaVision(r.base); ok {
			k.images, k.maxImages = true, n
		} else {
			k.imagesWhy = "only Llama 3.2 11B/90B Vision and Llama 4 take images"
		}
	case Mistral:
		if mistralChat(r.base) {
			k = caps{name: "Mistral chat models", tempMax: 1, tools: true, toolChoiceNone: true, maxTokensMax: mistralMaxOutput(r.base)}
			k.images = r.converse && strings.Contains(r.base, "pixtral")
		} else {
			k = caps{name: "Mistral text-completion models", tempMax: 1, topK: true, topKMax: 200, stop: true, maxStop: 10, maxTokensMax: mistralMaxOutput(r.base),
				toolsWhy: "this Mistral model takes a raw prompt on Bedrock InvokeModel"}
		}
	case OpenAI:
		k = caps{
			name: "OpenAI-compatible models on Bedrock", tempMax: 2, stop: true,
			tools: true, toolChoiceNone: true, toolChoiceFunc: true, parallelFalse: true,
			responseFormat: true, names: true,
		}
		if strings.HasPrefix(r.base, "openai.gpt-oss") {
			k.reasoning = true
			k.reasoningLevels = map[string]bool{"low": true, "medium": true, "high": true}
		} else {
			k.reasoningWhy = "of the OpenAI-compatible models only gpt-oss takes reasoning_effort"
		}
	}
	if r.converse {
		k.name += " (Converse)"
		k.tools, k.toolsWhy = false, "Bedrock batch jobs of the Converse type reject toolConfig; use the InvokeModel invocation type for tool calling"
		k.responseFormat, k.pdf, k.names, k.parallelFalse = false, false, false, false
		// Converse's ToolChoice is auto, any or tool (bedrock-runtime service
		// model), and a batch job takes no toolConfig anyway.
		k.toolChoiceNone, k.noneAsNoTools = false, true
		// inferenceConfig.temperature is 0 to 1 (bedrock-runtime service
		// model), whatever the model takes on InvokeModel (gpt-oss, Qwen and
		// DeepSeek take OpenAI's 0 to 2 there).
		k.tempMax = min(k.tempMax, 1)
		if r.family == Llama || r.family == Mistral {
			k.topK = false
		}
		if r.family == Anthropic {
			k.maxImages = claudeMaxImages
		}
	}
	return k
}

// dropTools makes tool_choice none a request in which the model cannot call
// tools, for the models whose tool choice has no "none": Bedrock's Anthropic
// schema takes auto, any and tool only (boto/botocore#3458), as do Nova's
// toolChoice and Converse's ToolChoice. The tools are left out, so the model
// does not see their definitions (with none it could not call them anyway).
// Earlier tool calls and results cannot stay tool blocks: Anthropic refuses
// tool_use/tool_result blocks in a request without tools
// (anthropics/anthropic-sdk-python#494) and Nova and Converse refuse
// toolUse/toolResult without a toolConfig ("The toolConfig field must be
// defined when using toolUse and toolResult content blocks"). They are sent
// as text instead ("[tool call <id>] name(arguments)", "[tool result <id>]
// text"): the model keeps what the tools said, and nothing is dropped.
// Faking a tool to keep the blocks would let the model call it.
func (k *caps) dropTools(c *chatRequest) {
	if !c.toolChoiceNone || k.toolChoiceNone || !k.noneAsNoTools {
		return
	}
	c.tools, c.toolChoice, c.parallelToolCalls = nil, nil, nil
	c.toolsAsText = true
}

func (k *caps) check(c *chatRequest) *LineError {
	unsupported := func(param string) *LineError {
		return lerrf(CodeUnsupportedParameter, param, "%s is not supported by %s", param, k.name)
	}
	if c.temperature != nil && *c.temperature > k.tempMax {
		return lerrf(CodeInvalidValue, "temperature", "temperature must be between 0 and %g for %s", k.tempMax, k.name)
	}
	if k.tempXorTopP && c.temperature != nil && c.topP != nil {
		return lerrf(CodeUnsupportedValue, "top_p", "this Claude model rejects temperature and top_p together: give only one")
	}
	if c.topK != nil {
		if !k.topK {
			return unsupported("top_k")
		}
		if k.topKMax > 0 && *c.topK > k.topKMax {
			return lerrf(CodeInvalidValue, "top_k", "top_k must be at most %d for %s", k.topKMax, k.name)
		}
	}
	if len(c.stop) > 0 {
		if !k.stop {
			return unsupported("stop")
		}
		if k.maxStop > 0 && len(c.stop) > k.maxStop {
			return lerrf(CodeInvalidValue, "stop", "%s take at most %d stop sequences", k.name, k.maxStop)
		}
		if k.stopNonBlank {
			for i, s := range c.stop {
				if strings.TrimSpace(s) == "" {
					return lerrf(CodeInvalidValue, fmt.Sprintf("stop[%d]", i), "%s reject stop sequences made only of white space", k.name)
				}
			}
		}
	}
	if !k.tools {
		why := k.toolsWhy
		if why == "" {
			why = "it is not supported by " + k.name
		}
		if len(c.tools) > 0 {
			return lerrf(CodeUnsupportedParameter, "tools", "tools cannot be used: %s", why)
		}
		if p, ok := c.hasToolUse(); ok && !c.toolsAsText {
			return lerrf(CodeUnsupportedValue, p, "tool calls and tool messages cannot be used: %s", why)
		}
	}
	if tc := c.toolChoice; tc != nil {
		if tc.mode == "none" && !k.toolChoiceNone {
			return lerrf(CodeUnsupportedValue, "tool_choice", "tool_choice none is not supported by %s; leave tools out instead", k.name)
		}
		if tc.mode == "function" && !k.toolChoiceFunc {
			return lerrf(CodeUnsupportedValue, "tool_choice", "forcing a named function is not supported by %s; use required", k.name)
		}
	}
	if c.parallelToolCalls != nil && !k.parallelFalse {
		if k.parallelWhy != "" {
			return lerrf(CodeUnsupportedValue, "parallel_tool_calls", "parallel_tool_calls false is not supported: %s", k.parallelWhy)
		}
		return lerrf(CodeUnsupportedValue, "parallel_tool_calls", "parallel_tool_calls false is not supported by %s", k.name)
	}
	if c.responseFormat != nil {
		if !k.responseFormat {
			return unsupported("response_format")
		}
		if k.formatViaTool && len(c.tools) > 0 {
			return lerrf(CodeUnsupportedValue, "response_format", "%s produce JSON output through a forced tool call, so response_format cannot be combined with tools", k.name)
		}
	}
	if c.reasoningEffort != "" {
		if !k.reasoning {
			if k.reasoningWhy != "" {
				return lerrf(CodeUnsupportedParameter, "reasoning_effort", "reasoning_effort is not supported by this model: %s", k.reasoningWhy)
			}
			return unsupported("reasoning_effort")
		}
		if k.reasoningLevels != nil && !k.reasoningLevels[c.reasoningEffort] {
			return lerrf(CodeUnsupportedValue, "reasoning_effort", "reasoning_effort %s is not supported by %s", c.reasoningEffort, k.name)
		}
	}
	if c.thinking != nil && !k.thinking {
		if k.reasoningWhy != "" {
			return lerrf(CodeUnsupportedParameter, "thinking", "thinking is not supported by this model: %s", k.reasoningWhy)
		}
		return unsupported("thinking")
	}
	if c.maxTokens > 0 && k.maxTokensMax > 0 && c.maxTokens > k.maxTokensMax {
		return lerrf(CodeInvalidValue, c.maxTokensParam, "%s must be at most %d for this model", c.maxTokensParam, k.maxTokensMax)
	}
	images := 0
	for i := range c.messages {
		m := &c.messages[i]
		if m.name != "" && !k.names {
			return lerrf(CodeUnsupportedParameter, m.param()+".name", "message names are not supported by %s", k.name)
		}
		for _, p := range m.parts {
			switch p.kind {
			case partImage:
				images++
				if !k.images {
					if k.imagesWhy != "" {
						return lerrf(CodeUnsupportedValue, p.param, "image input is not supported by this model: %s", k.imagesWhy)
					}
					return lerrf(CodeUnsupportedValue, p.param, "image input is not supported by %s", k.name)
				}
				if k.maxImages > 0 && images > k.maxImages {
					return lerrf(CodeUnsupportedValue, p.param, "this model takes at most %d image(s) per request", k.maxImages)
				}
				if k.maxImageBytes > 0 && p.size > k.maxImageBytes {
					return lerrf(CodeInvalidValue, p.param, "the image is %d bytes; %s take at most %d", p.size, k.name, k.maxImageBytes)
				}
				if k.maxImageDim > 0 && (p.width > k.maxImageDim || p.height > k.maxImageDim) {
					return lerrf(CodeInvalidValue, p.param, "the image is %dx%d pixels; %s take at most %d pixels a side", p.width, p.height, k.name, k.maxImageDim)
				}
			case partPDF:
				if !k.pdf {
					return lerrf(CodeUnsupportedValue, p.param, "PDF input is not supported by %s", k.name)
				}
			}
		}
	}
	return nil
}

// Model variants.

func claudeName(base string) string { return strings.TrimPrefix(base, "anthropic.") }

// claudeThinkingSupported: extended thinking exists from Claude 3.7 Sonnet on.
func claudeThinkingSupported(base string) bool {
	name := claudeName(base)
	switch {
	case strings.HasPrefix(name, "claude-3-7"):
		return true
	case strings.HasPrefix(name, "claude-3"), strings.HasPrefix(name, "claude-v"), strings.HasPrefix(name, "claude-instant"):
		return false
	}
	return true
}

// claudeParallelToggle reports whether a Claude model on Bedrock takes
// tool_choice.disable_parallel_tool_use. Claude 3.5 Sonnet v2 refuses it as
// an extraneous key (anthropics/anthropic-sdk-python#739,
// anthropic-sdk-typescript#592, Nov 2024), as do the other Claude 3 and 3.5
// models of that schema; newer models take it (vercel/ai#15112: accepted by
// Claude Opus 4.6 on InvokeModel; LiteLLM flags Claude 4.x on Bedrock with
// supports_parallel_tool_use_config). Claude 3.7 Sonnet is counted with
// the newer models, as for extended thinking; not verified against a real
// account. Unknown (newer) models take it.
func claudeParallelToggle(base string) bool { return claudeThinkingSupported(base) }

// claudeMaxOutput is the output token limit of the older Claude models; 0
// for newer ones, whose limits are larger than anything checked here.
func claudeMaxOutput(base string) int64 {
	name := claudeName(base)
	switch {
	case strings.HasPrefix(name, "claude-3-5-sonnet-20240620"):
		return 4096
	case strings.HasPrefix(name, "claude-3-5"):
		return 8192
	case strings.HasPrefix(name, "claude-3-haiku"), strings.HasPrefix(name, "claude-3-sonnet"),
		strings.HasPrefix(name, "claude-3-opus"), strings.HasPrefix(name, "claude-v"), strings.HasPrefix(name, "claude-instant"):
		return 4096
	case strings.HasPrefix(name, "claude-opus-4-1"), strings.HasPrefix(name, "claude-opus-4-2"): // Opus 4 (-2025…) and 4.1
		return 32000
	case strings.HasPrefix(name, "claude-3-7"), strings.HasPrefix(name, "claude-sonnet-4"), strings.HasPrefix(name, "claude-haiku-4"),
		strings.HasPrefix(name, "claude-opus-4-5"):
		return 64000
	}
	return 0
}

// novaMaxOutput is the largest maxTokens of a Nova model (0: not known):
// 5,000 for the first Nova models, 32,000 for Premier.
func novaMaxOutput(base string) int64 {
	name := strings.TrimPrefix(base, "amazon.")
	switch {
	case strings.HasPrefix(name, "nova-micro-v1"), strings.HasPrefix(name, "nova-lite-v1"), strings.HasPrefix(name, "nova-pro-v1"):
		return 5000
	case strings.HasPrefix(name, "nova-premier-v1"):
		return 32000
	}
	return 0
}

// mistralMaxOutput is the largest max_tokens of a Mistral model on Bedrock:
// 4,096 for Mixtral 8x7B Instruct, 8,192 for Mistral 7B Instruct, Mistral
// Large and Mistral Small ("Mistral AI text completion" parameters page),
// and 8,192 for the chat models (as before: AWS's chat-completion page
// gives no maximum).
func mistralMaxOutput(base string) int64 {
	if strings.HasPrefix(base, "mistral.mixtral-8x7b") {
		return 4096
	}
	return 8192
}

// claudeOneSampler reports whether a Claude model rejects temperature and
// top_p together, as Claude Opus 4.1 and the models after it do.
func claudeOneSampler(base string) bool {
	// Claude 3.x ids are claude-3-5-sonnet-…; later ones claude-sonnet-4-5-….
	parts := strings.Split(claudeName(base), "-")
	if len(parts) < 3 || parts[0] != "claude" {
		return false
	}
	if _, err := strconv.Atoi(parts[1]); err == nil {
		return false
	}
	major, err := strconv.Atoi(parts[2])
	if err != nil {
		return false
	}
	minor := 0
	if len(parts) > 3 && len(parts[3]) <= 2 {
		minor, _ = strconv.Atoi(parts[3])
	}
	return major > 4 || major == 4 && minor >= 1
}

func llama4(base string) bool { return strings.HasPrefix(base, "meta.llama4") }

// llamaVision reports whether a Llama model takes images, and how many
// (Llama 3.2 11B and 90B Vision take one).
func llamaVision(base string) (bool, int) {
	switch {
	case llama4(base):
		return true, 0
	case strings.HasPrefix(base, "meta.llama3-2-11b"), strings.HasPrefix(base, "meta.llama3-2-90b"):
		return true, 1
	}
	return false, 0
}

// mistralChat reports whether a Mistral model takes the chat body (messages)
// rather than the text-completion prompt.
func mistralChat(base string) bool {
	for _, p := range []string{"mistral.mistral-7b-instruct", "mistral.mixtral-8x7b-instruct", "mistral.mistral-large-2402", "mistral.mistral-small-2402"} {
		if strings.HasPrefix(base, p) {
			return false
		}
	}
	return true
}
