package translate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// /v1/responses lines. A Responses request becomes the chatRequest every
// family translator already takes; its parameters keep their Responses
// names in errors (see chatRequest.rename). The output is an OpenAI Response
// built from the family's completion (responseBody).

// responsesParams are the parameters of OpenAI's Responses create request.
var responsesParams = map[string]bool{
	"model": true, "input": true, "instructions": true, "max_output_tokens": true,
	"temperature": true, "top_p": true, "tools": true, "tool_choice": true,
	"parallel_tool_calls": true, "text": true, "reasoning": true,
	"metadata": true, "store": true, "user": true, "safety_identifier": true,
	"prompt_cache_key": true, "prompt_cache_retention": true, "prompt_cache_options": true,
	"service_tier": true, "stream": true, "stream_options": true, "background": true,
	"include": true, "previous_response_id": true, "conversation": true, "prompt": true,
	"truncation": true, "max_tool_calls": true, "top_logprobs": true,
	"context_management": true, "moderation": true,
}

func parseResponses(body object) (*chatRequest, *LineError) {
	if k := unknownKey(body, responsesParams); k != "" {
		return nil, lerrf(CodeUnknownParameter, k, "unknown parameter %q", k)
	}
	if lerr := rejectUnsupported(body); lerr != nil {
		return nil, lerr
	}
	if lerr := rejectResponsesOnly(body); lerr != nil {
		return nil, lerr
	}
	c := &chatRequest{}
	if raw, ok := body.present("instructions"); ok {
		s, ok := asString(raw)
		if !ok {
			return nil, lerrf(CodeUnsupportedValue, "instructions", "instructions must be a string")
		}
		if s != "" {
			c.addMessage("instructions", message{role: "system", parts: []part{{kind: partText, param: "instructions", text: s}}})
		}
	}
	raw, ok := body.present("input")
	if !ok {
		return nil, lerrf(CodeMissingParameter, "input", "input is required")
	}
	if s, ok := asString(raw); ok {
		c.addMessage("input", message{role: "user", parts: []part{{kind: partText, param: "input", text: s}}})
	} else if lerr := c.parseInputItems(raw); lerr != nil {
		return nil, lerr
	}
	if raw, ok := body.present("max_output_tokens"); ok {
		n, ok := asInt(raw)
		if !ok {
			return nil, lerrf(CodeInvalidType, "max_output_tokens", "max_output_tokens must be an integer")
		}
		if n < 1 {
			return nil, lerrf(CodeInvalidValue, "max_output_tokens", "max_output_tokens must be at least 1")
		}
		c.maxTokens, c.maxTokensParam = n, "max_output_tokens"
	}
	if lerr := c.parseSampling(body); lerr != nil { // temperature, top_p
		return nil, lerr
	}
	if lerr := c.parseResponsesTools(body); lerr != nil {
		return nil, lerr
	}
	if raw, ok := body.present("text"); ok {
		if lerr := c.parseText(raw); lerr != nil {
			return nil, lerr
		}
	}
	if raw, ok := body.present("reasoning"); ok {
		var in struct {
			Effort          *string `json:"effort"`
			Summary         *string `json:"summary"`
			GenerateSummary *string `json:"generate_summary"`
		}
		if lerr := decodeStruct(raw, "reasoning", &in); lerr != nil {
			return nil, lerr
		}
		if in.Effort != nil {
			if _, known := reasoningBudgets[*in.Effort]; !known {
				return nil, lerrf(CodeInvalidValue, "reasoning.effort", "reasoning.effort must be one of none, minimal, low, medium, high, xhigh; not %q", *in.Effort)
			}
			if *in.Effort != "none" {
				c.reasoningEffort = *in.Effort
			}
		}
		// summary: the reasoning text a family returns is given as it is,
		// whatever the level of summary asked.
		for _, s := range []struct {
			param string
			v     *string
		}{{"reasoning.summary", in.Summary}, {"reasoning.generate_summary", in.GenerateSummary}} {
			if s.v != nil && *s.v != "auto" && *s.v != "concise" && *s.v != "detailed" {
				return nil, lerrf(CodeInvalidValue, s.param, "%s must be auto, concise or detailed", s.param)
			}
		}
	}
	return c, nil
}

