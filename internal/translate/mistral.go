package translate

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Mistral on InvokeModel. The older models (Mistral 7B Instruct, Mixtral
// 8x7B, Mistral Large 2402, Mistral Small 2402) take a text-completion
// prompt in the [INST] template; the newer ones (Mistral Large 2407 and
// later, Pixtral) take a chat body.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-text-completion.html
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-chat-completion.html

type mistralTextBody struct {
	Prompt      string   `json:"prompt"`
	MaxTokens   *int64   `json:"max_tokens,omitempty"`
	Stop        []string `json:"stop,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	TopK        *int64   `json:"top_k,omitempty"`
}

type mistralChatBody struct {
	Messages    []mistralMessage `json:"messages"`
	Tools       []oaiTool        `json:"tools,omitempty"`
	ToolChoice  string           `json:"tool_choice,omitempty"`
	MaxTokens   *int64           `json:"max_tokens,omitempty"`
	Temperature *float64         `json:"temperature,omitempty"`
	TopP        *float64         `json:"top_p,omitempty"`
}

type mistralMessage struct {
	Role       string            `json:"role"`
	Content    string            `json:"content"`
	ToolCalls  []mistralToolCall `json:"tool_calls,omitempty"`
	ToolCallID string            `json:"tool_call_id,omitempty"`
}

type mistralToolCall struct {
	ID       string      `json:"id"`
	Function outFunction `json:"function"`
}

func mistralRequest(r resolved, k caps, c *chatRequest) (any, *LineError) {
	var maxTokens *int64
	if c.maxTokens > 0 {
		maxTokens = &c.maxTokens
	}
	if mistralChat(r.base) {
		return mistralChatRequest(c, maxTokens)
	}
	prompt, lerr := c.rawPrompt, (*LineError)(nil) // a /v1/completions prompt, continued as written
	if prompt == "" {
		prompt, lerr = mistralPrompt(c, k.name)
	}
	if lerr != nil {
		return nil, lerr
	}
	return &mistralTextBody{Prompt: prompt, MaxTokens: maxTokens, Stop: c.stop, Temperature: c.temperature, TopP: c.topP, TopK: c.topK}, nil
}

// mistralPrompt renders <s>[INST] user [/INST] assistant</s> [INST] user [/INST],
// the multi-turn format of AWS's Mistral text-completion page.
// System text goes ahead of the first user message; consecutive messages of
// one role are joined.
func mistralPrompt(c *chatRequest, name string) (string, *LineError) {
	type msg struct {
		role, text string
		index      int
	}
	var turns []msg
	system := strings.Join(nonEmpty(systemTexts(c)), "\n\n")
	for i := range c.messages {
		m := &c.messages[i]
		if m.role != "user" && m.role != "assistant" {
			continue
		}
		text := strings.TrimSpace(joinText(m))
		if n := len(turns); n > 0 && turns[n-1].role == m.role {
			turns[n-1].text += "\n\n" + text
			continue
		}
		turns = append(turns, msg{m.role, text, i})
	}
	if len(turns) == 0 {
		return "", lerrf(CodeInvalidValue, "messages", "messages must contain a user message")
	}
	if turns[0].role != "user" {
		return "", lerrf(CodeInvalidValue, fmt.Sprintf("messages[%d]", turns[0].index), "the first message after the system messages must be a user message for %s", name)
	}
	if system != "" {
		turns[0].text = system + "\n\n" + turns[0].text
	}
	var b strings.Builder
	b.WriteString("<s>")
	for i, t := range turns {
		if t.role == "user" {
			b.WriteString("[INST] ")
			b.WriteString(t.text)
			b.WriteString(" [/INST]")
			continue
		}
		b.WriteString(" ")
		b.WriteString(t.text)
		if i < len(turns)-1 {
			b.WriteString("</s> ")
		}
	}
	return b.String(), nil
}

func mistralChatRequest(c *chatRequest, maxTokens *int64) (any, *LineError) {
	b := &mistralChatBody{MaxTokens: maxTokens, Temperature: c.temperature, TopP: c.topP}
	for i := range c.messages {
		m := &c.messages[i]
		mm := mistralMessage{Role: m.role, Content: joinText(m)}
		switch m.role {
		case "developer":
			mm.Role = "system"
		case "tool":
			mm.ToolCallID = mistralToolID(m.toolCallID)
		}
		for _, tc := range m.toolCalls {
			mm.ToolCalls = append(mm.ToolCalls, mistralToolCall{ID: mistralToolID(tc.ID), Function: outFunction{Name: tc.Name, Arguments: string(tc.Arguments)}})
		}
		b.Messages = append(b.Messages, mm)
	}
	for _, t := range c.tools {
		b.Tools = append(b.Tools, oaiTool{Type: "function", Function: oaiFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
	}
	if tc := c.toolChoice; tc != nil {
		switch tc.mode {
		case "auto", "none":
			b.ToolChoice = tc.mode
		case "required":
			b.ToolChoice = "any"
		}
	}
	return b, nil
}

// mistralToolID maps a tool call id to the 9 letters and digits Mistral
// requires; the same id always maps to the same value.
func mistralToolID(id string) string {
	if len(id) == 9 && isAlnum(id) {
		return id
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	sum := sha256.Sum256([]byte(id))
	out := make([]byte, 9)
	for i := range out {
		out[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(out)
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

// joinText joins a message's text parts with new lines.
func joinText(m *message) string {
	if len(m.parts) == 1 {
		return m.parts[0].text
	}
	var b strings.Builder
	for i, p := range m.parts {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(p.text)
	}
	return b.String()
}

func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

type mistralOutput struct {
	Outputs []struct {
		Text       string `json:"text"`
		StopReason string `json:"stop_reason"`
	} `json:"outputs"`
	Choices []struct {
		Message struct {
			Content   *string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Function struct {
					Name      string          `json:"name"`
					Arguments json.RawMessage `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		StopReason   string `json:"stop_reason"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
}

// mistralCompletion reads both output shapes. Bedrock's Mistral outputs
// carry no token counts (usage is 0) unless a usage object is present.
func mistralCompletion(out json.RawMessage) (*completion, error) {
	var o mistralOutput
	if err := json.Unmarshal(out, &o); err != nil {
		return nil, err
	}
	c := &completion{}
	var stop string
	switch {
	case len(o.Outputs) > 0:
		c.addText(o.Outputs[0].Text)
		stop = o.Outputs[0].StopReason
	case len(o.Choices) > 0:
		ch := o.Choices[0]
		// "" beside tool calls is no text: the message's content is null,
		// as OpenAI's is when the model only calls tools.
		if ch.Message.Content != nil && (*ch.Message.Content != "" || len(ch.Message.ToolCalls) == 0) {
			c.addText(*ch.Message.Content)
		}
		for _, tc := range ch.Message.ToolCalls {
			args := tc.Function.Arguments
			if s, ok := asString(args); ok {
				args = json.RawMessage(s)
			}
			c.addToolCall(tc.ID, tc.Function.Name, args)
		}
		stop = ch.StopReason
		if stop == "" {
			stop = ch.FinishReason
		}
	default:
		return nil, errors.New("the output has neither outputs nor choices")
	}
	switch stop {
	case "length", "model_length":
		c.finish = "length"
	case "tool_calls":
		c.finish = "tool_calls"
	default:
		c.finish = "stop"
	}
	if o.Usage != nil {
		c.usage = Usage{InputTokens: o.Usage.PromptTokens, OutputTokens: o.Usage.CompletionTokens}
	}
	return c, nil
}
