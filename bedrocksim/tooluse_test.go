package bedrocksim_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
)

// A request that forces a tool gets a call of that tool, with arguments that
// sample its input schema; tool_choice auto gets text.
func TestForcedToolUse(t *testing.T) {
	const schema = `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]},"days":{"type":"integer"}},"required":["city","unit"]}`
	wantArgs := func(t *testing.T, args string) {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(args), &m); err != nil || len(m) != 2 || m["city"] != "sample" || m["unit"] != "c" {
			t.Errorf("arguments = %s, want the required properties sampled", args)
		}
	}
	claudeTools := `"tools":[{"name":"other","input_schema":{"type":"object"}},{"name":"get_weather","input_schema":` + schema + `}]`
	runModelCases(t, "anthropic.claude-3-haiku-20240307-v1:0", "", []modelCase{
		{name: "Tool", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"Weather?"}],` + claudeTools + `,"tool_choice":{"type":"tool","name":"get_weather"}}`,
			check: func(t *testing.T, out map[string]any) {
				if out["stop_reason"] != "tool_use" || dig(out, "content", 0, "type") != "tool_use" || dig(out, "content", 0, "name") != "get_weather" ||
					!strings.HasPrefix(str(dig(out, "content", 0, "id")), "toolu_") {
					t.Fatalf("output = %v", out)
				}
				args, _ := json.Marshal(dig(out, "content", 0, "input"))
				wantArgs(t, string(args))
				if num(dig(out, "usage", "output_tokens")) != wantTokens(string(args)) {
					t.Errorf("usage = %v for arguments %s", out["usage"], args)
				}
			}},
		{name: "Any", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"Weather?"}],` + claudeTools + `,"tool_choice":{"type":"any"}}`,
			check: func(t *testing.T, out map[string]any) {
				if out["stop_reason"] != "tool_use" || dig(out, "content", 0, "name") != "other" {
					t.Errorf("output = %v, want a call of the first tool", out)
				}
			}},
		{name: "Auto", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"Weather?"}],` + claudeTools + `,"tool_choice":{"type":"auto"}}`,
			check: func(t *testing.T, out map[string]any) {
				if out["stop_reason"] != "end_turn" || dig(out, "content", 0, "type") != "text" {
					t.Errorf("output = %v, want text", out)
				}
			}},
	})
	chatTools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":` + schema + `}}]`
	runModelCases(t, "openai.gpt-oss-20b-1:0", types.ModelInvocationTypeInvokeModel, []modelCase{
		{name: "Required", input: `{"messages":[{"role":"user","content":"Weather?"}],` + chatTools + `,"tool_choice":"required"}`,
			check: func(t *testing.T, out map[string]any) {
				msg := dig(out, "choices", 0, "message")
				if dig(out, "choices", 0, "finish_reason") != "tool_calls" || dig(msg, "content") != nil || dig(msg, "tool_calls", 0, "function", "name") != "get_weather" ||
					!strings.HasPrefix(str(dig(msg, "tool_calls", 0, "id")), "call_") || dig(msg, "tool_calls", 0, "type") != "function" {
					t.Fatalf("output = %v", out)
				}
				wantArgs(t, str(dig(msg, "tool_calls", 0, "function", "arguments")))
			}},
		{name: "Function", input: `{"messages":[{"role":"user","content":"Weather?"}],` + chatTools + `,"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`,
			check: func(t *testing.T, out map[string]any) {
				if dig(out, "choices", 0, "finish_reason") != "tool_calls" {
					t.Errorf("output = %v", out)
				}
			}},
		{name: "Auto", input: `{"messages":[{"role":"user","content":"Weather?"}],` + chatTools + `}`,
			check: func(t *testing.T, out map[string]any) {
				if dig(out, "choices", 0, "finish_reason") != "stop" || !strings.Contains(str(dig(out, "choices", 0, "message", "content")), "Simulated") {
					t.Errorf("output = %v", out)
				}
			}},
	})
}
