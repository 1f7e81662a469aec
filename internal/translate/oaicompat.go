package translate

import (
	"encoding/json"
	"errors"
	"strings"
)

// OpenAI-compatible models on Bedrock InvokeModel (gpt-oss, Qwen3,
// DeepSeek-V3): an OpenAI chat completion body, checked and rebuilt with
// the parameters Bedrock documents. model is left out (Bedrock fills it in
// from the job's model) and so is stream.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-openai.html

type oaiBody struct {
	Messages            []oaiMessage    `json:"messages"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens,omitempty"`
	MaxTokens           *int64          `json:"max_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	Tools               []oaiTool       `json:"tools,omitempty"`
	ToolChoice          any             `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls,omitempty"`
	ResponseFormat      json.RawMessage `json:"response_format,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`
}

type oaiMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content,omitempty"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  []outToolCall   `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

type oaiTool struct {
	Type     string      `json:"type"`
	Function oaiFunction `json:"function"`
}

type oaiFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

func openAIRequest(r resolved, k caps, c *chatRequest) (any, *LineError) {
	gptOSS := strings.HasPrefix(r.base, "openai.gpt-oss")
	if !hasRole(c, "user") {
		return nil, lerrf(CodeInvalidValue, "messages", "messages must contain a user message")
	}
	b := &oaiBody{Temperature: c.temperature, TopP: c.topP, Stop: c.stop, ParallelToolCalls: c.parallelToolCalls, ReasoningEffort: c.reasoningEffort}
	if c.maxTokens > 0 {
		if gptOSS {
			b.MaxCompletionTokens = &c.maxTokens
		} else {
			b.MaxTokens = &c.maxTokens
		}
	}
	b.Messages = make([]oaiMessage, len(c.messages))
	for i := range c.messages {
		m := &c.messages[i]
		om := oaiMessage{Role: m.role, Content: m.content, Name: m.name, ToolCallID: m.toolCallID}
		if m.role == "developer" && !gptOSS {
			om.Role = "system"
		}
		for _, tc := range m.toolCalls {
			om.ToolCalls = append(om.ToolCalls, outToolCall{ID: tc.ID, Type: "function", Function: outFunction{Name: tc.Name, Arguments: string(tc.Arguments)}})
		}
		b.Messages[i] = om
	}
	for _, t := range c.tools {
		f := oaiFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters}
		if t.Strict {
			f.Strict = &t.Strict
		}
		b.Tools = append(b.Tools, oaiTool{Type: "function", Function: f})
	}
	if tc := c.toolChoice; tc != nil {
		if tc.mode == "function" {
			b.ToolChoice = map[string]any{"type": "function", "function": map[string]string{"name": tc.name}}
		} else {
			b.ToolChoice = tc.mode
		}
	}
	if rf := c.responseFormat; rf != nil {
		b.ResponseFormat = rf.raw
	}
	return b, nil
}

type oaiOutput struct {
	ID      string `json:"id"`
	Choices []struct {
		Message struct {
			Content          *string `json:"content"`
			ReasoningContent *string `json:"reasoning_content"`
			Reasoning        *string `json:"reasoning"`
			Refusal          *string `json:"refusal"`
			ToolCalls        []struct {
				ID       string `json:"id"`
				Function struct {
					Name      string          `json:"name"`
					Arguments json.RawMessage `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens        int64 `json:"prompt_tokens"`
		CompletionTokens    int64 `json:"completion_tokens"`
		PromptTokensDetails *struct {
			CachedTokens int64 `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
}

func openAICompletion(out json.RawMessage) (*completion, error) {
	var o oaiOutput
	if err := json.Unmarshal(out, &o); err != nil {
		return nil, err
	}
	if len(o.Choices) == 0 {
		return nil, errors.New("the output has no choices")
	}
	ch := o.Choices[0]
	c := &completion{id: strings.TrimPrefix(o.ID, "chatcmpl-")}
	if m := ch.Message; m.Content != nil {
		text := *m.Content
		// gpt-oss on InvokeModel puts its reasoning ahead of the answer in
		// <reasoning> tags.
		if rest, ok := strings.CutPrefix(text, "<reasoning>"); ok {
			if r, answer, ok := strings.Cut(rest, "</reasoning>"); ok {
				c.reasoning, text = r, answer
			}
		}
		c.addText(text)
	}
	if m := ch.Message; m.ReasoningContent != nil {
		c.reasoning += *m.ReasoningContent
	} else if m.Reasoning != nil {
		c.reasoning += *m.Reasoning
	}
	for _, tc := range ch.Message.ToolCalls {
		args := tc.Function.Arguments
		if s, ok := asString(args); ok {
			args = json.RawMessage(s)
		}
		c.addToolCall(tc.ID, tc.Function.Name, args)
	}
	switch ch.FinishReason {
	case "length", "tool_calls", "content_filter":
		c.finish = ch.FinishReason
	default:
		c.finish = "stop"
	}
	if u := o.Usage; u != nil {
		c.usage = Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
		if u.PromptTokensDetails != nil {
			c.cachedTokens = u.PromptTokensDetails.CachedTokens
		}
	}
	return c, nil
}
