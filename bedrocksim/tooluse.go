package bedrocksim

import (
	"encoding/json"
	"slices"
)

// Tool use. A request that forces a tool (Anthropic tool_choice any/tool,
// Chat Completions tool_choice required/function, Mistral tool_choice any,
// Nova and Converse toolChoice any/tool) is answered with a call of that
// tool whose arguments are a sample of its input schema, so that clients can
// test their tool-call handling; with tool_choice auto the emulator answers
// with text, as a model that chose not to call a tool.

// forcedTool is the tool a request must call.
type forcedTool struct {
	name   string
	schema map[string]any
}

// anthropicForcedTool returns the tool an Anthropic Messages body forces.
func anthropicForcedTool(input map[string]any) (forcedTool, bool) {
	tc, _ := input["tool_choice"].(map[string]any)
	tools, _ := input["tools"].([]any)
	var want string
	switch tc["type"] {
	case "tool":
		want, _ = tc["name"].(string)
	case "any":
	default:
		return forcedTool{}, false
	}
	for _, t := range tools {
		m, _ := t.(map[string]any)
		name, _ := m["name"].(string)
		if name != "" && (want == "" || name == want) {
			schema, _ := m["input_schema"].(map[string]any)
			return forcedTool{name: name, schema: schema}, true
		}
	}
	return forcedTool{}, false
}

// chatForcedTool returns the tool a Chat Completions body forces.
func chatForcedTool(input map[string]any) (forcedTool, bool) {
	var want string
	switch tc := input["tool_choice"].(type) {
	case string:
		if tc != "required" {
			return forcedTool{}, false
		}
	case map[string]any:
		fn, _ := tc["function"].(map[string]any)
		want, _ = fn["name"].(string)
	default:
		return forcedTool{}, false
	}
	return chatTool(input, want)
}

// mistralForcedTool returns the tool a Mistral chat body forces: Bedrock's
// Mistral Large takes tool_choice "any" (not OpenAI's "required") and has
// no way to name one tool.
func mistralForcedTool(input map[string]any) (forcedTool, bool) {
	if input["tool_choice"] != "any" {
		return forcedTool{}, false
	}
	return chatTool(input, "")
}

// chatTool returns the tool named want (the first one when want is "") of
// an OpenAI-style tools array.
func chatTool(input map[string]any, want string) (forcedTool, bool) {
	tools, _ := input["tools"].([]any)
	for _, t := range tools {
		m, _ := t.(map[string]any)
		fn, _ := m["function"].(map[string]any)
		name, _ := fn["name"].(string)
		if name != "" && (want == "" || name == want) {
			schema, _ := fn["parameters"].(map[string]any)
			return forcedTool{name: name, schema: schema}, true
		}
	}
	return forcedTool{}, false
}

// converseForcedTool returns the tool a Converse or Nova toolConfig forces
// (toolChoice any or tool).
func converseForcedTool(input map[string]any) (forcedTool, bool) {
	tc, _ := input["toolConfig"].(map[string]any)
	choice, _ := tc["toolChoice"].(map[string]any)
	var want string
	if named, ok := choice["tool"].(map[string]any); ok {
		want, _ = named["name"].(string)
	} else if _, ok := choice["any"]; !ok {
		return forcedTool{}, false
	}
	tools, _ := tc["tools"].([]any)
	for _, t := range tools {
		m, _ := t.(map[string]any)
		spec, _ := m["toolSpec"].(map[string]any)
		name, _ := spec["name"].(string)
		if name != "" && (want == "" || name == want) {
			in, _ := spec["inputSchema"].(map[string]any)
			schema, _ := in["json"].(map[string]any)
			return forcedTool{name: name, schema: schema}, true
		}
	}
	return forcedTool{}, false
}

// converseUse is the toolUse block of a Converse (or Nova) answer that calls
// the tool; its toolUseId is derived from the record and the request.
func (f forcedTool) converseUse(c *modelCall, prefix string) converseBlock {
	id := prefix + idFrom(c.recordID+digest(textOf(c.input)), 22, base62)
	return converseBlock{ToolUse: &converseToolUse{ToolUseID: id, Name: f.name, Input: json.RawMessage(f.arguments())}}
}

// errThinkingForcedTool is Anthropic's answer to extended thinking with a
// forced tool: thinking allows tool_choice auto and none only.
var errThinkingForcedTool = message("Thinking may not be enabled when tool_choice forces tool use.")

// thought is the extended thinking of a Claude answer.
type thought struct{ text, signature string }

// claudeThought returns a deterministic thought about the request and an
// opaque signature, as Anthropic returns (and expects back) with it.
func claudeThought(c *modelCall) thought {
	d := digest(textOf(c.input))
	return thought{
		text:      "The user wants a reply; the emulator derives it from the request (digest " + d[:16] + ").",
		signature: "EqQB" + idFrom(c.recordID+"/thinking/"+d, 96, base62),
	}
}

// sampleOf returns a value matching a JSON schema: an object with its
// required properties (all of them when none is required), the first enum
// value, or a placeholder of the schema's type.
func sampleOf(schema map[string]any) any {
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	typ := schema["type"]
	if types, ok := typ.([]any); ok && len(types) > 0 {
		typ = types[0]
	}
	switch typ {
	case "string":
		return "sample"
	case "integer", "number":
		return json.Number("1")
	case "boolean":
		return true
	case "array":
		items, _ := schema["items"].(map[string]any)
		return []any{sampleOf(items)}
	case "null":
		return nil
	}
	props, _ := schema["properties"].(map[string]any)
	out := map[string]any{}
	var required []string
	if r, ok := schema["required"].([]any); ok {
		for _, v := range r {
			if s, ok := v.(string); ok {
				required = append(required, s)
			}
		}
	}
	for name, p := range props {
		if len(required) > 0 && !slices.Contains(required, name) {
			continue
		}
		ps, _ := p.(map[string]any)
		out[name] = sampleOf(ps)
	}
	return out
}

// arguments is the JSON text of the tool's sample input.
func (f forcedTool) arguments() string {
	b, _ := json.Marshal(sampleOf(f.schema))
	return string(b)
}

// MarshalJSON writes a text block as {type, text}, a thinking block as
// {type, thinking, signature} and a tool_use block as {type, id, name,
// input}, as the Messages API does.
func (b claudeBlock) MarshalJSON() ([]byte, error) {
	if b.Type == "thinking" {
		return json.Marshal(struct {
			Type      string `json:"type"`
			Thinking  string `json:"thinking"`
			Signature string `json:"signature"`
		}{b.Type, b.Text, b.Signature})
	}
	if b.Type == "tool_use" {
		return json.Marshal(struct {
			Type  string          `json:"type"`
			ID    string          `json:"id"`
			Name  string          `json:"name"`
			Input json.RawMessage `json:"input"`
		}{b.Type, b.ID, b.Name, json.RawMessage(b.Input)})
	}
	return json.Marshal(struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}{b.Type, b.Text})
}

type chatToolCall struct {
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Function chatToolFunction `json:"function"`
}

type chatToolFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}
