package translate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// chatRequest is an OpenAI chat completion body, checked against OpenAI's
// own rules and normalised; family rules are applied by caps.check.
type chatRequest struct {
	messages []message

	maxTokens      int64  // 0: absent
	maxTokensParam string // the parameter that set maxTokens
	temperature    *float64
	topP           *float64
	topK           *int64
	stop           []string

	tools             []tool
	toolChoice        *toolChoice
	toolChoiceNone    bool  // tool_choice is "none", with or without tools
	toolsAsText       bool  // tool calls and results are sent as text (see dropTools)
	parallelToolCalls *bool // non-nil only when false

	responseFormat  *responseFormat
	reasoningEffort string // "" or "none": absent
	thinking        *thinking

	// For /v1/responses and /v1/completions lines: the request's own name of
	// each message (paths[i] for messages[i], see rename), and the prompt
	// of a completion, which prompt-template families take as it is.
	paths     []string
	callPaths map[string]string // "messages[i].tool_calls[j]": the function_call item's path
	rawPrompt string
}

type message struct {
	index      int
	role       string // system, developer, user, assistant, tool
	parts      []part
	content    json.RawMessage // content as written; nil when absent or null
	name       string
	toolCalls  []toolCall
	toolCallID string
}

func (m *message) param() string { return fmt.Sprintf("messages[%d]", m.index) }

type partKind int

const (
	partText partKind = iota
	partImage
	partPDF
)

type part struct {
	kind     partKind
	param    string // e.g. messages[1].content[2]
	text     string
	media    string // image/png, image/jpeg, image/gif, image/webp, application/pdf
	data     string // standard base64
	size     int    // decoded bytes
	width    int    // image pixels; 0 if unknown
	height   int
	filename string
}

type toolCall struct {
	ID        string
	Name      string
	Arguments json.RawMessage // a JSON object
}

type tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // a JSON Schema object
	Strict      bool
}

type toolChoice struct {
	mode string // auto, none, required, function
	name string // for function
}

type responseFormat struct {
	typ         string // json_object or json_schema
	name        string
	description string
	schema      json.RawMessage
	raw         json.RawMessage // as written, for families that take it as is
}

type thinking struct {
	Type         string `json:"type"`
	BudgetTokens int64  `json:"budget_tokens,omitempty"`
}

// chatParams are the parameters of OpenAI's chat completion request, plus
// two widespread extensions (top_k; thinking, Anthropic's own). Anything else
// is an unknown parameter.
var chatParams = map[string]bool{
	"messages": true, "model": true, "audio": true, "frequency_penalty": true,
	"function_call": true, "functions": true, "logit_bias": true, "logprobs": true,
	"max_completion_tokens": true, "max_tokens": true, "metadata": true,
	"modalities": true, "n": true, "parallel_tool_calls": true, "prediction": true,
	"presence_penalty": true, "prompt_cache_key": true, "reasoning_effort": true,
	"response_format": true, "safety_identifier": true, "seed": true,
	"service_tier": true, "stop": true, "store": true, "stream": true,
	"stream_options": true, "temperature": true, "tool_choice": true, "tools": true,
	"top_logprobs": true, "top_p": true, "user": true, "verbosity": true,
	"web_search_options": true, "top_k": true, "thinking": true,
}

