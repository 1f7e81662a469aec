package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/local"
)

// Responses API bodies (without model).
const (
	respString   = `{"input":"Hello there","instructions":"Be brief.","max_output_tokens":300,"temperature":0.5}`
	respShort    = `{"input":"Tell me a long story","max_output_tokens":3}`
	respImage    = `{"input":[{"role":"user","content":[{"type":"input_text","text":"What is in this image?"},{"type":"input_image","image_url":"` + pngURL + `"}]}],"max_output_tokens":300}`
	respMulti    = `{"input":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello! How can I help?"},{"role":"user","content":"Tell me a joke"}],"max_output_tokens":300,"top_p":0.9}`
	respWeather  = `{"type":"function","name":"get_weather","description":"Current weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}`
	respTool     = `{"input":"Weather in Paris?","max_output_tokens":300,"tools":[` + respWeather + `],"tool_choice":{"type":"function","name":"get_weather"}}`
	respToolLoop = `{"input":[{"role":"user","content":"Weather in Paris?"},{"type":"function_call","call_id":"call_abc123xyz","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},{"type":"function_call_output","call_id":"call_abc123xyz","output":"18 C and sunny"}],"max_output_tokens":300,"tools":[` + respWeather + `]}`
	respJSON     = `{"input":"Answer in JSON","max_output_tokens":300,"text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}}}}`
	respReason   = `{"input":"Why is the sky blue?","instructions":"Think first.","max_output_tokens":500,"reasoning":{"effort":"low"}}`
)

// respLine is a Responses line and what its Response must hold.
type respLine struct {
	body       string
	incomplete bool   // status incomplete, cut by max_output_tokens
	tool       string // a function_call item of this name
	json       bool   // the output text is a JSON object with "answer"
	reasoning  bool   // a reasoning item
}

var respCommon = []respLine{{body: respString}, {body: respShort, incomplete: true}, {body: respMulti}}

// TestResponsesBatchEndToEnd runs /v1/responses batches through the HTTP API
// and the emulator, and reads every output line as the SDK's
// responses.Response: 100 lines for Claude and for Nova, a few for every
// other family.
func TestResponsesBatchEndToEnd(t *testing.T) {
	e, _ := newFamilyEnv(t, bedrocksim.Faults{})
	names := []string{local.ModelName}
	for _, m := range familyModels {
		names = append(names, m.ModelName)
	}
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(e.key(names...)), option.WithMaxRetries(0))
	full := append(append([]respLine{}, respCommon...), respLine{body: respImage}, respLine{body: respTool, tool: "get_weather"},
		respLine{body: respToolLoop}, respLine{body: respJSON, json: true})
	cases := []struct {
		model string
		lines []respLine
		n     int // lines in the batch, cycling through lines
	}{
		{local.ModelName, full, 100},
		{"nova", full, 100},
		{"llama3", respCommon, 3},
		{"llama4", append(respCommon, respLine{body: respImage}), 4},
		{"mistral-text", respCommon, 3},
		{"mistral-chat", append(respCommon, respLine{body: respToolLoop}), 4},
		{"gpt-oss", append(respCommon, respLine{body: respReason, reasoning: true}, respLine{body: respToolLoop}), 5},
		{"qwen", append(respCommon, respLine{body: respTool, tool: "get_weather"}), 4},
		{"deepseek", respCommon, 3},
		{"claude-converse", append(respCommon, respLine{body: respImage}), 4},
		{"nova-converse", respCommon, 3},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			t.Parallel()
			var file strings.Builder
			for i := 0; i < c.n; i++ {
				body := c.lines[i%len(c.lines)].body
				fmt.Fprintf(&file, `{"custom_id":"r-%d","method":"POST","url":"/v1/responses","body":%s}`+"\n", i, strings.Replace(body, "{", fmt.Sprintf(`{"model":%q,`, c.model), 1))
			}
			batch := runFamilyBatch(t, client, c.model, "/v1/responses", []byte(file.String()))
			if batch.RequestCounts.Completed != int64(c.n) || batch.RequestCounts.Failed != 0 {
				t.Fatalf("request_counts = %+v, want %d completed", batch.RequestCounts, c.n)
			}
			resp, err := client.Files.Content(context.Background(), batch.OutputFileID)
			if err != nil {
				t.Fatal(err)
			}
			lines := readAll(t, resp.Body)
			resp.Body.Close()
			if len(lines) != c.n {
				t.Fatalf("output has %d lines, want %d", len(lines), c.n)
			}
			for _, l := range lines {
				var bl batchLine
				if err := json.Unmarshal([]byte(l), &bl); err != nil || bl.Response == nil || bl.Response.StatusCode != 200 {
					t.Fatalf("line %s is not a success (%v)", l, err)
				}
				var i int
				fmt.Sscanf(bl.CustomID, "r-%d", &i)
				checkResponse(t, bl.Response.Body, c.lines[i%len(c.lines)])
			}
		})
	}
}

