package bedrocksim_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
)

const weatherSchema = `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]},"days":{"type":"integer"}},"required":["city","unit"]}`

// sampledArgs checks that a tool call's arguments are the required
// properties of weatherSchema, sampled.
func sampledArgs(t *testing.T, args string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(args), &m); err != nil || len(m) != 2 || m["city"] != "sample" || m["unit"] != "c" {
		t.Errorf("arguments = %s, want the required properties sampled", args)
	}
}

// converseToolCases are the forced-tool cases of a toolConfig body (Nova's
// messages-v1 or Converse), with prefix its other members.
func converseToolCases(prefix string) []modelCase {
	tools := `"toolConfig":{"tools":[{"toolSpec":{"name":"other","inputSchema":{"json":{"type":"object"}}}},` +
		`{"toolSpec":{"name":"get_weather","description":"Weather of a city","inputSchema":{"json":` + weatherSchema + `}}}]`
	body := func(choice string) string {
		return `{` + prefix + `"messages":[{"role":"user","content":[{"text":"Weather?"}]}],` + tools + choice + `}}`
	}
	toolUse := func(t *testing.T, out map[string]any, name string) {
		t.Helper()
		content, _ := dig(out, "output", "message", "content").([]any)
		use := dig(content, 0, "toolUse")
		if out["stopReason"] != "tool_use" || len(content) != 1 || dig(use, "name") != name ||
			!regexp.MustCompile(`^tooluse_[0-9A-Za-z]{22}$`).MatchString(str(dig(use, "toolUseId"))) {
			t.Fatalf("output = %v, want one toolUse of %s", out, name)
		}
		args, _ := json.Marshal(dig(use, "input"))
		if name == "get_weather" {
			sampledArgs(t, string(args))
		}
		if got := num(dig(out, "usage", "outputTokens")); got != wantTokens(string(args)) ||
			num(dig(out, "usage", "totalTokens")) != num(dig(out, "usage", "inputTokens"))+got {
			t.Errorf("usage = %v for input %s", out["usage"], args)
		}
	}
	return []modelCase{
		{name: "Tool", input: body(`,"toolChoice":{"tool":{"name":"get_weather"}}`), check: func(t *testing.T, out map[string]any) {
			toolUse(t, out, "get_weather")
		}},
		{name: "Any", input: body(`,"toolChoice":{"any":{}}`), check: func(t *testing.T, out map[string]any) {
			toolUse(t, out, "other")
		}},
		{name: "Auto", input: body(`,"toolChoice":{"auto":{}}`), check: func(t *testing.T, out map[string]any) {
			if out["stopReason"] != "end_turn" || !strings.Contains(str(dig(out, "output", "message", "content", 0, "text")), "Simulated") {
				t.Errorf("output = %v, want text", out)
			}
		}},
		{name: "NoChoice", input: body(``), check: func(t *testing.T, out map[string]any) {
			if out["stopReason"] != "end_turn" || dig(out, "output", "message", "content", 0, "toolUse") != nil {
				t.Errorf("output = %v, want text", out)
			}
		}},
	}
}

// Nova's native body and Converse jobs answer a forced toolChoice with a
// toolUse block and stopReason tool_use.
func TestForcedToolUseConverseShapes(t *testing.T) {
	t.Run("Nova", func(t *testing.T) {
		runModelCases(t, "amazon.nova-lite-v1:0", "", converseToolCases(`"schemaVersion":"messages-v1",`))
	})
	t.Run("ConverseNova", func(t *testing.T) {
		runModelCases(t, "amazon.nova-pro-v1:0", types.ModelInvocationTypeConverse, converseToolCases(``))
	})
	t.Run("ConverseClaude", func(t *testing.T) {
		cases := converseToolCases(`"inferenceConfig":{"maxTokens":200},`)
		cases = append(cases, modelCase{
			name:  "ThinkingForced",
			input: `{"messages":[{"role":"user","content":[{"text":"Weather?"}]}],"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}},"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}}`,
			err:   "Thinking may not be enabled when tool_choice forces tool use",
		})
		runModelCases(t, "anthropic.claude-3-7-sonnet-20250219-v1:0", types.ModelInvocationTypeConverse, cases)
	})
}

// Mistral Large's chat body forces a tool with tool_choice "any" and gets
// Mistral's tool_calls (no type, 9-character ids, arguments as JSON text).
func TestForcedToolUseMistral(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":` + weatherSchema + `}},{"type":"function","function":{"name":"other","parameters":{"type":"object"}}}]`
	body := func(choice string) string {
		return `{"messages":[{"role":"user","content":"Weather?"}],"max_tokens":200,` + tools + choice + `}`
	}
	runModelCases(t, "mistral.mistral-large-2407-v1:0", "", []modelCase{
		{name: "Any", input: body(`,"tool_choice":"any"`), check: func(t *testing.T, out map[string]any) {
			msg := dig(out, "choices", 0, "message")
			calls, _ := dig(msg, "tool_calls").([]any)
			call, _ := dig(calls, 0).(map[string]any)
			if dig(out, "choices", 0, "stop_reason") != "tool_calls" || len(calls) != 1 || dig(call, "function", "name") != "get_weather" ||
				!regexp.MustCompile(`^[0-9A-Za-z]{9}$`).MatchString(str(call["id"])) || dig(msg, "content") != "" || dig(msg, "role") != "assistant" {
				t.Fatalf("output = %v", out)
			}
			if _, ok := call["type"]; ok {
				t.Errorf("tool call %v has a type, Mistral's have none", call)
			}
			args, ok := dig(call, "function", "arguments").(string)
			if !ok {
				t.Fatalf("arguments = %#v, want JSON text", dig(call, "function", "arguments"))
			}
			sampledArgs(t, args)
		}},
		{name: "Auto", input: body(`,"tool_choice":"auto"`), check: func(t *testing.T, out map[string]any) {
			if dig(out, "choices", 0, "stop_reason") != "stop" || dig(out, "choices", 0, "message", "tool_calls") != nil ||
				!strings.Contains(str(dig(out, "choices", 0, "message", "content")), "Simulated") {
				t.Errorf("output = %v, want text", out)
			}
		}},
		{name: "None", input: body(`,"tool_choice":"none"`), check: func(t *testing.T, out map[string]any) {
			if dig(out, "choices", 0, "stop_reason") != "stop" || dig(out, "choices", 0, "message", "tool_calls") != nil {
				t.Errorf("output = %v, want text", out)
			}
		}},
		// Bedrock's Mistral takes auto, any and none, not OpenAI's required.
		{name: "Required", input: body(`,"tool_choice":"required"`), err: "Malformed input request: #/tool_choice"},
	})
}