// parseChat checks a chat completion body against OpenAI's rules and the
// rules common to every Bedrock family.
// pre, when not nil, holds messages and tools already decoded.
func parseChat(body object, pre *bodyIn) (*chatRequest, *LineError) {
	if k := unknownKey(body, chatParams); k != "" {
		return nil, lerrf(CodeUnknownParameter, k, "unknown parameter %q", k)
	}
	c := &chatRequest{}
	if lerr := rejectUnsupported(body); lerr != nil {
		return nil, lerr
	}
	var msgs []chatMessageIn
	var lerr *LineError
	switch raw, ok := body.present("messages"); {
	case pre != nil && pre.Messages != nil:
		msgs = *pre.Messages
	case pre == nil && ok:
		if msgs, lerr = decodeArray[chatMessageIn](raw, "messages"); lerr != nil {
			return nil, lerr
		}
	default:
		return nil, lerrf(CodeMissingParameter, "messages", "messages is required")
	}
	if c.messages, lerr = parseMessages(msgs); lerr != nil {
		return nil, lerr
	}
	if lerr = c.parseSampling(body); lerr != nil {
		return nil, lerr
	}
	if lerr = c.parseTools(body, pre); lerr != nil {
		return nil, lerr
	}
	if raw, ok := body.present("response_format"); ok {
		if c.responseFormat, lerr = parseResponseFormat(raw); lerr != nil {
			return nil, lerr
		}
	}
	if raw, ok := body.present("reasoning_effort"); ok {
		s, ok := asString(raw)
		if !ok {
			return nil, lerrf(CodeInvalidType, "reasoning_effort", "reasoning_effort must be a string")
		}
		if _, known := reasoningBudgets[s]; !known {
			return nil, lerrf(CodeInvalidValue, "reasoning_effort", "reasoning_effort must be one of none, minimal, low, medium, high, xhigh; not %q", s)
		}
		if s != "none" {
			c.reasoningEffort = s
		}
	}
	if raw, ok := body.present("thinking"); ok {
		var t thinking
		if lerr := decodeStruct(raw, "thinking", &t); lerr != nil {
			return nil, lerr
		}
		switch t.Type {
		case "enabled":
			if t.BudgetTokens < 1024 {
				return nil, lerrf(CodeInvalidValue, "thinking.budget_tokens", "thinking.budget_tokens must be at least 1024")
			}
			c.thinking = &t
		case "disabled":
			if t.BudgetTokens != 0 {
				return nil, lerrf(CodeInvalidValue, "thinking.budget_tokens", "thinking.budget_tokens is only allowed with type enabled")
			}
		default:
			return nil, lerrf(CodeInvalidValue, "thinking.type", "thinking.type must be enabled or disabled, not %q", t.Type)
		}
		if c.thinking != nil && c.reasoningEffort != "" {
			return nil, lerrf(CodeInvalidValue, "thinking", "give either reasoning_effort or thinking, not both")
		}
	}
	return c, nil
}

