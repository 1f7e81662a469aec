package translate

import (
	"encoding/json"
	"strings"
)

// /v1/completions lines (legacy text completion). Meta Llama and Mistral's
// text-completion models take the prompt as it is; every other family
// takes it as a single user turn. The output is a text_completion.

var completionsParams = map[string]bool{
	"model": true, "prompt": true, "max_tokens": true, "temperature": true, "top_p": true,
	"stop": true, "n": true, "stream": true, "stream_options": true, "logprobs": true,
	"echo": true, "best_of": true, "frequency_penalty": true, "presence_penalty": true,
	"logit_bias": true, "seed": true, "suffix": true, "user": true,
}

func parseCompletions(body object) (*chatRequest, *LineError) {
	if k := unknownKey(body, completionsParams); k != "" {
		return nil, lerrf(CodeUnknownParameter, k, "unknown parameter %q", k)
	}
	// logprobs is an integer here, not chat's boolean.
	rest := object{}
	for k, v := range body {
		if k != "logprobs" {
			rest[k] = v
		}
	}
	if lerr := rejectUnsupported(rest); lerr != nil {
		return nil, lerr
	}
	if raw, ok := body.present("logprobs"); ok {
		if n, ok := asInt(raw); !ok || n != 0 {
			return nil, lerrf(CodeUnsupportedParameter, "logprobs", "logprobs is not supported: Bedrock models do not return log probabilities")
		}
	}
	if raw, ok := body.present("echo"); ok {
		if b, ok := asBool(raw); !ok || b {
			return nil, lerrf(CodeUnsupportedParameter, "echo", "echo is not supported: put the prompt ahead of the text yourself")
		}
	}
	if raw, ok := body.present("best_of"); ok {
		if n, ok := asInt(raw); !ok || n != 1 {
			return nil, lerrf(CodeUnsupportedParameter, "best_of", "best_of is not supported: Bedrock batch models return one completion per request")
		}
	}
	if raw, ok := body.present("suffix"); ok {
		if s, ok := asString(raw); !ok || s != "" {
			return nil, lerrf(CodeUnsupportedParameter, "suffix", "suffix is not supported: Bedrock models do not insert text")
		}
	}
	raw, ok := body.present("prompt")
	if !ok {
		return nil, lerrf(CodeMissingParameter, "prompt", "prompt is required")
	}
	prompt, ok := asString(raw)
	if !ok {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, lerrf(CodeInvalidType, "prompt", "prompt must be a string or an array of one string")
		}
		if len(list) != 1 {
			return nil, lerrf(CodeUnsupportedValue, "prompt", "a line takes one prompt: write one line per prompt")
		}
		if prompt, ok = asString(list[0]); !ok {
			return nil, lerrf(CodeUnsupportedValue, "prompt[0]", "token arrays are not supported: Bedrock models take text")
		}
	}
	if strings.TrimSpace(prompt) == "" {
		return nil, lerrf(CodeInvalidValue, "prompt", "prompt must not be empty")
	}
	c := &chatRequest{rawPrompt: prompt}
	c.addMessage("prompt", message{role: "user", parts: []part{{kind: partText, param: "prompt", text: prompt}}})
	if lerr := c.parseSampling(body); lerr != nil { // max_tokens, temperature, top_p, stop
		return nil, lerr
	}
	return c, nil
}

// textCompletion is OpenAI's legacy completion object.
type textCompletion struct {
	ID      string         `json:"id"`
	Object  string         `json:"object"`
	Created int64          `json:"created"`
	Model   string         `json:"model"`
	Choices []textChoice   `json:"choices"`
	Usage   textCompletUse `json:"usage"`
}

type textChoice struct {
	Text         string    `json:"text"`
	Index        int       `json:"index"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason string    `json:"finish_reason"`
}

type textCompletUse struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

func (c *completion) textCompletion(model string, created int64, hash string) textCompletion {
	finish := c.finish
	if finish != "length" && finish != "content_filter" {
		finish = "stop"
	}
	return textCompletion{
		ID: "cmpl-" + hash, Object: "text_completion", Created: created, Model: model,
		Choices: []textChoice{{Text: c.text.String(), FinishReason: finish}},
		Usage:   textCompletUse{PromptTokens: c.usage.InputTokens, CompletionTokens: c.usage.OutputTokens, TotalTokens: c.usage.InputTokens + c.usage.OutputTokens},
	}
}
