package bedrocksim

import (
	"encoding/json"
	"fmt"
	"strings"
)

// converseFamily answers records of modelInvocationType Converse: the Converse
// request body without modelId in, the ConverseResponse out (spec §2.2, §4).
// Jobs of this type use it whatever the model's native family.
var converseFamily = &family{name: "converse", converse: true, invoke: invokeConverse}

type converseResponse struct {
	Output     converseOutput  `json:"output"`
	StopReason string          `json:"stopReason"`
	Usage      converseUsage   `json:"usage"`
	Metrics    converseMetrics `json:"metrics"`
}

type converseOutput struct {
	Message converseMessage `json:"message"`
}

type converseMessage struct {
	Role    string          `json:"role"`
	Content []converseBlock `json:"content"`
}

// converseBlock is a content block of a Converse (or Nova) answer: exactly
// one of text, toolUse and reasoningContent is set.
type converseBlock struct {
	Text             *string                   `json:"text,omitempty"`
	ToolUse          *converseToolUse          `json:"toolUse,omitempty"`
	ReasoningContent *converseReasoningContent `json:"reasoningContent,omitempty"`
}

type converseToolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type converseReasoningContent struct {
	ReasoningText converseReasoningText `json:"reasoningText"`
}

type converseReasoningText struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitempty"`
}

type converseUsage struct {
	InputTokens  int64 `json:"inputTokens"`
	OutputTokens int64 `json:"outputTokens"`
	TotalTokens  int64 `json:"totalTokens"`
}

type converseMetrics struct {
	LatencyMS int64 `json:"latencyMs"`
}

func invokeConverse(c *modelCall) (any, usage, error) {
	in := obj{m: c.input, path: "#"}
	if err := checkConverse(in); err != nil {
		return nil, usage{}, malformed(err)
	}
	maxTokens := int64(0)
	var stops []string
	if ic, ok, _ := in.object("inferenceConfig", false); ok {
		maxTokens, _, _ = ic.integer("maxTokens", false, 1, 1<<31)
		stops, _ = ic.strings("stopSequences", 0)
	}
	msgs := c.input["messages"].([]any)
	in0 := inputTokens(textOf(map[string]any{"s": c.input["system"], "m": msgs}))
	// Claude's extended thinking comes first, as a reasoningContent block,
	// and counts toward maxTokens and the output tokens.
	var content []converseBlock
	var thought int64
	tool, forced := converseForcedTool(c.input)
	if c.model.family == anthropicFamily && converseThinking(c.input) {
		if forced {
			return nil, usage{}, errThinkingForcedTool
		}
		if budget := converseThinkingBudget(c.input); maxTokens > 0 && budget >= maxTokens {
			return nil, usage{}, message("The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`")
		}
		th := claudeThought(c)
		thought = tokens(th.text)
		content = append(content, converseBlock{ReasoningContent: &converseReasoningContent{
			ReasoningText: converseReasoningText{Text: th.text, Signature: th.signature}}})
		if maxTokens > 0 {
			maxTokens = max(maxTokens-thought, 1)
		}
	}
	g := generate(replyTo(lastUserText(msgs, "content", blocksText)), maxTokens, stops)
	content = append(content, converseBlock{Text: &g.text})
	stop := map[string]string{"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence"}[g.stop]
	out := g.outputTokens
	if forced {
		content, stop, out = []converseBlock{tool.converseUse(c, "tooluse_")}, "tool_use", tokens(tool.arguments())
	}
	out += thought
	resp := converseResponse{
		Output:     converseOutput{Message: converseMessage{Role: "assistant", Content: content}},
		StopReason: stop,
		Usage:      converseUsage{InputTokens: in0, OutputTokens: out, TotalTokens: in0 + out},
		Metrics:    converseMetrics{LatencyMS: 100 + out*10},
	}
	return resp, usage{in0, out}, nil
}

// converseThinkingBudget is the budget_tokens of Claude's thinking in a
// Converse body (0 when absent or not an integer).
func converseThinkingBudget(input map[string]any) int64 {
	extra, _ := input["additionalModelRequestFields"].(map[string]any)
	th, _ := extra["thinking"].(map[string]any)
	n, _ := th["budget_tokens"].(json.Number)
	v, _ := n.Int64()
	return v
}

// converseThinking reports whether a Converse body turns on Claude's
// extended thinking (additionalModelRequestFields.thinking.type enabled).
func converseThinking(input map[string]any) bool {
	extra, _ := input["additionalModelRequestFields"].(map[string]any)
	th, _ := extra["thinking"].(map[string]any)
	return th["type"] == "enabled"
}