// rejectUnsupported rejects the OpenAI parameters no Bedrock family can
// honour, unless they hold OpenAI's default value (which is a no-op), and
// type-checks the ones ignored because they never change the output.
func rejectUnsupported(body object) *LineError {
	noop := func(key string, ok func(json.RawMessage) bool, why string) *LineError {
		raw, present := body.present(key)
		if !present || ok(raw) {
			return nil
		}
		return lerrf(CodeUnsupportedParameter, key, "%s is not supported: %s", key, why)
	}
	isNum := func(v float64) func(json.RawMessage) bool {
		return func(raw json.RawMessage) bool { f, ok := asFloat(raw); return ok && f == v }
	}
	isBool := func(v bool) func(json.RawMessage) bool {
		return func(raw json.RawMessage) bool { b, ok := asBool(raw); return ok && b == v }
	}
	never := func(json.RawMessage) bool { return false }
	checks := []struct {
		key string
		ok  func(json.RawMessage) bool
		why string
	}{
		{"n", isNum(1), "Bedrock batch models return one choice per request; write one line per sample instead"},
		{"stream", isBool(false), "batch requests cannot stream"},
		{"stream_options", never, "batch requests cannot stream"},
		{"logprobs", isBool(false), "Bedrock models do not return log probabilities"},
		{"top_logprobs", isNum(0), "Bedrock models do not return log probabilities"},
		{"logit_bias", func(raw json.RawMessage) bool { o, ok := asObject(raw); return ok && len(o) == 0 }, "Bedrock models have no logit bias"},
		{"presence_penalty", isNum(0), "the Bedrock batch model families batchgate translates for take no presence penalty"},
		{"frequency_penalty", isNum(0), "the Bedrock batch model families batchgate translates for take no frequency penalty"},
		{"seed", never, "Bedrock batch inference has no seeded sampling"},
		{"audio", never, "Bedrock batch inference returns text only"},
		{"modalities", func(raw json.RawMessage) bool { return string(bytes.Join(bytes.Fields(raw), nil)) == `["text"]` }, "Bedrock batch inference returns text only"},
		{"prediction", never, "predicted outputs are an OpenAI feature"},
		{"web_search_options", never, "web search is an OpenAI feature"},
		{"functions", never, "use tools instead of the deprecated functions"},
		{"function_call", never, "use tool_choice instead of the deprecated function_call"},
		{"verbosity", func(raw json.RawMessage) bool { s, _ := asString(raw); return s == "medium" }, "Bedrock models have no verbosity setting"},
	}
	for _, ch := range checks {
		if lerr := noop(ch.key, ch.ok, ch.why); lerr != nil {
			return lerr
		}
	}
	if raw, ok := body.present("service_tier"); ok {
		s, _ := asString(raw)
		if s != "auto" && s != "default" {
			return lerrf(CodeUnsupportedValue, "service_tier", "service_tier %s is not supported: batch jobs run at Bedrock's batch tier", raw)
		}
	}
	// Ignored parameters: they identify or store the request and never
	// change what the model generates. Only their types are checked.
	for _, k := range []string{"user", "safety_identifier", "prompt_cache_key"} {
		if raw, ok := body.present(k); ok {
			if _, ok := asString(raw); !ok {
				return lerrf(CodeInvalidType, k, "%s must be a string", k)
			}
		}
	}
	if raw, ok := body.present("metadata"); ok {
		if _, ok := asObject(raw); !ok {
			return lerrf(CodeInvalidType, "metadata", "metadata must be an object")
		}
	}
	if raw, ok := body.present("store"); ok {
		if _, ok := asBool(raw); !ok {
			return lerrf(CodeInvalidType, "store", "store must be a boolean")
		}
	}
	return nil
}

func (c *chatRequest) parseSampling(body object) *LineError {
	for _, key := range []string{"max_completion_tokens", "max_tokens"} {
		raw, ok := body.present(key)
		if !ok {
			continue
		}
		n, ok := asInt(raw)
		if !ok {
			return lerrf(CodeInvalidType, key, "%s must be an integer", key)
		}
		if n < 1 {
			return lerrf(CodeInvalidValue, key, "%s must be at least 1", key)
		}
		if c.maxTokens != 0 && c.maxTokens != n {
			return lerrf(CodeInvalidValue, key, "max_tokens and max_completion_tokens differ; give one of them")
		}
		if c.maxTokens == 0 {
			c.maxTokens, c.maxTokensParam = n, key
		}
	}
	number := func(key string, lo, hi float64) (*float64, *LineError) {
		raw, ok := body.present(key)
		if !ok {
			return nil, nil
		}
		f, ok := asFloat(raw)
		if !ok {
			return nil, lerrf(CodeInvalidType, key, "%s must be a number", key)
		}
		if f < lo || f > hi {
			return nil, lerrf(CodeInvalidValue, key, "%s must be between %g and %g", key, lo, hi)
		}
		return &f, nil
	}
	var lerr *LineError
	if c.temperature, lerr = number("temperature", 0, 2); lerr != nil {
		return lerr
	}
	if c.topP, lerr = number("top_p", 0, 1); lerr != nil {
		return lerr
	}
	if raw, ok := body.present("top_k"); ok {
		n, ok := asInt(raw)
		if !ok {
			return lerrf(CodeInvalidType, "top_k", "top_k must be an integer")
		}
		if n < 0 {
			return lerrf(CodeInvalidValue, "top_k", "top_k must not be negative")
		}
		c.topK = &n
	}
	if raw, ok := body.present("stop"); ok {
		if s, ok := asString(raw); ok {
			c.stop = []string{s}
		} else if err := json.Unmarshal(raw, &c.stop); err != nil {
			return lerrf(CodeInvalidType, "stop", "stop must be a string or an array of strings")
		}
		for i, s := range c.stop {
			if s == "" {
				return lerrf(CodeInvalidValue, fmt.Sprintf("stop[%d]", i), "stop sequences must not be empty")
			}
		}
	}
	return nil
}

