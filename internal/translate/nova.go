package translate

import (
	"encoding/json"
	"errors"
)

// Amazon Nova on InvokeModel (messages-v1), and the Converse request body
// shared by every chat family when the deployment uses the Converse
// invocation type. The two differ in little: Nova's body has schemaVersion,
// topK inside inferenceConfig and toolConfig; a Converse batch job takes no
// toolConfig, and model-specific fields go to additionalModelRequestFields.
// https://docs.aws.amazon.com/nova/latest/userguide/complete-request-schema.html
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html

type novaBody struct {
	SchemaVersion   string           `json:"schemaVersion"`
	System          []novaBlock      `json:"system,omitempty"`
	Messages        []novaMessage    `json:"messages"`
	InferenceConfig *inferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig      *novaToolConfig  `json:"toolConfig,omitempty"`
}

type converseBody struct {
	Messages                     []novaMessage    `json:"messages"`
	System                       []novaBlock      `json:"system,omitempty"`
	InferenceConfig              *inferenceConfig `json:"inferenceConfig,omitempty"`
	AdditionalModelRequestFields map[string]any   `json:"additionalModelRequestFields,omitempty"`
}

type inferenceConfig struct {
	MaxTokens     *int64   `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	TopK          *int64   `json:"topK,omitempty"` // Nova InvokeModel only
	StopSequences []string `json:"stopSequences,omitempty"`
}

func (ic *inferenceConfig) orNil() *inferenceConfig {
	if ic.MaxTokens == nil && ic.Temperature == nil && ic.TopP == nil && ic.TopK == nil && len(ic.StopSequences) == 0 {
		return nil
	}
	return ic
}

type novaMessage struct {
	Role    string      `json:"role"`
	Content []novaBlock `json:"content"`
}

type novaBlock struct {
	Text       *string         `json:"text,omitempty"`
	Image      *novaImage      `json:"image,omitempty"`
	ToolUse    *novaToolUse    `json:"toolUse,omitempty"`
	ToolResult *novaToolResult `json:"toolResult,omitempty"`
}

type novaImage struct {
	Format string     `json:"format"`
	Source novaSource `json:"source"`
}

type novaSource struct {
	Bytes string `json:"bytes"`
}

type novaToolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type novaToolResult struct {
	ToolUseID string      `json:"toolUseId"`
	Content   []novaBlock `json:"content"`
}

type novaToolConfig struct {
	Tools      []novaTool     `json:"tools"`
	ToolChoice map[string]any `json:"toolChoice,omitempty"`
}

type novaTool struct {
	ToolSpec novaToolSpec `json:"toolSpec"`
}

type novaToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema novaInputSchema `json:"inputSchema"`
}

type novaInputSchema struct {
	JSON json.RawMessage `json:"json"`
}

func novaText(s string) novaBlock { return novaBlock{Text: &s} }

func novaSystem(c *chatRequest) []novaBlock {
	var out []novaBlock
	for _, s := range nonEmpty(systemTexts(c)) {
		out = append(out, novaText(s))
	}
	return out
}

func novaMessages(turns []turn) []novaMessage {
	out := make([]novaMessage, len(turns))
	for i, t := range turns {
		blocks := make([]novaBlock, 0, len(t.blocks))
		for _, b := range t.blocks {
			switch b.kind {
			case blockText:
				blocks = append(blocks, novaText(b.part.text))
			case blockImage:
				blocks = append(blocks, novaBlock{Image: &novaImage{Format: imageFormats[b.part.media], Source: novaSource{Bytes: b.part.data}}})
			case blockToolUse:
				blocks = append(blocks, novaBlock{ToolUse: &novaToolUse{ToolUseID: b.call.ID, Name: b.call.Name, Input: b.call.Arguments}})
			case blockToolResult:
				res := &novaToolResult{ToolUseID: b.resultID, Content: []novaBlock{}}
				for _, s := range b.result {
					res.Content = append(res.Content, novaText(s))
				}
				if len(res.Content) == 0 {
					res.Content = append(res.Content, novaText(""))
				}
				blocks = append(blocks, novaBlock{ToolResult: res})
			}
		}
		out[i] = novaMessage{Role: t.role, Content: blocks}
	}
	return out
}

func novaRequest(k caps, c *chatRequest) (any, *LineError) {
	turns, lerr := buildTurns(c, k.name, false)
	if lerr != nil {
		return nil, lerr
	}
	b := &novaBody{SchemaVersion: "messages-v1", System: novaSystem(c), Messages: novaMessages(turns)}
	ic := &inferenceConfig{Temperature: c.temperature, TopP: c.topP, TopK: c.topK, StopSequences: c.stop}
	if c.maxTokens > 0 {
		ic.MaxTokens = &c.maxTokens
	}
	b.InferenceConfig = ic.orNil()
	if len(c.tools) > 0 || c.responseFormat != nil {
		tc := &novaToolConfig{}
		for _, t := range c.tools {
			tc.Tools = append(tc.Tools, novaTool{ToolSpec: novaToolSpec{Name: t.Name, Description: t.Description, InputSchema: novaInputSchema{JSON: t.Parameters}}})
		}
		if rf := c.responseFormat; rf != nil {
			tc.Tools = []novaTool{{ToolSpec: novaToolSpec{Name: structuredOutputTool, Description: structuredDescription(rf), InputSchema: novaInputSchema{JSON: rf.schema}}}}
			tc.ToolChoice = map[string]any{"tool": map[string]string{"name": structuredOutputTool}}
		} else if ch := c.toolChoice; ch != nil {
			switch ch.mode {
			case "auto":
				tc.ToolChoice = map[string]any{"auto": struct{}{}}
			case "required":
				tc.ToolChoice = map[string]any{"any": struct{}{}}
			case "function":
				tc.ToolChoice = map[string]any{"tool": map[string]string{"name": ch.name}}
			}
		}
		b.ToolConfig = tc
	}
	return b, nil
}

// converseRequest builds the Converse body for any chat family.
func converseRequest(r resolved, k caps, c *chatRequest) (any, *LineError) {
	b := &converseBody{System: novaSystem(c)}
	ic := &inferenceConfig{Temperature: c.temperature, TopP: c.topP, StopSequences: c.stop}
	extra := map[string]any{}
	maxTokens := c.maxTokens
	switch r.family {
	case Anthropic:
		th, n, lerr := claudeThinking(k, c)
		if lerr != nil {
			return nil, lerr
		}
		maxTokens = n
		if th != nil {
			extra["thinking"] = th
		}
		if c.topK != nil {
			extra["top_k"] = *c.topK
		}
	case Nova:
		if c.topK != nil {
			extra["inferenceConfig"] = map[string]int64{"topK": *c.topK}
		}
	case OpenAI:
		if c.reasoningEffort != "" {
			extra["reasoning_effort"] = c.reasoningEffort
		}
	}
	turns, lerr := buildTurns(c, k.name, r.family == Anthropic)
	if lerr != nil {
		return nil, lerr
	}
	b.Messages = novaMessages(turns)
	if maxTokens > 0 {
		ic.MaxTokens = &maxTokens
	}
	b.InferenceConfig = ic.orNil()
	if len(extra) > 0 {
		b.AdditionalModelRequestFields = extra
	}
	return b, nil
}

// Output: Nova InvokeModel and Converse responses have the same shape.

type converseOutput struct {
	Output *struct {
		Message *struct {
			Content []struct {
				Text    *string `json:"text"`
				ToolUse *struct {
					ToolUseID string          `json:"toolUseId"`
					Name      string          `json:"name"`
					Input     json.RawMessage `json:"input"`
				} `json:"toolUse"`
				ReasoningContent *struct {
					ReasoningText *struct {
						Text string `json:"text"`
					} `json:"reasoningText"`
				} `json:"reasoningContent"`
			} `json:"content"`
		} `json:"message"`
	} `json:"output"`
	StopReason string `json:"stopReason"`
	Usage      struct {
		InputTokens               int64 `json:"inputTokens"`
		OutputTokens              int64 `json:"outputTokens"`
		CacheReadInputTokenCount  int64 `json:"cacheReadInputTokenCount"`
		CacheWriteInputTokenCount int64 `json:"cacheWriteInputTokenCount"`
		CacheReadInputTokens      int64 `json:"cacheReadInputTokens"`
		CacheWriteInputTokens     int64 `json:"cacheWriteInputTokens"`
	} `json:"usage"`
}

func converseCompletion(out json.RawMessage) (*completion, error) {
	var o converseOutput
	if err := json.Unmarshal(out, &o); err != nil {
		return nil, err
	}
	if o.Output == nil || o.Output.Message == nil {
		return nil, errors.New("the output has no output.message")
	}
	c := &completion{}
	structured := false
	for _, b := range o.Output.Message.Content {
		switch {
		case b.Text != nil:
			c.addText(*b.Text)
		case b.ToolUse != nil:
			if b.ToolUse.Name == structuredOutputTool {
				c.addText(compactJSON(b.ToolUse.Input))
				structured = true
				continue
			}
			c.addToolCall(b.ToolUse.ToolUseID, b.ToolUse.Name, b.ToolUse.Input)
		case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
			c.reasoning += b.ReasoningContent.ReasoningText.Text
		}
	}
	switch o.StopReason {
	case "max_tokens", "model_context_window_exceeded":
		c.finish = "length"
	case "tool_use":
		c.finish = "tool_calls"
		if structured {
			c.finish = "stop"
		}
	case "content_filtered", "guardrail_intervened":
		c.finish = "content_filter"
	default: // end_turn, stop_sequence, malformed_model_output, malformed_tool_use
		c.finish = "stop"
	}
	u := o.Usage
	cached := u.CacheReadInputTokenCount + u.CacheReadInputTokens
	c.usage = Usage{InputTokens: u.InputTokens + cached + u.CacheWriteInputTokenCount + u.CacheWriteInputTokens, OutputTokens: u.OutputTokens}
	c.cachedTokens = cached
	return c, nil
}
