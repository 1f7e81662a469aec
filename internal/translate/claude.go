package translate

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Anthropic Claude on Bedrock InvokeModel: the Anthropic Messages body with
// anthropic_version bedrock-2023-05-31.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html

const anthropicVersion = "bedrock-2023-05-31"

type claudeBody struct {
	AnthropicVersion string            `json:"anthropic_version"`
	MaxTokens        int64             `json:"max_tokens"`
	System           []claudeBlock     `json:"system,omitempty"`
	Messages         []claudeMessage   `json:"messages"`
	Temperature      *float64          `json:"temperature,omitempty"`
	TopP             *float64          `json:"top_p,omitempty"`
	TopK             *int64            `json:"top_k,omitempty"`
	StopSequences    []string          `json:"stop_sequences,omitempty"`
	Tools            []claudeTool      `json:"tools,omitempty"`
	ToolChoice       *claudeToolChoice `json:"tool_choice,omitempty"`
	Thinking         *thinking         `json:"thinking,omitempty"`
}

type claudeMessage struct {
	Role    string        `json:"role"`
	Content []claudeBlock `json:"content"`
}

type claudeBlock struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text,omitempty"`
	Source    *claudeSource   `json:"source,omitempty"`
	Title     string          `json:"title,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   any             `json:"content,omitempty"`
}

type claudeSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
}

type claudeTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type claudeToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse *bool  `json:"disable_parallel_tool_use,omitempty"`
}

func textBlock(s string) claudeBlock { return claudeBlock{Type: "text", Text: &s} }

func claudeRequest(r resolved, k caps, c *chatRequest) (any, *LineError) {
	th, maxTokens, lerr := claudeThinking(k, c)
	if lerr != nil {
		return nil, lerr
	}
	turns, lerr := buildTurns(c, k.name, true)
	if lerr != nil {
		return nil, lerr
	}
	b := &claudeBody{
		AnthropicVersion: anthropicVersion,
		MaxTokens:        maxTokens,
		Temperature:      c.temperature,
		TopP:             c.topP,
		TopK:             c.topK,
		StopSequences:    c.stop,
		Thinking:         th,
	}
	for _, s := range systemTexts(c) {
		if strings.TrimSpace(s) != "" {
			b.System = append(b.System, textBlock(s))
		}
	}
	b.Messages = make([]claudeMessage, len(turns))
	for i, t := range turns {
		b.Messages[i] = claudeMessage{Role: t.role, Content: claudeBlocks(t.blocks)}
	}
	for _, t := range c.tools {
		b.Tools = append(b.Tools, claudeTool{Name: t.Name, Description: t.Description, InputSchema: t.Parameters})
	}
	if rf := c.responseFormat; rf != nil {
		b.Tools = []claudeTool{{Name: structuredOutputTool, Description: structuredDescription(rf), InputSchema: rf.schema}}
		b.ToolChoice = &claudeToolChoice{Type: "tool", Name: structuredOutputTool}
	} else {
		b.ToolChoice = claudeChoice(c)
	}
	return b, nil
}

func claudeBlocks(blocks []block) []claudeBlock {
	out := make([]claudeBlock, 0, len(blocks))
	for _, bl := range blocks {
		switch bl.kind {
		case blockText:
			out = append(out, textBlock(bl.part.text))
		case blockImage:
			out = append(out, claudeBlock{Type: "image", Source: &claudeSource{Type: "base64", MediaType: bl.part.media, Data: bl.part.data}})
		case blockPDF:
			out = append(out, claudeBlock{Type: "document", Source: &claudeSource{Type: "base64", MediaType: bl.part.media, Data: bl.part.data}, Title: bl.part.filename})
		case blockToolUse:
			out = append(out, claudeBlock{Type: "tool_use", ID: bl.call.ID, Name: bl.call.Name, Input: bl.call.Arguments})
		case blockToolResult:
			res := claudeBlock{Type: "tool_result", ToolUseID: bl.resultID}
			switch len(bl.result) {
			case 0:
			case 1:
				res.Content = bl.result[0]
			default:
				parts := make([]claudeBlock, len(bl.result))
				for i, s := range bl.result {
					parts[i] = textBlock(s)
				}
				res.Content = parts
			}
			out = append(out, res)
		}
	}
	return out
}

func claudeChoice(c *chatRequest) *claudeToolChoice {
	var out *claudeToolChoice
	if tc := c.toolChoice; tc != nil {
		switch tc.mode {
		case "auto":
			out = &claudeToolChoice{Type: "auto"}
		case "required":
			out = &claudeToolChoice{Type: "any"}
		case "function":
			out = &claudeToolChoice{Type: "tool", Name: tc.name}
		}
	}
	if c.parallelToolCalls != nil {
		if out == nil {
			out = &claudeToolChoice{Type: "auto"}
		}
		t := true
		out.DisableParallelToolUse = &t
	}
	return out
}

func structuredDescription(rf *responseFormat) string {
	if rf.typ == "json_object" {
		return "Respond with a JSON object."
	}
	d := fmt.Sprintf("Respond with the %s JSON object.", rf.name)
	if rf.description != "" {
		d += " " + rf.description
	}
	return d
}

// claudeThinking maps reasoning_effort (or the thinking extension) to
// Claude's extended thinking, and settles max_tokens: the request's, else
// 4096 (capped at the model's limit), else budget+4096 with thinking.
func claudeThinking(k caps, c *chatRequest) (*thinking, int64, *LineError) {
	var th *thinking
	param := "thinking"
	if c.reasoningEffort != "" {
		th = &thinking{Type: "enabled", BudgetTokens: reasoningBudgets[c.reasoningEffort]}
		param = "reasoning_effort"
	} else if c.thinking != nil {
		th = c.thinking
	}
	maxTokens := c.maxTokens
	if th == nil {
		if maxTokens == 0 {
			maxTokens = k.maxTokensDefault
			if k.maxTokensMax > 0 && maxTokens > k.maxTokensMax {
				maxTokens = k.maxTokensMax
			}
		}
		return nil, maxTokens, nil
	}
	if maxTokens == 0 {
		maxTokens = th.BudgetTokens + claudeDefaultTokens
	} else if maxTokens <= th.BudgetTokens {
		return nil, 0, lerrf(CodeInvalidValue, c.maxTokensParam, "%s (%d) must be larger than the thinking budget of %d tokens that %s asks for", c.maxTokensParam, maxTokens, th.BudgetTokens, param)
	}
	why := "with extended thinking (" + param + ") Claude "
	switch {
	case c.temperature != nil && *c.temperature != 1:
		return nil, 0, lerrf(CodeUnsupportedValue, "temperature", "%saccepts only temperature 1", why)
	case c.topK != nil:
		return nil, 0, lerrf(CodeUnsupportedValue, "top_k", "%saccepts no top_k", why)
	case c.topP != nil && *c.topP < 0.95:
		return nil, 0, lerrf(CodeUnsupportedValue, "top_p", "%saccepts top_p between 0.95 and 1 only", why)
	case c.toolChoice != nil && (c.toolChoice.mode == "required" || c.toolChoice.mode == "function"):
		return nil, 0, lerrf(CodeUnsupportedValue, "tool_choice", "%saccepts tool_choice auto or none only", why)
	case c.responseFormat != nil:
		return nil, 0, lerrf(CodeUnsupportedValue, "response_format", "%scannot be forced to call the tool that carries response_format", why)
	}
	if last := &c.messages[len(c.messages)-1]; last.role == "assistant" {
		return nil, 0, lerrf(CodeUnsupportedValue, last.param(), "%scannot continue a final assistant message (prefill)", why)
	}
	return th, maxTokens, nil
}

// Output.

type claudeOutput struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Content []struct {
		Type     string          `json:"type"`
		Text     string          `json:"text"`
		Thinking string          `json:"thinking"`
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Input    json.RawMessage `json:"input"`
	} `json:"content"`
	StopReason string `json:"stop_reason"`
	Usage      struct {
		InputTokens              int64 `json:"input_tokens"`
		OutputTokens             int64 `json:"output_tokens"`
		CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	} `json:"usage"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func claudeCompletion(out json.RawMessage) (*completion, error) {
	var o claudeOutput
	if err := json.Unmarshal(out, &o); err != nil {
		return nil, err
	}
	if o.Type == "error" || o.Error != nil {
		msg := "the model returned an error"
		if o.Error != nil {
			msg = o.Error.Type + ": " + o.Error.Message
		}
		return nil, fmt.Errorf("%s", msg)
	}
	if o.Type != "" && o.Type != "message" {
		return nil, fmt.Errorf("unexpected Claude output type %q", o.Type)
	}
	c := &completion{id: strings.TrimPrefix(o.ID, "msg_")}
	structured := false
	for _, b := range o.Content {
		switch b.Type {
		case "text":
			c.addText(b.Text)
		case "thinking":
			c.reasoning += b.Thinking
		case "tool_use":
			if b.Name == structuredOutputTool {
				c.addText(compactJSON(b.Input))
				structured = true
				continue
			}
			c.addToolCall(b.ID, b.Name, b.Input)
		}
	}
	c.finish = claudeFinish(o.StopReason)
	if structured && c.finish == "tool_calls" {
		c.finish = "stop"
	}
	u := o.Usage
	c.usage = Usage{InputTokens: u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens, OutputTokens: u.OutputTokens}
	c.cachedTokens = u.CacheReadInputTokens
	return c, nil
}

func claudeFinish(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	return "stop" // end_turn, stop_sequence, pause_turn
}