// Parsing of messages.

type chatMessageIn struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	Name         *string         `json:"name"`
	ToolCalls    json.RawMessage `json:"tool_calls"`
	ToolCallID   *string         `json:"tool_call_id"`
	Refusal      *string         `json:"refusal"`
	Audio        json.RawMessage `json:"audio"`
	FunctionCall json.RawMessage `json:"function_call"`
}

type contentPartIn struct {
	Type       string          `json:"type"`
	Text       *string         `json:"text"`
	ImageURL   *imageURLIn     `json:"image_url"`
	File       *fileIn         `json:"file"`
	InputAudio json.RawMessage `json:"input_audio"`
	Refusal    *string         `json:"refusal"`
}

type imageURLIn struct {
	URL    string `json:"url"`
	Detail string `json:"detail"`
}

type fileIn struct {
	FileData string `json:"file_data"`
	FileID   string `json:"file_id"`
	Filename string `json:"filename"`
}

type toolCallIn struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Function *functionCallIn `json:"function"`
}

type functionCallIn struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

func parseMessages(in []chatMessageIn) ([]message, *LineError) {
	if len(in) == 0 {
		return nil, lerrf(CodeInvalidValue, "messages", "messages must not be empty")
	}
	out := make([]message, len(in))
	for i := range in {
		if lerr := parseMessage(&in[i], i, &out[i]); lerr != nil {
			return nil, lerr
		}
	}
	return out, nil
}

func parseMessage(in *chatMessageIn, i int, m *message) *LineError {
	m.index, m.role = i, in.Role
	p := m.param()
	// Fields each role may carry (OpenAI's message schemas).
	notFor := func(field string, set bool) *LineError {
		if set {
			return lerrf(CodeInvalidValue, p+"."+field, "%s messages cannot have %s", in.Role, field)
		}
		return nil
	}
	hasToolCalls := len(in.ToolCalls) > 0 && !isNull(in.ToolCalls)
	switch in.Role {
	case "system", "developer", "user", "assistant", "tool":
	case "":
		return lerrf(CodeMissingParameter, p+".role", "%s.role is required", p)
	case "function":
		return lerrf(CodeUnsupportedValue, p+".role", "the deprecated function role is not supported; use tool messages")
	default:
		return lerrf(CodeInvalidValue, p+".role", "%s.role must be system, developer, user, assistant or tool, not %q", p, in.Role)
	}
	if in.Role != "assistant" {
		for _, f := range []struct {
			name string
			set  bool
		}{{"tool_calls", hasToolCalls}, {"refusal", in.Refusal != nil}, {"audio", len(in.Audio) > 0 && !isNull(in.Audio)}, {"function_call", len(in.FunctionCall) > 0 && !isNull(in.FunctionCall)}} {
			if lerr := notFor(f.name, f.set); lerr != nil {
				return lerr
			}
		}
	}
	if lerr := notFor("tool_call_id", in.Role != "tool" && in.ToolCallID != nil); lerr != nil {
		return lerr
	}
	if in.Role == "assistant" {
		if len(in.Audio) > 0 && !isNull(in.Audio) {
			return lerrf(CodeUnsupportedParameter, p+".audio", "audio in assistant messages is not supported")
		}
		if len(in.FunctionCall) > 0 && !isNull(in.FunctionCall) {
			return lerrf(CodeUnsupportedParameter, p+".function_call", "the deprecated function_call is not supported; use tool_calls")
		}
		if in.Refusal != nil && *in.Refusal != "" {
			return lerrf(CodeUnsupportedParameter, p+".refusal", "assistant refusals cannot be replayed to Bedrock models; put the text in content")
		}
	}
	if in.Name != nil {
		if in.Role == "tool" {
			return lerrf(CodeInvalidValue, p+".name", "tool messages cannot have name")
		}
		m.name = *in.Name
	}

	if len(in.Content) > 0 && !isNull(in.Content) {
		m.content = in.Content
		var lerr *LineError
		if m.parts, lerr = parseContent(in.Content, p+".content", in.Role); lerr != nil {
			return lerr
		}
	} else if in.Role != "assistant" || !hasToolCalls {
		return lerrf(CodeMissingParameter, p+".content", "%s.content is required", p)
	}

	if hasToolCalls {
		calls, lerr := decodeArray[toolCallIn](in.ToolCalls, p+".tool_calls")
		if lerr != nil {
			return lerr
		}
		for j, tc := range calls {
			q := fmt.Sprintf("%s.tool_calls[%d]", p, j)
			if tc.ID == "" {
				return lerrf(CodeMissingParameter, q+".id", "%s.id is required", q)
			}
			if tc.Type != "function" {
				return lerrf(CodeUnsupportedValue, q+".type", "%s.type must be function", q)
			}
			if tc.Function == nil || tc.Function.Name == "" {
				return lerrf(CodeMissingParameter, q+".function.name", "%s.function.name is required", q)
			}
			args := json.RawMessage(`{}`)
			if strings.TrimSpace(tc.Function.Arguments) != "" {
				args = json.RawMessage(tc.Function.Arguments)
				if _, ok := asObject(args); !ok {
					return lerrf(CodeInvalidValue, q+".function.arguments", "%s.function.arguments must be a JSON object encoded as a string", q)
				}
			}
			m.toolCalls = append(m.toolCalls, toolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: args})
		}
	}
	if in.Role == "tool" {
		if in.ToolCallID == nil || *in.ToolCallID == "" {
			return lerrf(CodeMissingParameter, p+".tool_call_id", "%s.tool_call_id is required", p)
		}
		m.toolCallID = *in.ToolCallID
	}
	return nil
}