// rejectResponsesOnly refuses the Responses parameters no Bedrock batch can
// honour, unless they hold their default (no-op) value.
func rejectResponsesOnly(body object) *LineError {
	emptyArray := func(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "[]" }
	never := func(json.RawMessage) bool { return false }
	for _, ch := range []struct {
		key string
		ok  func(json.RawMessage) bool
		why string
	}{
		{"background", func(raw json.RawMessage) bool { b, ok := asBool(raw); return ok && !b }, "batch requests run in the batch job"},
		{"previous_response_id", never, "batchgate keeps no responses to continue from: send the conversation in input"},
		{"conversation", never, "batchgate keeps no conversations: send the conversation in input"},
		{"prompt", never, "prompt templates are stored at OpenAI: send the text in input"},
		{"include", emptyArray, "Bedrock returns none of the extra output data include asks for"},
		{"truncation", func(raw json.RawMessage) bool { s, _ := asString(raw); return s == "disabled" }, "Bedrock does not truncate the input"},
		{"max_tool_calls", never, "it limits built-in tools, which Bedrock batch inference does not run"},
		{"context_management", emptyArray, "Bedrock batch inference does not compact the context"},
		{"moderation", never, "moderation is an OpenAI feature"},
	} {
		if raw, present := body.present(ch.key); present && !ch.ok(raw) {
			return lerrf(CodeUnsupportedParameter, ch.key, "%s is not supported: %s", ch.key, ch.why)
		}
	}
	// Prompt caching settings never change the output.
	if raw, ok := body.present("prompt_cache_retention"); ok {
		if _, ok := asString(raw); !ok {
			return lerrf(CodeInvalidType, "prompt_cache_retention", "prompt_cache_retention must be a string")
		}
	}
	if raw, ok := body.present("prompt_cache_options"); ok {
		if _, ok := asObject(raw); !ok {
			return lerrf(CodeInvalidType, "prompt_cache_options", "prompt_cache_options must be an object")
		}
	}
	return nil
}

// addMessage appends a message whose errors name path.
func (c *chatRequest) addMessage(path string, m message) {
	m.index = len(c.messages)
	if len(m.parts) > 0 {
		m.content = chatContent(m.parts)
	}
	c.messages = append(c.messages, m)
	c.paths = append(c.paths, path)
}

// chatContent is the parts as chat content, for the families that take
// OpenAI's messages as written (oaicompat.go).
func chatContent(parts []part) json.RawMessage {
	if len(parts) == 1 && parts[0].kind == partText {
		b, _ := marshal(parts[0].text)
		return b
	}
	out := make([]map[string]any, 0, len(parts))
	for _, p := range parts {
		switch p.kind {
		case partText:
			out = append(out, map[string]any{"type": "text", "text": p.text})
		case partImage:
			out = append(out, map[string]any{"type": "image_url", "image_url": map[string]string{"url": "data:" + p.media + ";base64," + p.data}})
		case partPDF:
			out = append(out, map[string]any{"type": "file", "file": map[string]string{"file_data": "data:" + p.media + ";base64," + p.data, "filename": p.filename}})
		}
	}
	b, _ := marshal(out)
	return b
}

