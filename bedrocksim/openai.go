package bedrocksim

import (
	"fmt"
	"strings"
)

// openaiFamily is the models Bedrock serves with an OpenAI Chat Completions
// body: OpenAI gpt-oss, Qwen3 and DeepSeek-V3 (model-parameters-openai).
var openaiFamily = &family{name: "openai", converse: true, invoke: invokeOpenAI}

type chatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   chatUsage    `json:"usage"`
}

type chatChoice struct {
	Index        int         `json:"index"`
	Message      chatMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

type chatMessage struct {
	Role      string         `json:"role"`
	Content   *string        `json:"content"`
	ToolCalls []chatToolCall `json:"tool_calls,omitempty"`
}

type chatUsage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

// openaiParams are the Chat Completions parameters accepted; anything else is
// rejected, as OpenAI rejects unrecognized arguments.
var openaiParams = []string{"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
	"stop", "stream", "stream_options", "n", "seed", "frequency_penalty", "presence_penalty", "logprobs",
	"top_logprobs", "response_format", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort",
	"user", "metadata"}

func invokeOpenAI(c *modelCall) (any, usage, error) {
	in := obj{m: c.input, path: "#"}
	maxTokens, stops, err := checkOpenAI(in, c)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	msgs := c.input["messages"].([]any)
	reply := replyTo(lastUserText(msgs, "content", chatText))
	// With InvokeModel, gpt-oss puts its reasoning in <reasoning> tags ahead
	// of the answer (model-parameters-openai).
	if strings.HasPrefix(c.model.base, "openai.") {
		reply = "<reasoning>The user wants a reply; the emulator derives it from the request.</reasoning>" + reply
	}
	g := generate(reply, maxTokens, stops)
	in0 := inputTokens(textOf(msgs))
	resp := chatCompletion{
		ID:      "chatcmpl-" + idFrom(c.recordID+digest(textOf(c.input)), 16, "0123456789abcdef"),
		Object:  "chat.completion",
		Created: c.now.Unix(),
		Model:   c.model.base,
		Choices: []chatChoice{{
			Message:      chatMessage{Role: "assistant", Content: &g.text},
			FinishReason: map[string]string{"end": "stop", "stop_sequence": "stop", "max_tokens": "length"}[g.stop],
		}},
		Usage: chatUsage{PromptTokens: in0, CompletionTokens: g.outputTokens, TotalTokens: in0 + g.outputTokens},
	}
	if tool, ok := chatForcedTool(c.input); ok {
		args := tool.arguments()
		call := chatToolCall{ID: "call_" + idFrom(resp.ID, 24, base62), Type: "function", Function: chatToolFunction{Name: tool.name, Arguments: args}}
		ch := &resp.Choices[0]
		ch.Message.Content, ch.Message.ToolCalls, ch.FinishReason = nil, []chatToolCall{call}, "tool_calls"
		resp.Usage.CompletionTokens = tokens(args)
		resp.Usage.TotalTokens = in0 + resp.Usage.CompletionTokens
	}
	return resp, usage{in0, resp.Usage.CompletionTokens}, nil
}

func checkOpenAI(in obj, c *modelCall) (int64, []string, error) {
	if err := in.allow(openaiParams...); err != nil {
		return 0, nil, err
	}
	// "The value in the model field must match the value in the header"; it
	// may be omitted (model-parameters-openai).
	if m, ok, err := in.str("model", false); err != nil {
		return 0, nil, err
	} else if ok && m != c.model.base && m != c.modelID {
		return 0, nil, fmt.Errorf("%s: %s does not match the model of the job, %s", in.at("model"), m, c.modelID)
	}
	if v, ok := c.input["stream"]; ok && v != false {
		return 0, nil, fmt.Errorf("%s: stream must be false with InvokeModel", in.at("stream"))
	}
	msgs, _, err := in.array("messages", true, 1, 0)
	if err != nil {
		return 0, nil, err
	}
	for i := range msgs {
		m, err := item(msgs, i, in.at("messages"))
		if err == nil {
			err = checkChatMessage(m, []string{"system", "developer", "user", "assistant", "tool"})
		}
		if err != nil {
			return 0, nil, err
		}
	}
	var maxTokens int64
	for _, k := range []string{"max_tokens", "max_completion_tokens"} {
		n, ok, err := in.integer(k, false, 1, 128000)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			maxTokens = n
		}
	}
	if err := in.number("temperature", 0, 2); err != nil {
		return 0, nil, err
	}
	if err := in.number("top_p", 0, 1); err != nil {
		return 0, nil, err
	}
	if err := in.number("frequency_penalty", -2, 2); err != nil {
		return 0, nil, err
	}
	if err := in.number("presence_penalty", -2, 2); err != nil {
		return 0, nil, err
	}
	if _, _, err := in.integer("n", false, 1, 1); err != nil {
		return 0, nil, err
	}
	if _, _, err := in.enum("reasoning_effort", false, "low", "medium", "high"); err != nil {
		return 0, nil, err
	}
	var stops []string
	switch v := c.input["stop"].(type) {
	case nil:
	case string:
		stops = []string{v}
	default:
		if stops, err = in.strings("stop", 4); err != nil {
			return 0, nil, err
		}
	}
	if _, _, err := in.array("tools", false, 0, 0); err != nil {
		return 0, nil, err
	}
	return maxTokens, stops, nil
}