// parseContent parses message content: a string or an array of parts.
// System, developer and tool messages take text parts only.
func parseContent(raw json.RawMessage, param, role string) ([]part, *LineError) {
	if s, ok := asString(raw); ok {
		return []part{{kind: partText, param: param, text: s}}, nil
	}
	in, lerr := decodeArray[contentPartIn](raw, param)
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
		switch cp.Type {
		case "text":
			if cp.Text == nil {
				return nil, lerrf(CodeMissingParameter, q+".text", "%s.text is required", q)
			}
			if lerr := firstErr(extra(cp.ImageURL != nil, "image_url"), extra(cp.File != nil, "file"), extra(cp.Refusal != nil, "refusal"), extra(len(cp.InputAudio) > 0, "input_audio")); lerr != nil {
				return nil, lerr
			}
			parts = append(parts, part{kind: partText, param: q, text: *cp.Text})
		case "image_url":
			if role != "user" {
				return nil, lerrf(CodeInvalidValue, q, "images are only allowed in user messages")
			}
			if cp.ImageURL == nil {
				return nil, lerrf(CodeMissingParameter, q+".image_url", "%s.image_url is required", q)
			}
			if lerr := firstErr(extra(cp.Text != nil, "text"), extra(cp.File != nil, "file")); lerr != nil {
				return nil, lerr
			}
			switch cp.ImageURL.Detail {
			case "", "auto", "low", "high":
			default:
				return nil, lerrf(CodeInvalidValue, q+".image_url.detail", "detail must be auto, low or high")
			}
			pt, lerr := parseImage(cp.ImageURL.URL, q+".image_url.url")
			if lerr != nil {
				return nil, lerr
			}
			pt.param = q
			parts = append(parts, pt)
		case "file":
			if role != "user" {
				return nil, lerrf(CodeInvalidValue, q, "files are only allowed in user messages")
			}
			if cp.File == nil {
				return nil, lerrf(CodeMissingParameter, q+".file", "%s.file is required", q)
			}
			if cp.File.FileID != "" {
				return nil, lerrf(CodeUnsupportedValue, q+".file.file_id", "file_id cannot be resolved in a batch; embed the file as file_data (data:application/pdf;base64,...)")
			}
			pt, lerr := parsePDF(cp.File.FileData, q+".file.file_data")
			if lerr != nil {
				return nil, lerr
			}
			pt.param, pt.filename = q, cp.File.Filename
			parts = append(parts, pt)
		case "input_audio":
			return nil, lerrf(CodeUnsupportedValue, q, "audio input is not supported by Bedrock batch inference")
		case "refusal":
			return nil, lerrf(CodeUnsupportedValue, q, "refusal parts cannot be replayed to Bedrock models; use a text part")
		case "":
			return nil, lerrf(CodeMissingParameter, q+".type", "%s.type is required", q)
		default:
			return nil, lerrf(CodeInvalidValue, q+".type", "unknown content part type %q", cp.Type)
		}
		if cp.Type != "text" && role != "user" {
			return nil, lerrf(CodeInvalidValue, q, "%s messages take text parts only", role)
		}
	}
	if role != "user" && role != "assistant" {
		for _, pt := range parts {
			if pt.kind != partText {
				return nil, lerrf(CodeInvalidValue, pt.param, "%s messages take text parts only", role)
			}
		}
	}
	return parts, nil
}