type inputItemIn struct {
	Type      string          `json:"type"`
	ID        *string         `json:"id"`
	Status    *string         `json:"status"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments *string         `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

type inputPartIn struct {
	Type        string          `json:"type"`
	Text        *string         `json:"text"`
	ImageURL    *string         `json:"image_url"`
	Detail      *string         `json:"detail"`
	FileID      *string         `json:"file_id"`
	FileData    *string         `json:"file_data"`
	FileURL     *string         `json:"file_url"`
	Filename    *string         `json:"filename"`
	Annotations json.RawMessage `json:"annotations"`
	Logprobs    json.RawMessage `json:"logprobs"`
}

func (c *chatRequest) parseInputItems(raw json.RawMessage) *LineError {
	// The type first: other items have fields of their own.
	var types []struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &types); err == nil {
		for i, t := range types {
			switch t.Type {
			case "", "message", "function_call", "function_call_output":
			case "reasoning":
				return lerrf(CodeUnsupportedValue, fmt.Sprintf("input[%d].type", i), "reasoning items cannot be replayed to Bedrock models; leave them out of input")
			default:
				return lerrf(CodeUnsupportedValue, fmt.Sprintf("input[%d].type", i), "input items of type %q are not supported: batchgate takes message, function_call and function_call_output items", t.Type)
			}
		}
	}
	c.callPaths = map[string]string{}
	items, lerr := decodeArray[inputItemIn](raw, "input")
	if lerr != nil {
		if lerr.Code == CodeInvalidType && lerr.Param == "input" {
			lerr.Message = "input must be a string or an array of input items"
		}
		return lerr
	}
	if len(items) == 0 {
		return lerrf(CodeInvalidValue, "input", "input must not be empty")
	}
	for i := range items {
		it := &items[i]
		p := fmt.Sprintf("input[%d]", i)
		switch it.Type {
		case "", "message":
			if lerr := c.inputMessage(it, p); lerr != nil {
				return lerr
			}
		case "function_call":
			if it.CallID == "" {
				return lerrf(CodeMissingParameter, p+".call_id", "%s.call_id is required", p)
			}
			if it.Name == "" {
				return lerrf(CodeMissingParameter, p+".name", "%s.name is required", p)
			}
			args := json.RawMessage(`{}`)
			if it.Arguments != nil && strings.TrimSpace(*it.Arguments) != "" {
				args = json.RawMessage(*it.Arguments)
				if _, ok := asObject(args); !ok {
					return lerrf(CodeInvalidValue, p+".arguments", "%s.arguments must be a JSON object encoded as a string", p)
				}
			}
			call := toolCall{ID: it.CallID, Name: it.Name, Arguments: args}
			// Calls after an assistant message (or each other) are one turn.
			if n := len(c.messages); n > 0 && c.messages[n-1].role == "assistant" {
				m := &c.messages[n-1]
				c.callPaths[fmt.Sprintf("messages[%d].tool_calls[%d]", n-1, len(m.toolCalls))] = p
				m.toolCalls = append(m.toolCalls, call)
				continue
			}
			c.callPaths[fmt.Sprintf("messages[%d].tool_calls[0]", len(c.messages))] = p
			c.addMessage(p, message{role: "assistant", toolCalls: []toolCall{call}})
		case "function_call_output":
			if it.CallID == "" {
				return lerrf(CodeMissingParameter, p+".call_id", "%s.call_id is required", p)
			}
			if len(it.Output) == 0 || isNull(it.Output) {
				return lerrf(CodeMissingParameter, p+".output", "%s.output is required", p)
			}
			parts, lerr := parseInputContent(it.Output, p+".output", "tool")
			if lerr != nil {
				return lerr
			}
			c.addMessage(p, message{role: "tool", parts: parts, toolCallID: it.CallID})
		}
	}
	return nil
}

func (c *chatRequest) inputMessage(it *inputItemIn, p string) *LineError {
	notSet := func(field string, set bool) *LineError {
		if set {
			return lerrf(CodeInvalidValue, p+"."+field, "message items cannot have %s", field)
		}
		return nil
	}
	if lerr := firstErr(notSet("call_id", it.CallID != ""), notSet("name", it.Name != ""), notSet("arguments", it.Arguments != nil), notSet("output", it.Output != nil)); lerr != nil {
		return lerr
	}
	switch it.Role {
	case "user", "assistant", "system", "developer":
	case "":
		return lerrf(CodeMissingParameter, p+".role", "%s.role is required", p)
	default:
		return lerrf(CodeInvalidValue, p+".role", "%s.role must be user, assistant, system or developer, not %q", p, it.Role)
	}
	if len(it.Content) == 0 || isNull(it.Content) {
		return lerrf(CodeMissingParameter, p+".content", "%s.content is required", p)
	}
	parts, lerr := parseInputContent(it.Content, p+".content", it.Role)
	if lerr != nil {
		return lerr
	}
	c.addMessage(p, message{role: it.Role, parts: parts})
	return nil
}