func checkResponse(t *testing.T, body json.RawMessage, want respLine) {
	t.Helper()
	var r responses.Response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("not a Response: %v\n%s", err, body)
	}
	if !strings.HasPrefix(r.ID, "resp_") || r.Object != "response" || r.CreatedAt == 0 || r.Model == "" {
		t.Errorf("id %q, object %q, created_at %v, model %q: %s", r.ID, r.Object, r.CreatedAt, r.Model, body)
	}
	wantStatus := responses.ResponseStatusCompleted
	if want.incomplete {
		wantStatus = responses.ResponseStatusIncomplete
		if r.IncompleteDetails.Reason != "max_output_tokens" {
			t.Errorf("incomplete_details = %+v: %s", r.IncompleteDetails, body)
		}
	}
	if r.Status != wantStatus {
		t.Errorf("status %q, want %q: %s", r.Status, wantStatus, body)
	}
	u := r.Usage
	if u.InputTokens <= 0 || u.OutputTokens <= 0 || u.TotalTokens != u.InputTokens+u.OutputTokens {
		// Mistral's InvokeModel records carry no usage (the manifest has it).
		if !strings.Contains(r.Model, "mistral") || u.TotalTokens != u.InputTokens+u.OutputTokens {
			t.Errorf("usage = %+v: %s", u, body)
		}
	}
	if !u.JSON.InputTokensDetails.Valid() || !u.JSON.OutputTokensDetails.Valid() {
		t.Errorf("usage has no token details: %s", body)
	}
	var calls []responses.ResponseFunctionToolCall
	reasoning := false
	for _, it := range r.Output {
		switch it.Type {
		case "message":
			m := it.AsMessage()
			if m.Role != "assistant" || len(m.Content) == 0 || m.Content[0].Type != "output_text" || !m.Content[0].JSON.Annotations.Valid() {
				t.Errorf("message item %s", it.RawJSON())
			}
		case "function_call":
			fc := it.AsFunctionCall()
			if fc.CallID == "" || !json.Valid([]byte(fc.Arguments)) {
				t.Errorf("function_call item %s", it.RawJSON())
			}
			calls = append(calls, fc)
		case "reasoning":
			rs := it.AsReasoning()
			reasoning = len(rs.Content) > 0 && rs.Content[0].Text != ""
		default:
			t.Errorf("output item of type %q", it.Type)
		}
	}
	switch {
	case want.tool != "":
		if len(calls) == 0 || calls[0].Name != want.tool {
			t.Errorf("want a call of %s: %s", want.tool, body)
		}
	case r.OutputText() == "":
		t.Errorf("no output text: %s", body)
	case want.json:
		var v struct{ Answer *string }
		if err := json.Unmarshal([]byte(r.OutputText()), &v); err != nil || v.Answer == nil {
			t.Errorf("output text is not the JSON answer: %q", r.OutputText())
		}
	}
	if want.reasoning && !reasoning {
		t.Errorf("no reasoning item: %s", body)
	}
}

