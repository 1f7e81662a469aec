package bedrocksim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// anthropicFamily is Anthropic Claude through the Messages API body
// (model-parameters-anthropic-claude-messages-request-response).
var anthropicFamily = &family{name: "anthropic", converse: true, invoke: invokeAnthropic}

type claudeResponse struct {
	ID           string        `json:"id"`
	Type         string        `json:"type"`
	Role         string        `json:"role"`
	Model        string        `json:"model"`
	Content      []claudeBlock `json:"content"`
	StopReason   string        `json:"stop_reason"`
	StopSequence *string       `json:"stop_sequence"`
	Usage        claudeUsage   `json:"usage"`
}

type claudeBlock struct {
	Type string
	Text string // the text, or a thinking block's thinking
	// thinking blocks (see MarshalJSON)
	Signature string
	// tool_use blocks
	ID, Name, Input string
}

type claudeUsage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
}

// claudeName is the model name Claude reports: the base id without the
// "anthropic." prefix and the "-v1:0" suffix (spec §2.4).
func claudeName(base string) string {
	return versionSuffix.ReplaceAllString(strings.TrimPrefix(base, "anthropic."), "")
}

// claudeMaxTokens is each generation's output limit; Anthropic rejects a
// larger max_tokens.
func claudeMaxTokens(name string, betas []string) int64 {
	switch {
	case strings.HasPrefix(name, "claude-3-haiku"), strings.HasPrefix(name, "claude-3-sonnet"),
		strings.HasPrefix(name, "claude-3-opus"), strings.HasPrefix(name, "claude-v2"),
		strings.HasPrefix(name, "claude-instant"):
		return 4096
	case strings.HasPrefix(name, "claude-3-5"):
		return 8192
	case strings.HasPrefix(name, "claude-3-7"):
		if slices.Contains(betas, "output-128k-2025-02-19") {
			return 128000
		}
		return 64000
	case strings.HasPrefix(name, "claude-opus-4-2"), strings.HasPrefix(name, "claude-opus-4-1"):
		return 32000
	}
	return 64000
}

func invokeAnthropic(c *modelCall) (any, usage, error) {
	in := obj{m: c.input, path: "#"}
	name := claudeName(c.model.base)
	if err := checkAnthropic(in, name); err != nil {
		var tag tagError
		if errors.As(err, &tag) {
			return nil, usage{}, err
		}
		return nil, usage{}, malformed(err)
	}
	maxTokens, _, _ := in.integer("max_tokens", true, 1, 1<<31)
	betas, _ := in.strings("anthropic_beta", 0)
	if limit := claudeMaxTokens(name, betas); maxTokens > limit {
		return nil, usage{}, fmt.Errorf(
			"max_tokens: %d > %d, which is the maximum allowed number of output tokens for %s", maxTokens, limit, name)
	}
	thinking := false
	if t, ok, _ := in.object("thinking", false); ok {
		if budget, ok, _ := t.integer("budget_tokens", false, 0, 1<<31); ok && budget >= maxTokens {
			return nil, usage{}, fmt.Errorf("`max_tokens` must be greater than `thinking.budget_tokens`")
		}
		thinking = t.m["type"] == "enabled"
	}
	tool, forced := anthropicForcedTool(c.input)
	if thinking && forced {
		return nil, usage{}, errThinkingForcedTool
	}
	// Extended thinking comes first and counts toward max_tokens and the
	// output tokens.
	var content []claudeBlock
	var thoughtTokens int64
	if thinking {
		th := claudeThought(c)
		thoughtTokens = tokens(th.text)
		content = append(content, claudeBlock{Type: "thinking", Text: th.text, Signature: th.signature})
	}
	stops, _ := in.strings("stop_sequences", 0)
	msgs := c.input["messages"].([]any)
	g := generate(replyTo(lastUserText(msgs, "content", anthropicText)), max(maxTokens-thoughtTokens, 1), stops)
	resp := claudeResponse{
		ID:         "msg_bdrk_" + idFrom(c.recordID+digest(textOf(c.input)), 24, base62),
		Type:       "message",
		Role:       "assistant",
		Model:      name,
		Content:    append(content, claudeBlock{Type: "text", Text: g.text}),
		StopReason: map[string]string{"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence"}[g.stop],
		Usage:      claudeUsage{InputTokens: inputTokens(textOf(map[string]any{"s": c.input["system"], "m": msgs})), OutputTokens: thoughtTokens + g.outputTokens},
	}
	if g.stopSequence != "" {
		resp.StopSequence = &g.stopSequence
	}
	if forced {
		args := tool.arguments()
		resp.Content = []claudeBlock{{Type: "tool_use", ID: "toolu_bdrk_" + idFrom(resp.ID, 24, base62), Name: tool.name, Input: args}}
		resp.StopReason, resp.StopSequence, resp.Usage.OutputTokens = "tool_use", nil, tokens(args)
	}
	return resp, usage{resp.Usage.InputTokens, resp.Usage.OutputTokens}, nil
}

// tagError is Bedrock's answer to an unknown tool_choice type, which it
// words differently from the schema errors (boto/botocore#3458).
type tagError string

func (e tagError) Error() string { return string(e) }

