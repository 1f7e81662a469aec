package bedrocksim

import "strings"

// novaFamily is Amazon Nova understanding models (Micro, Lite, Pro, Premier)
// through their native messages-v1 body (nova/userguide/complete-request-schema).
var novaFamily = &family{name: "nova", converse: true, invoke: invokeNova}

type novaResponse struct {
	Output     converseOutput `json:"output"`
	StopReason string         `json:"stopReason"`
	Usage      novaUsage      `json:"usage"`
}

type novaUsage struct {
	InputTokens               int64 `json:"inputTokens"`
	OutputTokens              int64 `json:"outputTokens"`
	TotalTokens               int64 `json:"totalTokens"`
	CacheReadInputTokenCount  int64 `json:"cacheReadInputTokenCount"`
	CacheWriteInputTokenCount int64 `json:"cacheWriteInputTokenCount"`
}

// novaMaxTokens is the output limit: 5k for the first Nova models (spec §2.7).
func novaMaxTokens(base string) int64 {
	switch {
	case strings.HasPrefix(base, "nova-premier"):
		return 32000
	case strings.HasPrefix(base, "nova-micro"), strings.HasPrefix(base, "nova-lite-v1"), strings.HasPrefix(base, "nova-pro"):
		return 5000
	}
	return 65536
}

func invokeNova(c *modelCall) (any, usage, error) {
	in := obj{m: c.input, path: "#"}
	limit := novaMaxTokens(strings.TrimPrefix(c.model.base, "amazon."))
	maxTokens, stops, err := checkNova(in, limit)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	msgs := c.input["messages"].([]any)
	g := generate(replyTo(lastUserText(msgs, "content", blocksText)), maxTokens, stops)
	in0 := inputTokens(textOf(map[string]any{"s": c.input["system"], "m": msgs}))
	resp := novaResponse{
		Output:     converseOutput{Message: converseMessage{Role: "assistant", Content: []converseBlock{{Text: &g.text}}}},
		StopReason: map[string]string{"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence"}[g.stop],
		Usage:      novaUsage{InputTokens: in0, OutputTokens: g.outputTokens, TotalTokens: in0 + g.outputTokens},
	}
	if tool, ok := converseForcedTool(c.input); ok {
		out := tokens(tool.arguments())
		resp.Output.Message.Content = []converseBlock{tool.converseUse(c, "tooluse_")}
		resp.StopReason = "tool_use"
		resp.Usage.OutputTokens, resp.Usage.TotalTokens = out, in0+out
	}
	return resp, usage{in0, resp.Usage.OutputTokens}, nil
}

// checkNova checks the body and returns the output limit and stop sequences;
// an absent maxTokens defaults to the model's limit.
func checkNova(in obj, limit int64) (int64, []string, error) {
	if err := in.allow("schemaVersion", "system", "messages", "inferenceConfig", "toolConfig"); err != nil {
		return 0, nil, err
	}
	if _, _, err := in.enum("schemaVersion", false, "messages-v1"); err != nil {
		return 0, nil, err
	}
	if err := checkConverseSystem(in); err != nil {
		return 0, nil, err
	}
	if err := checkConverseMessages(in, []string{"text", "image", "video", "document", "toolUse", "toolResult",
		"reasoningContent", "cachePoint"}); err != nil {
		return 0, nil, err
	}
	maxTokens := limit
	var stops []string
	if ic, ok, err := in.object("inferenceConfig", false); err != nil {
		return 0, nil, err
	} else if ok {
		// max_new_tokens is the older name of maxTokens (spec §2.7).
		if err := ic.allow("maxTokens", "max_new_tokens", "temperature", "topP", "topK", "stopSequences"); err != nil {
			return 0, nil, err
		}
		for _, k := range []string{"maxTokens", "max_new_tokens"} {
			n, ok, err := ic.integer(k, false, 1, limit)
			if err != nil {
				return 0, nil, err
			}
			if ok {
				maxTokens = n
			}
		}
		if err := ic.number("temperature", 0, 1); err != nil {
			return 0, nil, err
		}
		if err := ic.number("topP", 0, 1); err != nil {
			return 0, nil, err
		}
		if _, _, err := ic.integer("topK", false, 0, 128); err != nil {
			return 0, nil, err
		}
		if stops, err = ic.strings("stopSequences", 4); err != nil {
			return 0, nil, err
		}
	}
	if err := checkToolConfig(in); err != nil {
		return 0, nil, err
	}
	return maxTokens, stops, nil
}