// TestCompletionsBatchEndToEnd runs legacy /v1/completions batches (raw
// prompt for Llama and Mistral's text models, a single user turn for Claude)
// and reads the lines as the SDK's Completion.
func TestCompletionsBatchEndToEnd(t *testing.T) {
	e, _ := newFamilyEnv(t, bedrocksim.Faults{})
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(e.key(local.ModelName, "llama3", "mistral-text", "nova")), option.WithMaxRetries(0))
	bodies := []string{
		`{"prompt":"Once upon a time","max_tokens":200,"temperature":0.7}`,
		`{"prompt":["The capital of France is"],"max_tokens":2}`,
	}
	for _, model := range []string{"mistral-text", "llama3", local.ModelName, "nova"} {
		t.Run(model, func(t *testing.T) {
			t.Parallel()
			var file strings.Builder
			for i, b := range bodies {
				fmt.Fprintf(&file, `{"custom_id":"c-%d","method":"POST","url":"/v1/completions","body":%s}`+"\n", i, strings.Replace(b, "{", fmt.Sprintf(`{"model":%q,`, model), 1))
			}
			batch := runFamilyBatch(t, client, model, "/v1/completions", []byte(file.String()))
			if batch.RequestCounts.Completed != int64(len(bodies)) {
				t.Fatalf("request_counts = %+v", batch.RequestCounts)
			}
			resp, err := client.Files.Content(context.Background(), batch.OutputFileID)
			if err != nil {
				t.Fatal(err)
			}
			lines := readAll(t, resp.Body)
			resp.Body.Close()
			for _, l := range lines {
				var bl batchLine
				if err := json.Unmarshal([]byte(l), &bl); err != nil || bl.Response == nil {
					t.Fatalf("line %s: %v", l, err)
				}
				var cmp openai.Completion
				if err := json.Unmarshal(bl.Response.Body, &cmp); err != nil {
					t.Fatalf("not a Completion: %v", err)
				}
				wantFinish := openai.CompletionChoiceFinishReasonStop
				if bl.CustomID == "c-1" {
					wantFinish = openai.CompletionChoiceFinishReasonLength
				}
				if cmp.Object != "text_completion" || !strings.HasPrefix(cmp.ID, "cmpl-") || len(cmp.Choices) != 1 ||
					cmp.Choices[0].Text == "" || cmp.Choices[0].FinishReason != wantFinish ||
					cmp.Usage.TotalTokens != cmp.Usage.PromptTokens+cmp.Usage.CompletionTokens {
					t.Errorf("completion %s", bl.Response.Body)
				}
				if model != "mistral-text" && cmp.Usage.CompletionTokens <= 0 {
					t.Errorf("no usage: %s", bl.Response.Body)
				}
			}
		})
	}
}

// TestEndpointLinesRejected: a Responses or Completions parameter the family
// cannot honour is refused at upload, with its line and its Responses name.
func TestEndpointLinesRejected(t *testing.T) {
	e, _ := newFamilyEnv(t, bedrocksim.Faults{})
	key := e.key(local.ModelName, "nova", "llama3")
	ok := `{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"nova","input":"hi"}}`
	for _, tc := range []struct {
		name, model, file, param, code string
		line                           int
	}{
		{"NovaReasoning", "nova", ok + "\n" + `{"custom_id":"b","method":"POST","url":"/v1/responses","body":{"model":"nova","input":"hi","reasoning":{"effort":"high"}}}`, "reasoning.effort", "unsupported_parameter", 2},
		{"MixedURL", "nova", ok + "\n" + `{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"nova","messages":[{"role":"user","content":"hi"}]}}`, "url", "mixed_endpoints", 2},
		{"HostedTool", "nova", `{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"nova","input":"hi","tools":[{"type":"web_search"}]}}`, "tools[0].type", "unsupported_value", 1},
		{"PreviousResponse", "nova", `{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"nova","input":"hi","previous_response_id":"resp_1"}}`, "previous_response_id", "unsupported_parameter", 1},
		{"LlamaTools", "llama3", `{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"llama3","input":"hi","tools":[` + respWeather + `]}}`, "tools", "unsupported_parameter", 1},
		{"ImageURL", "nova", `{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"nova","input":[{"role":"user","content":[{"type":"input_image","image_url":"https://example.com/a.png"}]}]}}`, "input[0].content[0].image_url", "unsupported_value", 1},
		{"CompletionsEcho", "llama3", `{"custom_id":"a","method":"POST","url":"/v1/completions","body":{"model":"llama3","prompt":"hi","echo":true}}`, "echo", "unsupported_parameter", 1},
		{"CompletionsStopLlama", "llama3", `{"custom_id":"a","method":"POST","url":"/v1/completions","body":{"model":"llama3","prompt":"hi","stop":"x"}}`, "stop", "unsupported_parameter", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.upload(key, part{"purpose", "batch"}, part{"file", tc.file})
			if r.status != 400 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var body struct {
				Error struct {
					Param string `json:"param"`
					Data  []struct {
						Code  string `json:"code"`
						Param string `json:"param"`
						Line  int    `json:"line"`
					} `json:"data"`
				} `json:"error"`
			}
			r.json(t, &body)
			if len(body.Error.Data) != 1 || body.Error.Data[0].Param != tc.param || body.Error.Data[0].Line != tc.line || body.Error.Data[0].Code != tc.code {
				t.Errorf("error %s, want code %s param %s on line %d", r.body, tc.code, tc.param, tc.line)
			}
		})
	}

	// A batch's endpoint must be its lines' url.
	r := e.upload(key, part{"purpose", "batch"}, part{"file", ok})
	if r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var f struct{ ID string }
	r.json(t, &f)
	r = e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": f.ID, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
	if r.status != 400 || !strings.Contains(string(r.body), "endpoint") {
		t.Errorf("batch with another endpoint: %d %s", r.status, r.body)
	}
}
