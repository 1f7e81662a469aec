package bedrocksim

import "strings"

// llamaFamily is Meta Llama 3.x and 4 through their native prompt body
// (model-parameters-meta).
var llamaFamily = &family{name: "meta", converse: true, invoke: invokeLlama}

type llamaResponse struct {
	Generation           string `json:"generation"`
	PromptTokenCount     int64  `json:"prompt_token_count"`
	GenerationTokenCount int64  `json:"generation_token_count"`
	StopReason           string `json:"stop_reason"`
}

func invokeLlama(c *modelCall) (any, usage, error) {
	in := obj{m: c.input, path: "#"}
	if err := in.allow("prompt", "temperature", "top_p", "max_gen_len", "images"); err != nil {
		return nil, usage{}, malformed(err)
	}
	prompt, _, err := in.nonEmpty("prompt", true)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	if err := in.number("temperature", 0, 1); err != nil {
		return nil, usage{}, malformed(err)
	}
	if err := in.number("top_p", 0, 1); err != nil {
		return nil, usage{}, malformed(err)
	}
	maxGen, ok, err := in.integer("max_gen_len", false, 1, 2048)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	if !ok {
		maxGen = 512 // documented default
	}
	if _, err := in.strings("images", 0); err != nil {
		return nil, usage{}, malformed(err)
	}
	g := generate(replyTo(llamaUserText(prompt)), maxGen, nil)
	resp := llamaResponse{
		Generation:           g.text,
		PromptTokenCount:     inputTokens(prompt),
		GenerationTokenCount: g.outputTokens,
		StopReason:           map[string]string{"end": "stop", "max_tokens": "length"}[g.stop],
	}
	return resp, usage{resp.PromptTokenCount, resp.GenerationTokenCount}, nil
}

// llamaUserText finds the last user turn in a Llama 3 chat template, or a
// Llama 2 / Mistral [INST] block; a plain prompt is its own text.
func llamaUserText(prompt string) string {
	const header = "<|start_header_id|>user<|end_header_id|>"
	if i := strings.LastIndex(prompt, header); i >= 0 {
		rest := prompt[i+len(header):]
		if j := strings.Index(rest, "<|eot_id|>"); j >= 0 {
			rest = rest[:j]
		}
		return strings.TrimSpace(rest)
	}
	return instText(prompt)
}

// instText returns the text of the last [INST] … [/INST] block of prompt, or
// prompt itself.
func instText(prompt string) string {
	i := strings.LastIndex(prompt, "[INST]")
	if i < 0 {
		return strings.TrimSpace(prompt)
	}
	rest := prompt[i+len("[INST]"):]
	if j := strings.Index(rest, "[/INST]"); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest)
}