func firstErr(errs ...*LineError) *LineError {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// Parsing of tools.

type toolIn struct {
	Type     string `json:"type"`
	Function *struct {
		Name        string          `json:"name"`
		Description *string         `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      *bool           `json:"strict"`
	} `json:"function"`
}

// structuredOutputTool is the name of the tool that carries response_format
// for families without native JSON output. User tools cannot use it, so an
// output tool call with this name is always the structured response.
const structuredOutputTool = "structured_output"

// addTool checks a function tool at param path p (its name valid, not
// batchgate's own structured-output tool, which formatParam asks for, and
// not in seen; its parameters an object schema) and adds it to c.tools.
func (c *chatRequest) addTool(seen map[string]bool, p, formatParam, name string, description *string, parameters json.RawMessage, strict *bool) *LineError {
	if !validName(name) {
		return lerrf(CodeInvalidValue, p+".name", "%s.name must be 1 to 64 letters, digits, underscores or dashes", p)
	}
	if name == structuredOutputTool {
		return lerrf(CodeInvalidValue, p+".name", "the tool name %q is reserved by batchgate for %s", structuredOutputTool, formatParam)
	}
	if seen[name] {
		return lerrf(CodeInvalidValue, p+".name", "tool name %q is used twice", name)
	}
	seen[name] = true
	schema, lerr := objectSchema(parameters, p+".parameters")
	if lerr != nil {
		return lerr
	}
	tl := tool{Name: name, Parameters: schema, Strict: strict != nil && *strict}
	if description != nil {
		tl.Description = *description
	}
	c.tools = append(c.tools, tl)
	return nil
}

func (c *chatRequest) parseTools(body object, pre *bodyIn) *LineError {
	var in []toolIn
	if pre != nil {
		if pre.Tools != nil {
			in = *pre.Tools
		}
	} else if raw, ok := body.present("tools"); ok {
		var lerr *LineError
		if in, lerr = decodeArray[toolIn](raw, "tools"); lerr != nil {
			return lerr
		}
	}
	seen := map[string]bool{}
	for i, t := range in {
		p := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return lerrf(CodeUnsupportedValue, p+".type", "only function tools are supported, not %q", t.Type)
		}
		if t.Function == nil {
			return lerrf(CodeMissingParameter, p+".function", "%s.function is required", p)
		}
		f := t.Function
		if lerr := c.addTool(seen, p+".function", "response_format", f.Name, f.Description, f.Parameters, f.Strict); lerr != nil {
			return lerr
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
				Type     string `json:"type"`
				Function *struct {
					Name string `json:"name"`
				} `json:"function"`
			}
			if err := json.Unmarshal(raw, &in); err != nil {
				return lerrf(CodeInvalidType, "tool_choice", "tool_choice must be a string or an object")
			}
			if in.Type != "function" {
				return lerrf(CodeUnsupportedValue, "tool_choice.type", "tool_choice type %q is not supported; use function", in.Type)
			}
			if in.Function == nil || in.Function.Name == "" {
				return lerrf(CodeMissingParameter, "tool_choice.function.name", "tool_choice.function.name is required")
			}
			tc.mode, tc.name = "function", in.Function.Name
		}
		switch {
		case tc.mode == "function":
			found := false
			for _, t := range c.tools {
				found = found || t.Name == tc.name
			}
			if !found {
				return lerrf(CodeInvalidValue, "tool_choice.function.name", "tool_choice names %q, which is not in tools", tc.name)
			}
		case tc.mode == "required" && len(c.tools) == 0:
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

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}

var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// objectSchema checks a JSON Schema that must describe an object.
func objectSchema(raw json.RawMessage, param string) (json.RawMessage, *LineError) {
	if len(raw) == 0 || isNull(raw) {
		return emptyObjectSchema, nil
	}
	o, ok := asObject(raw)
	if !ok {
		return nil, lerrf(CodeInvalidType, param, "%s must be a JSON Schema object", param)
	}
	if t, ok := o["type"]; ok {
		if s, _ := asString(t); s != "object" {
			return nil, lerrf(CodeInvalidValue, param+".type", "%s must describe an object (\"type\": \"object\")", param)
		}
	}
	return raw, nil
}

func parseResponseFormat(raw json.RawMessage) (*responseFormat, *LineError) {
	var in struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Schema      json.RawMessage `json:"schema"`
			Strict      *bool           `json:"strict"`
		} `json:"json_schema"`
	}
	if lerr := decodeStruct(raw, "response_format", &in); lerr != nil {
		return nil, lerr
	}
	switch in.Type {
	case "text":
		if in.JSONSchema != nil {
			return nil, lerrf(CodeInvalidValue, "response_format.json_schema", "json_schema is only allowed with type json_schema")
		}
		return nil, nil
	case "json_object":
		if in.JSONSchema != nil {
			return nil, lerrf(CodeInvalidValue, "response_format.json_schema", "json_schema is only allowed with type json_schema")
		}
		return &responseFormat{typ: in.Type, schema: json.RawMessage(`{"type":"object"}`), raw: raw}, nil
	case "json_schema":
		js := in.JSONSchema
		if js == nil {
			return nil, lerrf(CodeMissingParameter, "response_format.json_schema", "response_format.json_schema is required")
		}
		if !validName(js.Name) {
			return nil, lerrf(CodeInvalidValue, "response_format.json_schema.name", "response_format.json_schema.name must be 1 to 64 letters, digits, underscores or dashes")
		}
		schema, lerr := objectSchema(js.Schema, "response_format.json_schema.schema")
		if lerr != nil {
			return nil, lerr
		}
		return &responseFormat{typ: in.Type, name: js.Name, description: js.Description, schema: schema, raw: raw}, nil
	case "":
		return nil, lerrf(CodeMissingParameter, "response_format.type", "response_format.type is required")
	}
	return nil, lerrf(CodeInvalidValue, "response_format.type", "response_format.type must be text, json_object or json_schema, not %q", in.Type)
}

// reasoningBudgets maps reasoning_effort to an Anthropic thinking budget.
var reasoningBudgets = map[string]int64{
	"none": 0, "minimal": 1024, "low": 1024, "medium": 4096, "high": 16384, "xhigh": 24576,
}

// hasToolUse reports whether the conversation carries tool calls or results.
func (c *chatRequest) hasToolUse() (param string, ok bool) {
	for i := range c.messages {
		m := &c.messages[i]
		if len(m.toolCalls) > 0 {
			return m.param() + ".tool_calls", true
		}
		if m.role == "tool" {
			return m.param(), true
		}
	}
	return "", false
}

// systemText joins the system and developer messages' text.
func systemTexts(c *chatRequest) []string {
	var out []string
	for i := range c.messages {
		m := &c.messages[i]
		if m.role == "system" || m.role == "developer" {
			for _, p := range m.parts {
				out = append(out, p.text)
			}
		}
	}
	return out
}
