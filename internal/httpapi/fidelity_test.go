package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/local"
)

// fidelityModels are deployments whose limits on real Bedrock differ from
// their family's neighbours (bedrock-fidelity-audit rows 1, 3, 4, 5).
var fidelityModels = []config.Model{
	{ModelName: "claude37", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0"}},
	{ModelName: "nova", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.amazon.nova-lite-v1:0"}},
	{ModelName: "gpt-oss", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/openai.gpt-oss-120b-1:0"}},
	{ModelName: "gpt-oss-converse", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/openai.gpt-oss-120b-1:0", InvocationType: "Converse"}},
	{ModelName: "qwen-converse", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/qwen.qwen3-32b-v1:0", InvocationType: "Converse"}},
	{ModelName: "mixtral", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/mistral.mixtral-8x7b-instruct-v0:1"}},
	{ModelName: "mistral-text", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/mistral.mistral-7b-instruct-v0:2"}},
}

func newFidelityEnv(t *testing.T) (*env, string) {
	t.Helper()
	e, _ := startEnv(t, envOptions{
		local:     local.Options{StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1, Models: fidelityModels},
		reconcile: 10 * time.Millisecond,
	})
	names := []string{local.ModelName}
	for _, m := range fidelityModels {
		names = append(names, m.ModelName)
	}
	return e, e.key(names...)
}

// TestUploadRefusesWhatBedrockRefuses: lines that real Bedrock would fail
// (after the job ran and was paid for) are refused at upload, each with its
// line and parameter, while their neighbours that Bedrock accepts pass.
func TestUploadRefusesWhatBedrockRefuses(t *testing.T) {
	e, key := newFidelityEnv(t)
	chat := func(id, model, extra string) string {
		return fmt.Sprintf(`{"custom_id":%q,"method":"POST","url":"/v1/chat/completions","body":{"model":%q,"messages":[{"role":"user","content":"hi"}]%s}}`, id, model, extra)
	}
	type problem struct {
		line  int
		param string
	}
	tests := []struct {
		name, model string
		lines       []string
		want        []problem
		message     string // in the first problem's message
	}{
		// Claude 3.5 Sonnet (the default deployment) refuses disable_parallel_tool_use.
		{"ParallelFalseOldClaude", local.ModelName, []string{
			chat("ok", local.ModelName, `,"tools":[`+weather+`],"parallel_tool_calls":true`),
			chat("par", local.ModelName, `,"tools":[`+weather+`],"parallel_tool_calls":false`),
			chat("notools", local.ModelName, `,"parallel_tool_calls":false`),
		}, []problem{{2, "parallel_tool_calls"}}, "claude-3-5-sonnet-20240620"},
		{"ConverseTemperature", "gpt-oss-converse", []string{
			chat("ok", "gpt-oss-converse", `,"temperature":1`),
			chat("hot", "gpt-oss-converse", `,"temperature":1.2`),
		}, []problem{{2, "temperature"}}, "between 0 and 1"},
		{"ConverseTemperatureQwen", "qwen-converse", []string{chat("hot", "qwen-converse", `,"temperature":2`)},
			[]problem{{1, "temperature"}}, ""},
		{"MixtralMaxTokens", "mixtral", []string{
			chat("ok", "mixtral", `,"max_tokens":4096`),
			chat("long", "mixtral", `,"max_tokens":4097`),
		}, []problem{{2, "max_tokens"}}, "4096"},
		{"InvalidUTF8", "gpt-oss", []string{
			chat("ok", "gpt-oss", ""),
			// %q would escape the byte: the raw byte goes in by hand.
			`{"custom_id":"bad` + "\xff" + `","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-oss","messages":[{"role":"user","content":"hi"}]}}`,
			`{"custom_id":"c3","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-oss","messages":[{"role":"user","content":"caf` + "\xc3" + `"}]}}`,
		}, []problem{{2, ""}, {3, ""}}, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(key, part{"purpose", "batch"}, part{"target_model_names", tt.model}, part{"file", strings.Join(tt.lines, "\n") + "\n"})
			var ae apiError
			r.json(t, &ae)
			if r.status != 400 || ae.Error.Type != "invalid_request_error" {
				t.Fatalf("status=%d body=%s, want 400", r.status, r.body)
			}
			var got []problem
			for _, d := range ae.Error.Data {
				got = append(got, problem{d.Line, d.Param})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("errors.data = %v, want %v\n%s", got, tt.want, r.body)
			}
			if ae.Error.Line != tt.want[0].line || !strings.HasPrefix(ae.Error.Message, fmt.Sprintf("Line %d:", tt.want[0].line)) ||
				!strings.Contains(ae.Error.Message, tt.message) {
				t.Errorf("error = line %d message %q, want line %d and %q", ae.Error.Line, ae.Error.Message, tt.want[0].line, tt.message)
			}
		})
	}
	// What Bedrock accepts on the same deployments is accepted.
	for _, f := range []struct{ model, extra string }{
		{"claude37", `,"tools":[` + weather + `],"parallel_tool_calls":false`},
		{"gpt-oss", `,"temperature":1.5`},
		{"mistral-text", `,"max_tokens":8192`},
	} {
		r := e.upload(key, part{"purpose", "batch"}, part{"target_model_names", f.model}, part{"file", chat("ok", f.model, f.extra) + "\n"})
		if r.status != 200 {
			t.Errorf("%s %s: %d %s", f.model, f.extra, r.status, r.body)
		}
	}
}

// TestToolChoiceNoneEndToEnd: tool_choice none runs on Claude and Nova as a
// request without tools (Bedrock has no "none" tool choice), earlier tool
// calls included, and the model answers in text.
func TestToolChoiceNoneEndToEnd(t *testing.T) {
	e, key := newFidelityEnv(t)
	const history = `[{"role":"user","content":"Weather in Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123xyz","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_abc123xyz","content":"18 C and sunny"},{"role":"user","content":"Summarise"}]`
	for _, model := range []string{local.ModelName, "nova"} {
		t.Run(model, func(t *testing.T) {
			var file strings.Builder
			for i, msgs := range []string{`[{"role":"user","content":"Weather in Paris?"}]`, history} {
				fmt.Fprintf(&file, `{"custom_id":"n%d","method":"POST","url":"/v1/chat/completions","body":{"model":%q,"max_tokens":300,"messages":%s,"tools":[%s],"tool_choice":"none"}}`+"\n", i, model, msgs, weather)
			}
			r := e.upload(key, part{"purpose", "batch"}, part{"target_model_names", model}, part{"file", file.String()})
			var f struct{ ID string }
			r.json(t, &f)
			if r.status != 200 {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
			b := e.createBatch(key, f.ID)
			b = e.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status == "completed" || b.Status == "failed" })
			if b.Status != "completed" || b.RequestCounts.Completed != 2 || b.OutputFileID == nil {
				t.Fatalf("batch = %+v", b)
			}
			raw := e.do(key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil, "custom-llm-provider", "bedrock")
			for _, l := range strings.Split(strings.TrimSpace(string(raw.body)), "\n") {
				var rec rawRecord
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("raw line %s: %v", l, err)
				}
				in := string(rec.ModelInput)
				for _, s := range []string{"tool_choice", `"tools"`, "toolConfig", "tool_use", "toolUse", "tool_result", "toolResult"} {
					if strings.Contains(in, s) {
						t.Errorf("record %s has %s: %s", rec.RecordID, s, in)
					}
				}
				if rec.RecordID == "n1" && !strings.Contains(in, "18 C and sunny") {
					t.Errorf("record n1 lost the tool result: %s", in)
				}
			}
			out := e.do(key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil)
			for _, l := range strings.Split(strings.TrimSpace(string(out.body)), "\n") {
				var bl batchLine
				if err := json.Unmarshal([]byte(l), &bl); err != nil || bl.Response == nil || bl.Response.StatusCode != 200 {
					t.Fatalf("output line %s (%v)", l, err)
				}
				if strings.Contains(string(bl.Response.Body), `"tool_calls"`) || !strings.Contains(string(bl.Response.Body), `"finish_reason":"stop"`) {
					t.Errorf("%s: want a text answer: %s", bl.CustomID, bl.Response.Body)
				}
			}
		})
	}
}