// checkConverse checks a Converse request body (bedrock-runtime ConverseRequest
// without modelId, which comes from the job).
func checkConverse(in obj) error {
	if err := in.allow("messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig",
		"additionalModelRequestFields", "additionalModelResponseFieldPaths", "promptVariables",
		"requestMetadata", "performanceConfig"); err != nil {
		return err
	}
	if err := checkConverseMessages(in, converseBlocks); err != nil {
		return err
	}
	if err := checkConverseSystem(in); err != nil {
		return err
	}
	if ic, ok, err := in.object("inferenceConfig", false); err != nil {
		return err
	} else if ok {
		if err := ic.allow("maxTokens", "temperature", "topP", "stopSequences"); err != nil {
			return err
		}
		if _, _, err := ic.integer("maxTokens", false, 1, 1<<31); err != nil {
			return err
		}
		if err := ic.number("temperature", 0, 1); err != nil {
			return err
		}
		if err := ic.number("topP", 0, 1); err != nil {
			return err
		}
		if _, err := ic.strings("stopSequences", 2500); err != nil {
			return err
		}
	}
	if err := checkToolConfig(in); err != nil {
		return err
	}
	if _, _, err := in.object("additionalModelRequestFields", false); err != nil {
		return err
	}
	return nil
}

// Content block members of a Converse message; exactly one is set per block.
var converseBlocks = []string{"text", "image", "document", "video", "toolUse", "toolResult", "guardContent",
	"reasoningContent", "cachePoint", "citationsContent"}

// checkConverseMessages checks messages in the Converse shape, shared by
// Converse jobs and Amazon Nova's native body.
func checkConverseMessages(in obj, blocks []string) error {
	msgs, _, err := in.array("messages", true, 1, 0)
	if err != nil {
		return err
	}
	for i := range msgs {
		m, err := item(msgs, i, in.at("messages"))
		if err != nil {
			return err
		}
		if err := m.allow("role", "content"); err != nil {
			return err
		}
		if _, _, err := m.enum("role", true, "user", "assistant"); err != nil {
			return err
		}
		content, _, err := m.array("content", true, 1, 0)
		if err != nil {
			return err
		}
		for k := range content {
			b, err := item(content, k, m.at("content"))
			if err != nil {
				return err
			}
			if err := checkUnionBlock(b, blocks); err != nil {
				return err
			}
			if _, ok := b.m["text"]; ok {
				if _, _, err := b.str("text", true); err != nil {
					return err
				}
			}
		}
	}
	if first, ok := msgs[0].(map[string]any); ok && first["role"] != "user" {
		return fmt.Errorf("%s/0: A conversation must start with a user message", in.at("messages"))
	}
	return nil
}

// checkUnionBlock requires exactly one known member in a content block.
func checkUnionBlock(b obj, members []string) error {
	if err := b.allow(members...); err != nil {
		return err
	}
	if len(b.m) != 1 {
		return fmt.Errorf("%s: expected exactly one of [%s], found %d", b.path, strings.Join(members, ", "), len(b.m))
	}
	return nil
}

func checkConverseSystem(in obj) error {
	sys, _, err := in.array("system", false, 0, 0)
	if err != nil {
		return err
	}
	for i := range sys {
		b, err := item(sys, i, in.at("system"))
		if err != nil {
			return err
		}
		if err := checkUnionBlock(b, []string{"text", "guardContent", "cachePoint"}); err != nil {
			return err
		}
		if _, ok := b.m["text"]; ok {
			if _, _, err := b.str("text", true); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkToolConfig(in obj) error {
	tc, ok, err := in.object("toolConfig", false)
	if !ok {
		return err
	}
	tools, _, err := tc.array("tools", true, 1, 0)
	if err != nil {
		return err
	}
	for i := range tools {
		t, err := item(tools, i, tc.at("tools"))
		if err != nil {
			return err
		}
		if err := checkUnionBlock(t, []string{"toolSpec", "cachePoint", "systemTool"}); err != nil {
			return err
		}
		spec, ok, err := t.object("toolSpec", false)
		if err != nil {
			return err
		}
		if ok {
			if _, _, err := spec.nonEmpty("name", true); err != nil {
				return err
			}
			schema, _, err := spec.object("inputSchema", true)
			if err != nil {
				return err
			}
			if _, _, err := schema.object("json", true); err != nil {
				return err
			}
		}
	}
	if choice, ok, err := tc.object("toolChoice", false); err != nil {
		return err
	} else if ok {
		if err := checkUnionBlock(choice, []string{"auto", "any", "tool"}); err != nil {
			return err
		}
	}
	return nil
}

// blocksText is the text of a Converse (or Nova) content array.
func blocksText(content any) string {
	var parts []string
	if blocks, ok := content.([]any); ok {
		for _, b := range blocks {
			if m, ok := b.(map[string]any); ok {
				if s, ok := m["text"].(string); ok {
					parts = append(parts, s)
				}
			}
		}
	}
	return strings.Join(parts, "\n")
}
