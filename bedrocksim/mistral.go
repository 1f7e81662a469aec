package bedrocksim

import "strings"

// mistralFamily is Mistral AI: the text-completion body (prompt) of Mistral
// 7B, Mixtral, Small and Large, and the chat-completion body (messages) of
// Mistral Large (model-parameters-mistral-text-completion / -chat-completion).
var mistralFamily = &family{name: "mistral", converse: true, invoke: invokeMistral}

type mistralTextResponse struct {
	Outputs []mistralOutput `json:"outputs"`
}

type mistralOutput struct {
	Text       string `json:"text"`
	StopReason string `json:"stop_reason"`
}

type mistralChatResponse struct {
	Choices []mistralChoice `json:"choices"`
}

type mistralChoice struct {
	Index      int            `json:"index"`
	Message    mistralMessage `json:"message"`
	StopReason string         `json:"stop_reason"`
}

type mistralMessage struct {
	Role      string            `json:"role"`
	Content   string            `json:"content"`
	ToolCalls []mistralToolCall `json:"tool_calls,omitempty"`
}

// mistralToolCall is a call in Mistral's shape: no type, arguments as JSON
// text, an id of 9 letters and digits.
type mistralToolCall struct {
	ID       string           `json:"id"`
	Function chatToolFunction `json:"function"`
}

// mistralMaxTokens is a Mistral model's max_tokens: its default and the
// largest value it accepts, from AWS's Mistral AI text completion parameters
// page (Mistral 7B Instruct 512 / 8,192, Mixtral 8x7B Instruct 512 / 4,096,
// Mistral Large and Small 8,192 / 8,192). Models the page does not list get
// Large's.
func mistralMaxTokens(base string) (dflt, maximum int64) {
	switch {
	case strings.HasPrefix(base, "mistral.mistral-7b-"):
		return 512, 8192
	case strings.HasPrefix(base, "mistral.mixtral-8x7b-"):
		return 512, 4096
	}
	return 8192, 8192
}

func invokeMistral(c *modelCall) (any, usage, error) {
	in := obj{m: c.input, path: "#"}
	if _, chat := c.input["messages"]; chat {
		return mistralChat(c, in)
	}
	if err := in.allow("prompt", "max_tokens", "stop", "temperature", "top_p", "top_k"); err != nil {
		return nil, usage{}, malformed(err)
	}
	prompt, _, err := in.nonEmpty("prompt", true)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	maxTokens, stops, err := mistralCommon(in, c.model.base)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	if _, _, err := in.integer("top_k", false, 0, 200); err != nil {
		return nil, usage{}, malformed(err)
	}
	g := generate(replyTo(instText(prompt)), maxTokens, stops)
	resp := mistralTextResponse{Outputs: []mistralOutput{{Text: g.text, StopReason: mistralStop(g)}}}
	return resp, usage{inputTokens(prompt), g.outputTokens}, nil
}

func mistralChat(c *modelCall, in obj) (any, usage, error) {
	if err := in.allow("messages", "tools", "tool_choice", "max_tokens", "top_p", "temperature"); err != nil {
		return nil, usage{}, malformed(err)
	}
	msgs, _, err := in.array("messages", true, 1, 0)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	for i := range msgs {
		m, err := item(msgs, i, in.at("messages"))
		if err == nil {
			err = checkChatMessage(m, []string{"system", "user", "assistant", "tool"})
		}
		if err != nil {
			return nil, usage{}, malformed(err)
		}
	}
	maxTokens, _, err := mistralCommon(in, c.model.base)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	if _, _, err := in.enum("tool_choice", false, "auto", "any", "none"); err != nil {
		return nil, usage{}, malformed(err)
	}
	if _, _, err := in.array("tools", false, 0, 0); err != nil {
		return nil, usage{}, malformed(err)
	}
	g := generate(replyTo(lastUserText(msgs, "content", chatText)), maxTokens, nil)
	resp := mistralChatResponse{Choices: []mistralChoice{{
		Message: mistralMessage{Role: "assistant", Content: g.text}, StopReason: mistralStop(g),
	}}}
	out := g.outputTokens
	if tool, ok := mistralForcedTool(c.input); ok {
		args := tool.arguments()
		id := idFrom(c.recordID+digest(textOf(c.input)), 9, base62)
		resp.Choices[0].Message = mistralMessage{Role: "assistant", Content: "",
			ToolCalls: []mistralToolCall{{ID: id, Function: chatToolFunction{Name: tool.name, Arguments: args}}}}
		resp.Choices[0].StopReason, out = "tool_calls", tokens(args)
	}
	return resp, usage{inputTokens(textOf(msgs)), out}, nil
}

func mistralCommon(in obj, base string) (int64, []string, error) {
	dflt, maximum := mistralMaxTokens(base)
	maxTokens, ok, err := in.integer("max_tokens", false, 1, maximum)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		maxTokens = dflt
	}
	if err := in.number("temperature", 0, 1); err != nil {
		return 0, nil, err
	}
	if err := in.number("top_p", 0, 1); err != nil {
		return 0, nil, err
	}
	stops, err := in.strings("stop", 10)
	return maxTokens, stops, err
}

func mistralStop(g generation) string {
	if g.stop == "max_tokens" {
		return "length"
	}
	return "stop"
}

// checkChatMessage checks one message of an OpenAI-style chat body (Mistral
// chat, OpenAI-compatible models).
func checkChatMessage(m obj, roles []string) error {
	role, _, err := m.enum("role", true, roles...)
	if err != nil {
		return err
	}
	_, hasCalls := m.m["tool_calls"]
	v, ok, err := m.get("content", !(role == "assistant" && hasCalls))
	if err != nil {
		return err
	}
	if ok {
		switch x := v.(type) {
		case string, nil:
		case []any:
			for i := range x {
				p, err := item(x, i, m.at("content"))
				if err != nil {
					return err
				}
				typ, _, err := p.str("type", true)
				if err != nil {
					return err
				}
				if typ == "text" {
					if _, _, err := p.str("text", true); err != nil {
						return err
					}
				}
			}
		default:
			return typeErr(m.at("content"), "String or JSONArray", v)
		}
	}
	if role == "tool" {
		if _, _, err := m.nonEmpty("tool_call_id", true); err != nil {
			return err
		}
	}
	if hasCalls {
		calls, _, err := m.array("tool_calls", false, 0, 0)
		if err != nil {
			return err
		}
		for i := range calls {
			if _, err := item(calls, i, m.at("tool_calls")); err != nil {
				return err
			}
		}
	}
	return nil
}

// chatText is the text of an OpenAI-style content value.
func chatText(content any) string {
	switch x := content.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, p := range x {
			if m, ok := p.(map[string]any); ok && m["type"] == "text" {
				if t, ok := m["text"].(string); ok {
					parts = append(parts, t)
				}
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}