// parseInputContent parses a message's (or a function call output's)
// content: a string or an array of input_text, input_image, input_file and,
// for assistant messages, output_text parts.
func parseInputContent(raw json.RawMessage, param, role string) ([]part, *LineError) {
	if s, ok := asString(raw); ok {
		return []part{{kind: partText, param: param, text: s}}, nil
	}
	in, lerr := decodeArray[inputPartIn](raw, param)
	if lerr != nil {
		if lerr.Code == CodeInvalidType && lerr.Param == param {
			lerr.Message = param + " must be a string or an array of content parts"
		}
		return nil, lerr
	}
	if len(in) == 0 {
		return nil, lerrf(CodeInvalidValue, param, "%s must not be an empty array", param)
	}
	parts := make([]part, 0, len(in))
	for j := range in {
		cp := &in[j]
		q := fmt.Sprintf("%s[%d]", param, j)
		extra := func(set bool, field string) *LineError {
			if set {
				return lerrf(CodeInvalidValue, q+"."+field, "a %s part cannot have %s", cp.Type, field)
			}
			return nil
		}
		textOnly := firstErr(extra(cp.ImageURL != nil, "image_url"), extra(cp.Detail != nil, "detail"), extra(cp.FileID != nil, "file_id"),
			extra(cp.FileData != nil, "file_data"), extra(cp.FileURL != nil, "file_url"), extra(cp.Filename != nil, "filename"))
		switch cp.Type {
		case "input_text", "output_text":
			if cp.Type == "output_text" && role != "assistant" {
				return nil, lerrf(CodeInvalidValue, q+".type", "output_text parts belong to assistant messages; use input_text")
			}
			if cp.Type == "input_text" && role == "assistant" {
				return nil, lerrf(CodeInvalidValue, q+".type", "assistant messages take output_text parts")
			}
			if cp.Text == nil {
				return nil, lerrf(CodeMissingParameter, q+".text", "%s.text is required", q)
			}
			if lerr := firstErr(textOnly, extra(cp.Type == "input_text" && cp.Annotations != nil, "annotations"), extra(cp.Type == "input_text" && cp.Logprobs != nil, "logprobs")); lerr != nil {
				return nil, lerr
			}
			parts = append(parts, part{kind: partText, param: q, text: *cp.Text})
		case "input_image":
			if role != "user" {
				return nil, lerrf(CodeInvalidValue, q, "images are only allowed in user messages")
			}
			if lerr := firstErr(extra(cp.Text != nil, "text"), extra(cp.FileData != nil, "file_data"), extra(cp.FileURL != nil, "file_url"), extra(cp.Filename != nil, "filename")); lerr != nil {
				return nil, lerr
			}
			if cp.FileID != nil {
				return nil, lerrf(CodeUnsupportedValue, q+".file_id", "file_id cannot be resolved in a batch; embed the image as a base64 data URL in image_url")
			}
			if cp.ImageURL == nil {
				return nil, lerrf(CodeMissingParameter, q+".image_url", "%s.image_url is required", q)
			}
			if cp.Detail != nil {
				switch *cp.Detail {
				case "auto", "low", "high", "original":
				default:
					return nil, lerrf(CodeInvalidValue, q+".detail", "detail must be auto, low, high or original")
				}
			}
			pt, lerr := parseImage(*cp.ImageURL, q+".image_url")
			if lerr != nil {
				return nil, lerr
			}
			pt.param = q
			parts = append(parts, pt)
		case "input_file":
			if role != "user" {
				return nil, lerrf(CodeInvalidValue, q, "files are only allowed in user messages")
			}
			if lerr := firstErr(extra(cp.Text != nil, "text"), extra(cp.ImageURL != nil, "image_url"), extra(cp.Detail != nil, "detail")); lerr != nil {
				return nil, lerr
			}
			if cp.FileID != nil || cp.FileURL != nil {
				field := "file_id"
				if cp.FileURL != nil {
					field = "file_url"
				}
				return nil, lerrf(CodeUnsupportedValue, q+"."+field, "%s cannot be resolved in a batch; embed the file as file_data (data:application/pdf;base64,...)", field)
			}
			data := ""
			if cp.FileData != nil {
				data = *cp.FileData
			}
			pt, lerr := parsePDF(data, q+".file_data")
			if lerr != nil {
				return nil, lerr
			}
			pt.param = q
			if cp.Filename != nil {
				pt.filename = *cp.Filename
			}
			parts = append(parts, pt)
		case "refusal":
			return nil, lerrf(CodeUnsupportedValue, q, "refusal parts cannot be replayed to Bedrock models; use an output_text part")
		case "":
			return nil, lerrf(CodeMissingParameter, q+".type", "%s.type is required", q)
		default:
			return nil, lerrf(CodeUnsupportedValue, q+".type", "content parts of type %q are not supported", cp.Type)
		}
	}
	if role != "user" {
		for _, pt := range parts {
			if pt.kind != partText {
				return nil, lerrf(CodeInvalidValue, pt.param, "only user messages take images and files")
			}
		}
	}
	return parts, nil
}

