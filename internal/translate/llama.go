package translate

import (
	"encoding/json"
	"errors"
	"strings"
)

// Meta Llama 3.x and 4 on InvokeModel: a prompt in the model's chat template.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html
//
// Llama 3.x: <|begin_of_text|><|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>...
// Llama 4:   <|begin_of_text|><|header_start|>role<|header_end|>\n\ncontent<|eot|>...
// Images (Llama 3.2 Vision, Llama 4) are "<|image|>" in the prompt, in
// order, with the base64 bytes in "images".

type llamaBody struct {
	Prompt      string   `json:"prompt"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	MaxGenLen   *int64   `json:"max_gen_len,omitempty"`
	Images      []string `json:"images,omitempty"`
}

func llamaRequest(r resolved, k caps, c *chatRequest) (any, *LineError) {
	hs, he, eot := "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"
	if llama4(r.base) {
		hs, he, eot = "<|header_start|>", "<|header_end|>", "<|eot|>"
	}
	if !hasRole(c, "user") {
		return nil, lerrf(CodeInvalidValue, "messages", "messages must contain a user message")
	}
	b := &llamaBody{Temperature: c.temperature, TopP: c.topP}
	if c.maxTokens > 0 {
		b.MaxGenLen = &c.maxTokens
	}
	if c.rawPrompt != "" { // a /v1/completions prompt, continued as written
		b.Prompt = c.rawPrompt
		return b, nil
	}
	var p strings.Builder
	p.WriteString("<|begin_of_text|>")
	last := len(c.messages) - 1
	for i := range c.messages {
		m := &c.messages[i]
		role := m.role
		if role == "developer" {
			role = "system"
		}
		p.WriteString(hs)
		p.WriteString(role)
		p.WriteString(he)
		p.WriteString("\n\n")
		var content strings.Builder
		for j, pt := range m.parts {
			switch pt.kind {
			case partText:
				if j > 0 && m.parts[j-1].kind == partText {
					content.WriteString("\n")
				}
				content.WriteString(pt.text)
			case partImage:
				content.WriteString("<|image|>")
				b.Images = append(b.Images, pt.data)
			}
		}
		p.WriteString(strings.TrimSpace(content.String()))
		if i == last && m.role == "assistant" {
			// Prefill: the model continues this message.
			b.Prompt = p.String()
			return b, nil
		}
		p.WriteString(eot)
	}
	p.WriteString(hs)
	p.WriteString("assistant")
	p.WriteString(he)
	p.WriteString("\n\n")
	b.Prompt = p.String()
	return b, nil
}

func hasRole(c *chatRequest, role string) bool {
	for i := range c.messages {
		if c.messages[i].role == role {
			return true
		}
	}
	return false
}

type llamaOutput struct {
	Generation           *string `json:"generation"`
	PromptTokenCount     int64   `json:"prompt_token_count"`
	GenerationTokenCount int64   `json:"generation_token_count"`
	StopReason           string  `json:"stop_reason"`
}

func llamaCompletion(out json.RawMessage) (*completion, error) {
	var o llamaOutput
	if err := json.Unmarshal(out, &o); err != nil {
		return nil, err
	}
	if o.Generation == nil {
		return nil, errors.New("the output has no generation")
	}
	c := &completion{}
	c.addText(*o.Generation)
	c.finish = "stop"
	if o.StopReason == "length" {
		c.finish = "length"
	}
	c.usage = Usage{InputTokens: o.PromptTokenCount, OutputTokens: o.GenerationTokenCount}
	return c, nil
}
