package bedrocksim

import (
	"encoding/json"
	"slices"
)

// Tool use. A request that forces a tool (Anthropic tool_choice any/tool,
// Chat Completions tool_choice required/function) is answered with a call of
// that tool whose arguments are a sample of its input schema, so that
// clients can test their tool-call handling; with tool_choice auto the
// emulator answers with text, as a model that chose not to call a tool.

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

// MarshalJSON writes a text block as {type, text} and a tool_use block as
// {type, id, name, input}, as the Messages API does.
func (b claudeBlock) MarshalJSON() ([]byte, error) {
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