// Claude with extended thinking answers a thinking block (with a signature)
// before the text, on InvokeModel and on Converse; thinking with a forced
// tool is an error, as Anthropic answers it.
func TestClaudeThinking(t *testing.T) {
	thinking := func(budget, maxTokens string) string {
		return `"max_tokens":` + maxTokens + `,"thinking":{"type":"enabled","budget_tokens":` + budget + `}`
	}
	const head = `{"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"Why is the sky blue?"}],`
	checkThinking := func(t *testing.T, out map[string]any) {
		t.Helper()
		content, _ := out["content"].([]any)
		if len(content) != 2 || dig(content, 0, "type") != "thinking" || dig(content, 1, "type") != "text" || out["stop_reason"] != "end_turn" {
			t.Fatalf("output = %v, want a thinking block then text", out)
		}
		th, text := str(dig(content, 0, "thinking")), str(dig(content, 1, "text"))
		if !strings.HasPrefix(th, "The user wants") || len(str(dig(content, 0, "signature"))) < 50 || strings.Contains(text, th) ||
			!strings.Contains(text, "Simulated response") {
			t.Errorf("thinking = %q, signature = %q, text = %q", th, dig(content, 0, "signature"), text)
		}
		if got := num(dig(out, "usage", "output_tokens")); got != wantTokens(th)+wantTokens(text) {
			t.Errorf("output_tokens = %d, want thinking and text: %d + %d", got, wantTokens(th), wantTokens(text))
		}
	}
	runModelCases(t, "anthropic.claude-3-7-sonnet-20250219-v1:0", "", []modelCase{
		{name: "Enabled", input: head + thinking("1024", "2000") + `}`, check: checkThinking},
		{name: "ToolAuto", input: head + thinking("1024", "2000") + `,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto"}}`, check: checkThinking},
		{name: "Disabled", input: head + `"max_tokens":200,"thinking":{"type":"disabled"}}`, check: func(t *testing.T, out map[string]any) {
			if content, _ := out["content"].([]any); len(content) != 1 || dig(content, 0, "type") != "text" {
				t.Errorf("output = %v, want text only", out)
			}
		}},
		{name: "ToolAny", input: head + thinking("1024", "2000") + `,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}}`,
			err: "Thinking may not be enabled when tool_choice forces tool use"},
		{name: "OverBudget", input: head + thinking("2000", "2000") + `}`, err: "`max_tokens` must be greater than `thinking.budget_tokens`"},
	})
	runModelCases(t, "anthropic.claude-3-7-sonnet-20250219-v1:0", types.ModelInvocationTypeConverse, []modelCase{
		{name: "Converse", input: `{"messages":[{"role":"user","content":[{"text":"Why is the sky blue?"}]}],"inferenceConfig":{"maxTokens":2000},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}}`,
			check: func(t *testing.T, out map[string]any) {
				content, _ := dig(out, "output", "message", "content").([]any)
				rt := dig(content, 0, "reasoningContent", "reasoningText")
				th, text := str(dig(rt, "text")), str(dig(content, 1, "text"))
				if len(content) != 2 || !strings.HasPrefix(th, "The user wants") || str(dig(rt, "signature")) == "" ||
					!strings.Contains(text, "Simulated response") || out["stopReason"] != "end_turn" {
					t.Fatalf("output = %v, want reasoningContent then text", out)
				}
				if got := num(dig(out, "usage", "outputTokens")); got != wantTokens(th)+wantTokens(text) {
					t.Errorf("outputTokens = %d, want %d + %d", got, wantTokens(th), wantTokens(text))
				}
			}},
		{name: "ConverseOverBudget", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":1024},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}}`,
			err: "`max_tokens` must be greater than `thinking.budget_tokens`"},
	})
	// Thinking is Claude's: a Nova Converse job with the same field gets text only.
	runModelCases(t, "amazon.nova-pro-v1:0", types.ModelInvocationTypeConverse, []modelCase{
		{name: "NovaConverse", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}}`,
			check: func(t *testing.T, out map[string]any) {
				if content, _ := dig(out, "output", "message", "content").([]any); len(content) != 1 || dig(content, 0, "text") == nil {
					t.Errorf("output = %v, want text only", out)
				}
			}},
	})
}