type responsesToolIn struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description *string         `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
}

// parseResponsesTools reads Responses' flat function tools
// ({type, name, description, parameters, strict}), tool_choice and
// parallel_tool_calls.
func (c *chatRequest) parseResponsesTools(body object) *LineError {
	if raw, ok := body.present("tools"); ok {
		// The type first: hosted tools have fields of their own.
		var types []struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &types); err != nil {
			return lerrf(CodeInvalidType, "tools", "tools must be an array of tools")
		}
		for i, t := range types {
			if t.Type != "function" {
				return lerrf(CodeUnsupportedValue, fmt.Sprintf("tools[%d].type", i), "only function tools are supported, not %q: Bedrock batch inference runs no built-in tools", t.Type)
			}
		}
		in, lerr := decodeArray[responsesToolIn](raw, "tools")
		if lerr != nil {
			return lerr
		}
		seen := map[string]bool{}
		for i, t := range in {
			if lerr := c.addTool(seen, fmt.Sprintf("tools[%d]", i), "text.format", t.Name, t.Description, t.Parameters, t.Strict); lerr != nil {
				return lerr
			}
		}
	}
	if raw, ok := body.present("tool_choice"); ok {
		tc := &toolChoice{}
		if s, ok := asString(raw); ok {
			switch s {
			case "auto", "none", "required":
				tc.mode = s
			default:
				return lerrf(CodeInvalidValue, "tool_choice", "tool_choice must be auto, none, required or a function, not %q", s)
			}
		} else {
			var in struct {
				Type string `json:"type"`
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &in); err != nil {
				return lerrf(CodeInvalidType, "tool_choice", "tool_choice must be a string or an object")
			}
			if in.Type != "function" {
				return lerrf(CodeUnsupportedValue, "tool_choice.type", "tool_choice type %q is not supported; use function", in.Type)
			}
			if lerr := decodeStruct(raw, "tool_choice", &in); lerr != nil {
				return lerr
			}
			if in.Name == "" {
				return lerrf(CodeMissingParameter, "tool_choice.name", "tool_choice.name is required")
			}
			tc.mode, tc.name = "function", in.Name
			found := false
			for _, t := range c.tools {
				found = found || t.Name == tc.name
			}
			if !found {
				return lerrf(CodeInvalidValue, "tool_choice.name", "tool_choice names %q, which is not in tools", tc.name)
			}
		}
		if tc.mode == "required" && len(c.tools) == 0 {
			return lerrf(CodeInvalidValue, "tool_choice", "tool_choice required needs tools")
		}
		c.toolChoiceNone = tc.mode == "none"
		if len(c.tools) > 0 {
			c.toolChoice = tc
		}
	}
	if raw, ok := body.present("parallel_tool_calls"); ok {
		b, ok := asBool(raw)
		if !ok {
			return lerrf(CodeInvalidType, "parallel_tool_calls", "parallel_tool_calls must be a boolean")
		}
		if !b && len(c.tools) > 0 {
			c.parallelToolCalls = &b
		}
	}
	return nil
}

// parseText reads text: {format, verbosity}. format is response_format's
// counterpart, flattened: {type: json_schema, name, schema, description, strict}.
func (c *chatRequest) parseText(raw json.RawMessage) *LineError {
	var in struct {
		Format *struct {
			Type        string          `json:"type"`
			Name        *string         `json:"name"`
			Description *string         `json:"description"`
			Schema      json.RawMessage `json:"schema"`
			Strict      *bool           `json:"strict"`
		} `json:"format"`
		Verbosity *string `json:"verbosity"`
	}
	if lerr := decodeStruct(raw, "text", &in); lerr != nil {
		return lerr
	}
	if in.Verbosity != nil && *in.Verbosity != "medium" {
		return lerrf(CodeUnsupportedParameter, "text.verbosity", "text.verbosity is not supported: Bedrock models have no verbosity setting")
	}
	f := in.Format
	if f == nil {
		return nil
	}
	onlySchema := func() *LineError {
		if f.Name != nil || f.Schema != nil || f.Description != nil || f.Strict != nil {
			return lerrf(CodeInvalidValue, "text.format", "name, schema, description and strict are only allowed with type json_schema")
		}
		return nil
	}
	switch f.Type {
	case "text":
		return onlySchema()
	case "json_object":
		if lerr := onlySchema(); lerr != nil {
			return lerr
		}
		c.responseFormat = &responseFormat{typ: f.Type, schema: json.RawMessage(`{"type":"object"}`), raw: json.RawMessage(`{"type":"json_object"}`)}
		return nil
	case "json_schema":
		if f.Name == nil || !validName(*f.Name) {
			return lerrf(CodeInvalidValue, "text.format.name", "text.format.name must be 1 to 64 letters, digits, underscores or dashes")
		}
		if len(f.Schema) == 0 || isNull(f.Schema) {
			return lerrf(CodeMissingParameter, "text.format.schema", "text.format.schema is required")
		}
		schema, lerr := objectSchema(f.Schema, "text.format.schema")
		if lerr != nil {
			return lerr
		}
		rf := &responseFormat{typ: f.Type, name: *f.Name, schema: schema}
		js := map[string]any{"name": *f.Name, "schema": schema}
		if f.Description != nil {
			rf.description = *f.Description
			js["description"] = *f.Description
		}
		if f.Strict != nil {
			js["strict"] = *f.Strict
		}
		rf.raw, _ = marshal(map[string]any{"type": "json_schema", "json_schema": js})
		c.responseFormat = rf
		return nil
	case "":
		return lerrf(CodeMissingParameter, "text.format.type", "text.format.type is required")
	}
	return lerrf(CodeInvalidValue, "text.format.type", "text.format.type must be text, json_object or json_schema, not %q", f.Type)
}

var (
	messagesRef = regexp.MustCompile(`messages\[(\d+)\]`)
	callRef     = regexp.MustCompile(`messages\[\d+\]\.tool_calls\[\d+\](\.id)?`)
)

// rename gives an error found in the chat representation of a Responses or
// Completions request the names of that request's own parameters.
func (c *chatRequest) rename(lerr *LineError, endpoint string) {
	if lerr == nil || endpoint == EndpointChatCompletions || endpoint == EndpointEmbeddings {
		return
	}
	whole := "input"
	if endpoint == EndpointCompletions {
		whole = "prompt"
	}
	ref := func(s string) string {
		s = callRef.ReplaceAllStringFunc(s, func(m string) string {
			call, id := strings.CutSuffix(m, ".id")
			if p, ok := c.callPaths[call]; ok {
				if id {
					return p + ".call_id"
				}
				return p
			}
			return m
		})
		return messagesRef.ReplaceAllStringFunc(s, func(m string) string {
			n, _ := strconv.Atoi(m[len("messages[") : len(m)-1])
			if n < len(c.paths) {
				return c.paths[n]
			}
			return whole
		})
	}
	names := strings.NewReplacer("reasoning_effort", "reasoning.effort", "response_format", "text.format", "tool_call_id", "call_id")
	if endpoint == EndpointCompletions {
		names = strings.NewReplacer()
	}
	lerr.Param = names.Replace(ref(lerr.Param))
	if lerr.Param == "messages" {
		lerr.Param = whole
	}
	lerr.Message = names.Replace(ref(lerr.Message))
	if rest, ok := strings.CutPrefix(lerr.Message, "messages must"); ok {
		lerr.Message = whole + " must" + rest
	}
}

// Output: an OpenAI Response.

type responseBody struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	CreatedAt         int64              `json:"created_at"`
	Status            string             `json:"status"`
	Error             *struct{}          `json:"error"`
	IncompleteDetails *incompleteDetails `json:"incomplete_details"`
	Model             string             `json:"model"`
	Output            []any              `json:"output"`
	Usage             responseUsage      `json:"usage"`
}

type incompleteDetails struct {
	Reason string `json:"reason"`
}

type responseUsage struct {
	InputTokens         int64              `json:"input_tokens"`
	InputTokensDetails  inputTokensDetail  `json:"input_tokens_details"`
	OutputTokens        int64              `json:"output_tokens"`
	OutputTokensDetails outputTokensDetail `json:"output_tokens_details"`
	TotalTokens         int64              `json:"total_tokens"`
}

type inputTokensDetail struct {
	CachedTokens int64 `json:"cached_tokens"`
}

type outputTokensDetail struct {
	ReasoningTokens int64 `json:"reasoning_tokens"`
}

type outputMessageItem struct {
	Type    string           `json:"type"`
	ID      string           `json:"id"`
	Status  string           `json:"status"`
	Role    string           `json:"role"`
	Content []outputTextPart `json:"content"`
}

type outputTextPart struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations"`
}