// claudeParallelToolUse reports whether a Claude model on Bedrock takes
// tool_choice.disable_parallel_tool_use. Claude 3 and 3.5 models refuse it as
// an extraneous key (anthropic-sdk-python#739, Claude 3.5 Sonnet v2); 3.7 and
// later take it (vercel/ai#15112).
func claudeParallelToolUse(name string) bool {
	for _, p := range []string{"claude-3-haiku", "claude-3-sonnet", "claude-3-opus", "claude-3-5-", "claude-v2", "claude-instant"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

func checkAnthropic(in obj, name string) error {
	if err := in.allow("anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "temperature",
		"top_p", "top_k", "stop_sequences", "tools", "tool_choice", "thinking"); err != nil {
		return err
	}
	if _, _, err := in.enum("anthropic_version", true, "bedrock-2023-05-31"); err != nil {
		return err
	}
	if _, _, err := in.integer("max_tokens", true, 1, 1<<31); err != nil {
		return err
	}
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
		if err := checkClaudeContent(m, "content", true); err != nil {
			return err
		}
	}
	if err := checkClaudeContent(in, "system", false); err != nil {
		return err
	}
	if err := in.number("temperature", 0, 1); err != nil {
		return err
	}
	if err := in.number("top_p", 0, 1); err != nil {
		return err
	}
	if _, _, err := in.integer("top_k", false, 0, 500); err != nil {
		return err
	}
	if _, err := in.strings("stop_sequences", 0); err != nil {
		return err
	}
	if _, err := in.strings("anthropic_beta", 0); err != nil {
		return err
	}
	tools, _, err := in.array("tools", false, 0, 0)
	if err != nil {
		return err
	}
	for i := range tools {
		t, err := item(tools, i, in.at("tools"))
		if err != nil {
			return err
		}
		if _, _, err := t.nonEmpty("name", true); err != nil {
			return err
		}
		// Client tools carry an input_schema; Anthropic-defined tools
		// (bash_20250124, …) carry a type instead.
		if _, hasType := t.m["type"]; !hasType {
			if _, _, err := t.object("input_schema", true); err != nil {
				return err
			}
		}
	}
	if tc, ok, err := in.object("tool_choice", false); err != nil {
		return err
	} else if ok {
		keys := []string{"type", "name"}
		if claudeParallelToolUse(name) {
			keys = append(keys, "disable_parallel_tool_use")
		}
		if err := tc.allow(keys...); err != nil {
			return err
		}
		typ, _, err := tc.str("type", true)
		if err != nil {
			return err
		}
		// Bedrock does not take Anthropic's newer "none".
		if !slices.Contains([]string{"auto", "any", "tool"}, typ) {
			return tagError(fmt.Sprintf(
				"tool_choice: Input tag '%s' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool'", typ))
		}
		if err := tc.boolean("disable_parallel_tool_use"); err != nil {
			return err
		}
		if typ == "tool" {
			if _, _, err := tc.nonEmpty("name", true); err != nil {
				return err
			}
		}
	}
	if th, ok, err := in.object("thinking", false); err != nil {
		return err
	} else if ok {
		typ, _, err := th.enum("type", true, "enabled", "disabled")
		if err != nil {
			return err
		}
		if typ == "enabled" {
			if _, _, err := th.integer("budget_tokens", true, 1024, 1<<31); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkClaudeContent checks a content (or system) member: a string, or an
// array of typed blocks.
func checkClaudeContent(o obj, key string, required bool) error {
	v, ok, err := o.get(key, required)
	if !ok {
		return err
	}
	switch x := v.(type) {
	case string:
		if key == "content" && x == "" {
			return fmt.Errorf("%s: expected minLength: 1, actual: 0", o.at(key))
		}
		return nil
	case []any:
		if key == "content" && len(x) == 0 {
			return fmt.Errorf("%s: expected minimum item count: 1, found: 0", o.at(key))
		}
		for i := range x {
			b, err := item(x, i, o.at(key))
			if err != nil {
				return err
			}
			types := []string{"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking"}
			if key == "system" {
				types = []string{"text"}
			}
			typ, _, err := b.enum("type", true, types...)
			if err != nil {
				return err
			}
			switch typ {
			case "text":
				_, _, err = b.str("text", true)
			case "image", "document":
				_, _, err = b.object("source", true)
			case "tool_use":
				if _, _, err = b.nonEmpty("id", true); err == nil {
					if _, _, err = b.nonEmpty("name", true); err == nil {
						_, _, err = b.object("input", true)
					}
				}
			case "tool_result":
				_, _, err = b.nonEmpty("tool_use_id", true)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return typeErr(o.at(key), "String or JSONArray", v)
}

// anthropicText is the text of a Claude content value.
func anthropicText(content any) string {
	switch x := content.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, b := range x {
			if m, ok := b.(map[string]any); ok && m["type"] == "text" {
				if s, ok := m["text"].(string); ok {
					parts = append(parts, s)
				}
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

// lastUserText returns the text of the last message whose role is "user".
func lastUserText(msgs []any, contentKey string, text func(any) string) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if m, ok := msgs[i].(map[string]any); ok && m["role"] == "user" {
			return text(m[contentKey])
		}
	}
	return ""
}