type functionCallItem struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	Status    string `json:"status"`
}

type reasoningItem struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Summary []any           `json:"summary"`
	Content []reasoningText `json:"content"`
}

type reasoningText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// response builds the Response of a completion. The request's echo fields
// (instructions, tools, temperature, ...) are not reported: the output
// record has only the Bedrock request.
func (c *completion) response(model string, created int64, hash string) responseBody {
	r := responseBody{
		ID: "resp_" + hash, Object: "response", CreatedAt: created, Status: "completed", Model: model,
		Output: []any{},
		Usage: responseUsage{
			InputTokens: c.usage.InputTokens, OutputTokens: c.usage.OutputTokens,
			TotalTokens:        c.usage.InputTokens + c.usage.OutputTokens,
			InputTokensDetails: inputTokensDetail{CachedTokens: c.cachedTokens},
		},
	}
	switch c.finish {
	case "length":
		r.Status, r.IncompleteDetails = "incomplete", &incompleteDetails{Reason: "max_output_tokens"}
	case "content_filter":
		r.Status, r.IncompleteDetails = "incomplete", &incompleteDetails{Reason: "content_filter"}
	}
	if c.reasoning != "" {
		r.Output = append(r.Output, reasoningItem{Type: "reasoning", ID: "rs_" + hash, Summary: []any{}, Content: []reasoningText{{Type: "reasoning_text", Text: c.reasoning}}})
	}
	if c.hasText || len(c.toolCalls) == 0 {
		r.Output = append(r.Output, outputMessageItem{Type: "message", ID: "msg_" + hash, Status: r.Status, Role: "assistant",
			Content: []outputTextPart{{Type: "output_text", Text: c.text.String(), Annotations: []any{}}}})
	}
	for i, tc := range c.toolCalls {
		r.Output = append(r.Output, functionCallItem{Type: "function_call", ID: fmt.Sprintf("fc_%s_%d", hash, i), CallID: tc.ID,
			Name: tc.Function.Name, Arguments: tc.Function.Arguments, Status: "completed"})
	}
	return r
}
