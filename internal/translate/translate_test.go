package translate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

func TestFamilyOf(t *testing.T) {
	tests := []struct {
		id   string
		want Family
	}{
		{"anthropic.claude-3-haiku-20240307-v1:0", Anthropic},
		{"bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0", Anthropic},
		{"bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", Anthropic},
		{"eu.anthropic.claude-3-7-sonnet-20250219-v1:0", Anthropic},
		{"apac.anthropic.claude-sonnet-4-20250514-v1:0", Anthropic},
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", Anthropic},
		{"us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0", Anthropic},
		{"jp.anthropic.claude-haiku-4-5-20251001-v1:0", Anthropic},
		{"bedrock/converse/us.anthropic.claude-3-5-haiku-20241022-v1:0", Anthropic},
		{"BEDROCK/US.ANTHROPIC.CLAUDE-3-5-HAIKU-20241022-V1:0", Anthropic},
		{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", Anthropic},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0", Anthropic},
		{"arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", Anthropic},
		{"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", Unknown},
		{"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123", Unknown},
		{"amazon.nova-lite-v1:0", Nova},
		{"us.amazon.nova-premier-v1:0", Nova},
		{"us.amazon.nova-2-lite-v1:0", Nova},
		{"amazon.nova-canvas-v1:0", Unknown},
		{"amazon.nova-reel-v1:0", Unknown},
		{"amazon.nova-sonic-v1:0", Unknown},
		{"amazon.titan-embed-text-v2:0", TitanEmbed},
		{"bedrock/amazon.titan-embed-text-v2:0", TitanEmbed},
		{"amazon.titan-embed-text-v1", Unknown},
		{"amazon.titan-embed-image-v1", Unknown},
		{"amazon.titan-text-express-v1", Unknown},
		{"meta.llama3-1-70b-instruct-v1:0", Llama},
		{"us.meta.llama3-2-90b-instruct-v1:0", Llama},
		{"us.meta.llama3-3-70b-instruct-v1:0", Llama},
		{"us.meta.llama4-scout-17b-instruct-v1:0", Llama},
		{"meta.llama2-13b-chat-v1", Unknown},
		{"mistral.mistral-7b-instruct-v0:2", Mistral},
		{"mistral.mixtral-8x7b-instruct-v0:1", Mistral},
		{"mistral.mistral-small-2402-v1:0", Mistral},
		{"mistral.mistral-large-2407-v1:0", Mistral},
		{"us.mistral.pixtral-large-2502-v1:0", Mistral},
		{"openai.gpt-oss-120b-1:0", OpenAI},
		{"openai.gpt-oss-20b-1:0", OpenAI},
		{"qwen.qwen3-32b-v1:0", OpenAI},
		{"qwen.qwen3-coder-480b-a35b-v1:0", OpenAI},
		{"deepseek.v3-v1:0", OpenAI},
		{"us.deepseek.r1-v1:0", Unknown},
		{"cohere.command-r-v1:0", Unknown},
		{"gpt-4o", Unknown},
		{"", Unknown},
		{"us.", Unknown},
		{"arn:aws:bedrock", Unknown},
	}
	for _, tt := range tests {
		if got := FamilyOf(tt.id); got != tt.want {
			t.Errorf("FamilyOf(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestBaseModel(t *testing.T) {
	tests := map[string]string{
		"bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0":                                              "anthropic.claude-3-5-haiku-20241022-v1:0",
		"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.meta.llama3-2-1b-instruct-v1:0":       "meta.llama3-2-1b-instruct-v1:0",
		"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0":                                 "amazon.nova-pro-v1:0",
		"  amazon.titan-embed-text-v2:0 ":                                                                  "amazon.titan-embed-text-v2:0",
		"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc":                         "",
		"bedrock/invoke/anthropic.claude-3-haiku-20240307-v1:0":                                            "anthropic.claude-3-haiku-20240307-v1:0",
		"arn:aws:bedrock:us-east-1:123456789012:system-defined-inference-profile/us.amazon.nova-lite-v1:0": "amazon.nova-lite-v1:0",
	}
	for in, want := range tests {
		if got := BaseModel(in); got != want {
			t.Errorf("BaseModel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClaudeOneSampler(t *testing.T) {
	for id, want := range map[string]bool{
		"anthropic.claude-3-5-haiku-20241022-v1:0":  false,
		"anthropic.claude-3-7-sonnet-20250219-v1:0": false,
		"anthropic.claude-sonnet-4-20250514-v1:0":   false,
		"anthropic.claude-opus-4-20250514-v1:0":     false,
		"anthropic.claude-opus-4-1-20250805-v1:0":   true,
		"anthropic.claude-sonnet-4-5-20250929-v1:0": true,
		"anthropic.claude-haiku-4-5-20251001-v1:0":  true,
		"anthropic.claude-sonnet-4-6":               true,
		"anthropic.claude-opus-5-20260101-v1:0":     true,
		"anthropic.claude-v2":                       false,
	} {
		if got := claudeOneSampler(id); got != want {
			t.Errorf("claudeOneSampler(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestFamilyEndpoint(t *testing.T) {
	for f, want := range map[Family]string{Anthropic: EndpointChatCompletions, Nova: EndpointChatCompletions, Llama: EndpointChatCompletions, Mistral: EndpointChatCompletions, OpenAI: EndpointChatCompletions, TitanEmbed: EndpointEmbeddings, Unknown: ""} {
		if got := f.Endpoint(); got != want {
			t.Errorf("%s.Endpoint() = %q, want %q", f, got, want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"OK", Options{ModelID: "anthropic.claude-3-haiku-20240307-v1:0"}, true},
		{"OKConverse", Options{ModelID: "us.meta.llama3-1-8b-instruct-v1:0", InvocationType: Converse}, true},
		{"OKInvokeModel", Options{ModelID: "amazon.titan-embed-text-v2:0", InvocationType: InvokeModel}, true},
		{"OKFamilyOverride", Options{ModelID: "arn:aws:bedrock:us-east-1:1:application-inference-profile/x", Family: Anthropic}, true},
		{"OKBaseModel", Options{ModelID: "arn:aws:bedrock:us-east-1:1:application-inference-profile/x", BaseModel: "us.anthropic.claude-3-5-haiku-20241022-v1:0"}, true},
		{"ErrBaseModelUnknown", Options{ModelID: "arn:aws:bedrock:us-east-1:1:application-inference-profile/x", BaseModel: "cohere.command-r-v1:0"}, false},
		{"ErrUnknownModel", Options{ModelID: "cohere.command-r-v1:0"}, false},
		{"ErrApplicationProfile", Options{ModelID: "arn:aws:bedrock:us-east-1:1:application-inference-profile/x"}, false},
		{"ErrEmbeddingsConverse", Options{ModelID: "amazon.titan-embed-text-v2:0", InvocationType: Converse}, false},
		{"ErrInvocationType", Options{ModelID: "amazon.nova-lite-v1:0", InvocationType: "Batch"}, false},
		{"ErrFamily", Options{ModelID: "amazon.nova-lite-v1:0", Family: "cohere"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Check()
			if (err == nil) != tt.ok {
				t.Fatalf("Check() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		req, lerr := ParseLine(1, []byte(` {"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}} `+"\r\n"))
		if lerr != nil {
			t.Fatal(lerr)
		}
		if req.CustomID != "a" || req.Method != "POST" || req.URL != EndpointChatCompletions || req.Model != "m" {
			t.Fatalf("got %+v", req)
		}
		if !json.Valid(req.Body) || !strings.Contains(string(req.Body), `"messages"`) {
			t.Fatalf("body = %s", req.Body)
		}
	})
	t.Run("OKNormalised", func(t *testing.T) {
		req, lerr := ParseLine(1, []byte(`{"custom_id":"a","method":"post","url":"/embeddings","body":{"model":"m","input":"x"}}`))
		if lerr != nil {
			t.Fatal(lerr)
		}
		if req.Method != "POST" || req.URL != EndpointEmbeddings {
			t.Fatalf("got %+v", req)
		}
	})
	t.Run("OKOtherEndpoints", func(t *testing.T) {
		for url, want := range map[string]string{"/v1/responses": EndpointResponses, "/responses": EndpointResponses, "/v1/completions": EndpointCompletions, "/completions": EndpointCompletions} {
			req, lerr := ParseLine(1, []byte(`{"custom_id":"a","method":"POST","url":"`+url+`","body":{"model":"m","input":"x"}}`))
			if lerr != nil || req.URL != want {
				t.Fatalf("%s: got %+v, %v", url, req, lerr)
			}
		}
	})
	tests := []struct {
		name, line  string
		code, param string
	}{
		{"ErrEmpty", ``, CodeInvalidJSON, ""},
		{"ErrNotJSON", `{"custom_id":`, CodeInvalidJSON, ""},
		{"ErrNotObject", `["a"]`, CodeInvalidJSON, ""},
		{"ErrUnknownField", `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m"},"extra":1}`, CodeUnknownParameter, "extra"},
		{"ErrMissingCustomID", `{"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}`, CodeMissingParameter, "custom_id"},
		{"ErrNullCustomID", `{"custom_id":null,"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}`, CodeMissingParameter, "custom_id"},
		{"ErrCustomIDType", `{"custom_id":5,"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}`, CodeInvalidType, "custom_id"},
		{"ErrEmptyCustomID", `{"custom_id":"","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}`, CodeInvalidValue, "custom_id"},
		{"ErrMissingMethod", `{"custom_id":"a","url":"/v1/chat/completions","body":{"model":"m"}}`, CodeMissingParameter, "method"},
		{"ErrMethod", `{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{"model":"m"}}`, CodeInvalidValue, "method"},
		{"ErrMissingURL", `{"custom_id":"a","method":"POST","body":{"model":"m"}}`, CodeMissingParameter, "url"},
		{"ErrURLType", `{"custom_id":"a","method":"POST","url":1,"body":{"model":"m"}}`, CodeInvalidType, "url"},
		{"ErrURL", `{"custom_id":"a","method":"POST","url":"/v1/chat","body":{"model":"m"}}`, CodeInvalidValue, "url"},
		{"ErrURLModerations", `{"custom_id":"a","method":"POST","url":"/v1/moderations","body":{"model":"m"}}`, CodeUnsupportedValue, "url"},
		{"ErrMissingBody", `{"custom_id":"a","method":"POST","url":"/v1/chat/completions"}`, CodeMissingParameter, "body"},
		{"ErrBodyType", `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":"x"}`, CodeInvalidType, "body"},
		{"ErrMissingModel", `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}`, CodeMissingParameter, "body.model"},
		{"ErrModelType", `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":1}}`, CodeInvalidType, "body.model"},
		{"ErrEmptyModel", `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":""}}`, CodeInvalidValue, "body.model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, lerr := ParseLine(42, []byte(tt.line))
			if lerr == nil {
				t.Fatal("no error")
			}
			if lerr.Code != tt.code || lerr.Param != tt.param || lerr.Line != 42 || lerr.Message == "" {
				t.Fatalf("got %+v, want code=%s param=%s line=42", lerr, tt.code, tt.param)
			}
			if !strings.HasPrefix(lerr.Error(), "line 42: ") {
				t.Fatalf("Error() = %q", lerr.Error())
			}
		})
	}
}

// TestRejectedParams checks, family by family, that each parameter the
// family cannot honour is rejected with its name.
func TestRejectedParams(t *testing.T) {
	models := map[Family]string{
		Anthropic: "us.anthropic.claude-3-5-haiku-20241022-v1:0",
		Nova:      "us.amazon.nova-pro-v1:0",
		Llama:     "us.meta.llama3-3-70b-instruct-v1:0",
		Mistral:   "mistral.mistral-large-2407-v1:0",
		OpenAI:    "openai.gpt-oss-20b-1:0",
	}
	const tool = `[{"type":"function","function":{"name":"f"}}]`
	everywhere := []struct{ param, value, code string }{
		{"n", `3`, CodeUnsupportedParameter},
		{"stream", `true`, CodeUnsupportedParameter},
		{"stream_options", `{"include_usage":true}`, CodeUnsupportedParameter},
		{"logprobs", `true`, CodeUnsupportedParameter},
		{"top_logprobs", `2`, CodeUnsupportedParameter},
		{"logit_bias", `{"1":1}`, CodeUnsupportedParameter},
		{"presence_penalty", `0.1`, CodeUnsupportedParameter},
		{"frequency_penalty", `0.1`, CodeUnsupportedParameter},
		{"seed", `1`, CodeUnsupportedParameter},
		{"audio", `{}`, CodeUnsupportedParameter},
		{"modalities", `["text","audio"]`, CodeUnsupportedParameter},
		{"prediction", `{}`, CodeUnsupportedParameter},
		{"web_search_options", `{}`, CodeUnsupportedParameter},
		{"functions", `[]`, CodeUnsupportedParameter},
		{"function_call", `"auto"`, CodeUnsupportedParameter},
		{"verbosity", `"high"`, CodeUnsupportedParameter},
		{"service_tier", `"flex"`, CodeUnsupportedValue},
		{"no_such_param", `1`, CodeUnknownParameter},
	}
	for fam, model := range models {
		for _, p := range everywhere {
			t.Run(fmt.Sprintf("%s/%s", fam, p.param), func(t *testing.T) {
				expectReject(t, model, "", fmt.Sprintf(`"messages":[{"role":"user","content":"x"}],%q:%s`, p.param, p.value), p.code, p.param)
			})
		}
	}
	perFamily := []struct {
		family      Family
		model, inv  string
		body        string
		code, param string
	}{
		{Anthropic, "", "", `"temperature":1.1`, CodeInvalidValue, "temperature"},
		{Anthropic, "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "", `"temperature":0.5,"top_p":0.9`, CodeUnsupportedValue, "top_p"},
		{Anthropic, "", "", `"reasoning_effort":"low"`, CodeUnsupportedParameter, "reasoning_effort"},
		{Anthropic, "", "", `"thinking":{"type":"enabled","budget_tokens":2000}`, CodeUnsupportedParameter, "thinking"},
		{Anthropic, "us.anthropic.claude-opus-4-20250514-v1:0", "", `"thinking":{"type":"enabled","budget_tokens":100}`, CodeInvalidValue, "thinking.budget_tokens"},
		{Anthropic, "us.anthropic.claude-opus-4-20250514-v1:0", "", `"reasoning_effort":"low","top_k":3`, CodeUnsupportedValue, "top_k"},
		{Anthropic, "us.anthropic.claude-opus-4-20250514-v1:0", "", `"reasoning_effort":"low","top_p":0.5`, CodeUnsupportedValue, "top_p"},
		{Anthropic, "us.anthropic.claude-opus-4-20250514-v1:0", "", `"reasoning_effort":"low","tools":` + tool + `,"tool_choice":"required"`, CodeUnsupportedValue, "tool_choice"},
		{Anthropic, "us.anthropic.claude-opus-4-20250514-v1:0", "", `"reasoning_effort":"low","response_format":{"type":"json_object"}`, CodeUnsupportedValue, "response_format"},
		{Anthropic, "us.anthropic.claude-opus-4-20250514-v1:0", "", `"reasoning_effort":"low","thinking":{"type":"enabled","budget_tokens":2000}`, CodeInvalidValue, "thinking"},
		{Anthropic, "", "", `"reasoning_effort":"extreme"`, CodeInvalidValue, "reasoning_effort"},
		{Anthropic, "", "Converse", `"tools":` + tool, CodeUnsupportedParameter, "tools"},
		{Anthropic, "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "", `"parallel_tool_calls":false,"tools":` + tool, CodeUnsupportedValue, "parallel_tool_calls"},
		{Anthropic, "anthropic.claude-3-haiku-20240307-v1:0", "", `"parallel_tool_calls":false,"tools":` + tool + `,"tool_choice":"required"`, CodeUnsupportedValue, "parallel_tool_calls"},
		{Nova, "", "", `"parallel_tool_calls":false,"tools":` + tool, CodeUnsupportedValue, "parallel_tool_calls"},
		{Nova, "", "", `"reasoning_effort":"high"`, CodeUnsupportedParameter, "reasoning_effort"},
		{Nova, "", "", `"temperature":1.5`, CodeInvalidValue, "temperature"},
		{Nova, "", "", `"tools":` + tool + `,"response_format":{"type":"json_object"}`, CodeUnsupportedValue, "response_format"},
		{Llama, "", "", `"top_k":1`, CodeUnsupportedParameter, "top_k"},
		{Llama, "", "", `"stop":"x"`, CodeUnsupportedParameter, "stop"},
		{Llama, "", "", `"tools":` + tool, CodeUnsupportedParameter, "tools"},
		{Llama, "", "", `"response_format":{"type":"json_object"}`, CodeUnsupportedParameter, "response_format"},
		{Llama, "", "", `"reasoning_effort":"low"`, CodeUnsupportedParameter, "reasoning_effort"},
		{Llama, "", "", `"max_tokens":2049`, CodeInvalidValue, "max_tokens"},
		{Llama, "", "", `"temperature":1.01`, CodeInvalidValue, "temperature"},
		{Mistral, "", "", `"stop":"x"`, CodeUnsupportedParameter, "stop"},
		{Mistral, "", "", `"top_k":5`, CodeUnsupportedParameter, "top_k"},
		{Mistral, "", "", `"response_format":{"type":"json_object"}`, CodeUnsupportedParameter, "response_format"},
		{Mistral, "", "", `"parallel_tool_calls":false,"tools":` + tool, CodeUnsupportedValue, "parallel_tool_calls"},
		{Mistral, "mistral.mixtral-8x7b-instruct-v0:1", "", `"stop":["a","b","c","d","e","f","g","h","i","j","k"]`, CodeInvalidValue, "stop"},
		{Mistral, "mistral.mixtral-8x7b-instruct-v0:1", "", `"tools":` + tool, CodeUnsupportedParameter, "tools"},
		{OpenAI, "", "", `"top_k":5`, CodeUnsupportedParameter, "top_k"},
		{OpenAI, "", "", `"thinking":{"type":"enabled","budget_tokens":2000}`, CodeUnsupportedParameter, "thinking"},
		{OpenAI, "", "", `"reasoning_effort":"xhigh"`, CodeUnsupportedValue, "reasoning_effort"},
		{OpenAI, "qwen.qwen3-32b-v1:0", "", `"reasoning_effort":"low"`, CodeUnsupportedParameter, "reasoning_effort"},
		{OpenAI, "", "Converse", `"response_format":{"type":"json_object"}`, CodeUnsupportedParameter, "response_format"},
		{OpenAI, "", "Converse", `"temperature":1.01`, CodeInvalidValue, "temperature"},
		{OpenAI, "qwen.qwen3-32b-v1:0", "Converse", `"temperature":2`, CodeInvalidValue, "temperature"},
		{OpenAI, "deepseek.v3-v1:0", "Converse", `"temperature":1.5`, CodeInvalidValue, "temperature"},
		{Mistral, "mistral.mistral-large-2407-v1:0", "Converse", `"temperature":1.5`, CodeInvalidValue, "temperature"},
	}
	for _, p := range perFamily {
		model := p.model
		if model == "" {
			model = models[p.family]
		}
		t.Run(fmt.Sprintf("%s/%s/%s", p.family, p.inv, p.body), func(t *testing.T) {
			expectReject(t, model, p.inv, `"messages":[{"role":"user","content":"x"}],`+p.body, p.code, p.param)
		})
	}
}

func expectReject(t *testing.T, model, inv, body, code, param string) {
	t.Helper()
	line := fmt.Sprintf(`{"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":{"model":"m",%s}}`, body)
	req, lerr := ParseLine(3, []byte(line))
	if lerr != nil {
		t.Fatalf("ParseLine: %v", lerr)
	}
	rec, lerr := ToBedrock(Options{ModelID: model, InvocationType: inv}, 3, req)
	if lerr == nil {
		t.Fatalf("accepted: %s", rec)
	}
	if lerr.Code != code || lerr.Param != param || lerr.Line != 3 || lerr.Message == "" {
		t.Fatalf("got %+v, want code=%s param=%s", lerr, code, param)
	}
}

func TestToBedrockWithoutParseLine(t *testing.T) {
	req := Request{CustomID: "x", Method: "POST", URL: "/chat/completions", Body: json.RawMessage(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`)}
	rec, lerr := ToBedrock(Options{ModelID: "amazon.nova-micro-v1:0"}, 1, req)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if want := `{"recordId":"x","modelInput":{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"text":"hi"}]}]}}`; string(rec) != want {
		t.Fatalf("got  %s\nwant %s", rec, want)
	}
	for name, req := range map[string]Request{
		"ErrNoCustomID": {URL: EndpointChatCompletions, Body: json.RawMessage(`{"messages":[]}`)},
		"ErrBody":       {CustomID: "x", URL: EndpointChatCompletions, Body: json.RawMessage(`[]`)},
	} {
		if _, lerr := ToBedrock(Options{ModelID: "amazon.nova-micro-v1:0"}, 1, req); lerr == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, lerr := ToBedrock(Options{ModelID: "cohere.command-r-v1:0"}, 9, req); lerr == nil || lerr.Code != CodeUnsupportedModel || lerr.Line != 9 {
		t.Errorf("unknown model: got %+v", lerr)
	}
}

func TestRecordTooLarge(t *testing.T) {
	big := strings.Repeat("a", maxAnthropicRecordBytes)
	body, _ := json.Marshal(map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": big}}})
	req := Request{CustomID: "x", URL: EndpointChatCompletions, Body: body}
	_, lerr := ToBedrock(Options{ModelID: "anthropic.claude-3-haiku-20240307-v1:0"}, 1, req)
	if lerr == nil || lerr.Code != CodeRecordTooLarge {
		t.Fatalf("got %+v, want %s", lerr, CodeRecordTooLarge)
	}
	if _, lerr := ToBedrock(Options{ModelID: "amazon.nova-lite-v1:0"}, 1, req); lerr != nil {
		t.Fatalf("Nova's limit is 25 MB: %v", lerr)
	}
}

func TestOutputLineErrors(t *testing.T) {
	opts := Options{ModelID: "anthropic.claude-3-haiku-20240307-v1:0"}
	for name, raw := range map[string]string{
		"NotJSON":    `{"recordId":`,
		"NoRecordID": `{"modelOutput":{}}`,
		"Array":      `[]`,
	} {
		if _, _, _, err := OutputLine(opts, []byte(raw), "m", 1); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, _, err := OutputLine(Options{ModelID: "x.y"}, []byte(`{"recordId":"a"}`), "m", 1); err == nil {
		t.Error("unknown model: no error")
	}
}

func TestOutputLineDeterministic(t *testing.T) {
	opts := Options{ModelID: "meta.llama3-1-8b-instruct-v1:0"}
	raw := []byte(`{"recordId":"r","modelInput":{},"modelOutput":{"generation":"x","prompt_token_count":1,"generation_token_count":2,"stop_reason":"stop"}}`)
	a, _, _, _ := OutputLine(opts, raw, "m", 1)
	b, _, _, _ := OutputLine(opts, raw, "m", 1)
	if string(a) != string(b) {
		t.Fatalf("two conversions differ:\n%s\n%s", a, b)
	}
}

func TestErrorLine(t *testing.T) {
	var l struct {
		ID       string          `json:"id"`
		CustomID string          `json:"custom_id"`
		Response json.RawMessage `json:"response"`
		Error    struct{ Code, Message string }
	}
	if err := json.Unmarshal(ErrorLine("r-1", 0, "batch_expired", "This request could not be executed before the completion window expired."), &l); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.ID, "batch_req_") || l.CustomID != "r-1" || string(l.Response) != "null" || l.Error.Code != "batch_expired" || l.Error.Message == "" {
		t.Fatalf("got %+v", l)
	}
	var l2 struct {
		Response struct {
			StatusCode int `json:"status_code"`
			Body       struct {
				Error struct{ Type, Code string }
			}
		}
	}
	if err := json.Unmarshal(ErrorLine("r-1", 503, "", "unavailable"), &l2); err != nil {
		t.Fatal(err)
	}
	if l2.Response.StatusCode != 503 || l2.Response.Body.Error.Type != "server_error" || l2.Response.Body.Error.Code != "server_error" {
		t.Fatalf("got %+v", l2)
	}
}

// Fuzz tests.

// seedLines returns the request and Bedrock output lines of the golden files.
func seedLines(f *testing.F, section string) [][]byte {
	files, _ := filepath.Glob("testdata/*/*.txtar")
	var out [][]byte
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if s := txtarGet(txtar.Parse(data), section); s != "" {
			out = append(out, []byte(strings.TrimSpace(s)))
		}
	}
	return out
}

var fuzzModels = []Options{
	{ModelID: "us.anthropic.claude-3-5-haiku-20241022-v1:0"},
	{ModelID: "us.anthropic.claude-sonnet-4-20250514-v1:0"},
	{ModelID: "us.amazon.nova-lite-v1:0"},
	{ModelID: "us.meta.llama3-2-11b-instruct-v1:0"},
	{ModelID: "us.meta.llama4-scout-17b-instruct-v1:0"},
	{ModelID: "mistral.mistral-7b-instruct-v0:2"},
	{ModelID: "mistral.mistral-large-2407-v1:0"},
	{ModelID: "openai.gpt-oss-120b-1:0"},
	{ModelID: "qwen.qwen3-32b-v1:0"},
	{ModelID: "amazon.titan-embed-text-v2:0"},
	{ModelID: "us.anthropic.claude-sonnet-4-20250514-v1:0", InvocationType: Converse},
	{ModelID: "us.amazon.nova-lite-v1:0", InvocationType: Converse},
	{ModelID: "meta.llama3-1-8b-instruct-v1:0", InvocationType: Converse},
	// Output lines of /v1/responses and /v1/completions batches.
	{ModelID: "us.anthropic.claude-sonnet-4-20250514-v1:0", Endpoint: EndpointResponses},
	{ModelID: "us.amazon.nova-lite-v1:0", Endpoint: EndpointResponses},
	{ModelID: "openai.gpt-oss-120b-1:0", Endpoint: EndpointResponses},
	{ModelID: "us.meta.llama3-2-11b-instruct-v1:0", Endpoint: EndpointCompletions},
	{ModelID: "mistral.mistral-7b-instruct-v0:2", Endpoint: EndpointCompletions},
}

func FuzzParseLine(f *testing.F) {
	for _, l := range seedLines(f, "request.jsonl") {
		f.Add(l)
	}
	f.Add([]byte(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, line []byte) {
		req, lerr := ParseLine(1, line)
		if lerr != nil {
			checkLineError(t, lerr)
			return
		}
		if req.CustomID == "" || req.Model == "" || req.Method != "POST" || !slices.Contains([]string{EndpointChatCompletions, EndpointEmbeddings, EndpointResponses, EndpointCompletions}, req.URL) {
			t.Fatalf("accepted an invalid envelope: %+v", req)
		}
	})
}

func FuzzToBedrock(f *testing.F) {
	for _, l := range seedLines(f, "request.jsonl") {
		for i := range fuzzModels {
			f.Add(uint8(i), l)
		}
	}
	f.Fuzz(func(t *testing.T, model uint8, line []byte) {
		opts := fuzzModels[int(model)%len(fuzzModels)]
		checkPathsAgree(t, opts, line)
		checkEncodeRecord(t, opts, line)
		req, lerr := ParseLine(1, line)
		if lerr != nil {
			checkLineError(t, lerr)
			return
		}
		rec, lerr := ToBedrock(opts, 1, req)
		if lerr != nil {
			checkLineError(t, lerr)
			return
		}
		var r struct {
			RecordID   string          `json:"recordId"`
			ModelInput json.RawMessage `json:"modelInput"`
		}
		if err := json.Unmarshal(rec, &r); err != nil {
			t.Fatalf("record is not JSON: %v\n%s", err, rec)
		}
		if r.RecordID != req.CustomID {
			t.Fatalf("recordId %q, want %q", r.RecordID, req.CustomID)
		}
		if _, ok := asObject(r.ModelInput); !ok {
			t.Fatalf("modelInput is not an object: %s", rec)
		}
		if strings.ContainsRune(string(rec), '\n') {
			t.Fatalf("record has a raw new line: %q", rec)
		}
	})
}

func FuzzOutputLine(f *testing.F) {
	for _, l := range seedLines(f, "bedrock.jsonl") {
		for i := range fuzzModels {
			f.Add(uint8(i), l)
		}
	}
	f.Fuzz(func(t *testing.T, model uint8, line []byte) {
		opts := fuzzModels[int(model)%len(fuzzModels)]
		out, ok, usage, err := OutputLine(opts, line, "m", 1)
		if err != nil {
			if out != nil || ok {
				t.Fatal("error with a line")
			}
			return
		}
		var l struct {
			CustomID *string `json:"custom_id"`
			Response *struct {
				StatusCode int `json:"status_code"`
			} `json:"response"`
			Error *struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(out, &l); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		if l.CustomID == nil || l.Response == nil {
			t.Fatalf("output lacks custom_id or response: %s", out)
		}
		if ok != (l.Response.StatusCode == 200 && l.Error == nil) {
			t.Fatalf("ok=%v but line %s", ok, out)
		}
		if !ok && (usage != Usage{} || l.Error.Message == "") {
			t.Fatalf("error line with usage or without message: %s", out)
		}
		if ok {
			var b struct {
				Response struct {
					Body struct {
						Object string `json:"object"`
						Output []struct {
							Type string `json:"type"`
						} `json:"output"`
						Choices []struct {
							Text *string `json:"text"`
						} `json:"choices"`
					} `json:"body"`
				} `json:"response"`
			}
			_ = json.Unmarshal(out, &b)
			body := b.Response.Body
			switch opts.Endpoint {
			case EndpointResponses:
				if body.Object != "response" || len(body.Output) == 0 {
					t.Fatalf("not a Response with output: %s", out)
				}
			case EndpointCompletions:
				if body.Object != "text_completion" || len(body.Choices) != 1 || body.Choices[0].Text == nil {
					t.Fatalf("not a text_completion: %s", out)
				}
			}
		}
	})
}

func checkLineError(t *testing.T, lerr *LineError) {
	t.Helper()
	if lerr.Message == "" || lerr.Code == "" || lerr.Line != 1 {
		t.Fatalf("bad LineError: %+v", lerr)
	}
}

// Benchmark.

func BenchmarkToBedrockAnthropic(b *testing.B) {
	imgs, _ := os.ReadFile("testdata/anthropic/images.txtar")
	lines := map[string][]byte{
		"text":  []byte(`{"custom_id":"request-1","method":"POST","url":"/v1/chat/completions","body":{"model":"bedrock-batch-claude","max_tokens":1024,"temperature":0.2,"messages":[{"role":"system","content":"You are a helpful assistant that answers in one short paragraph."},{"role":"user","content":"` + strings.Repeat("Summarise the history of the printing press. ", 40) + `"},{"role":"assistant","content":"The printing press..."},{"role":"user","content":"Now in French."}],"tools":[{"type":"function","function":{"name":"lookup","description":"Look a term up.","parameters":{"type":"object","properties":{"term":{"type":"string"}},"required":["term"]}}}],"stop":["END"]}}`),
		"image": []byte(strings.TrimSpace(txtarGet(txtar.Parse(imgs), "request.jsonl"))),
	}
	opts := Options{ModelID: "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"}
	for name, line := range lines {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				req, lerr := ParseLine(1, line)
				if lerr != nil {
					b.Fatal(lerr)
				}
				if _, lerr := ToBedrock(opts, 1, req); lerr != nil {
					b.Fatal(lerr)
				}
			}
		})
	}
}

func BenchmarkOutputLineAnthropic(b *testing.B) {
	line := []byte(`{"modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":2048,"messages":[{"role":"user","content":[{"type":"text","text":"` + strings.Repeat("x", 2000) + `"}]}]},"modelOutput":{"id":"msg_bdrk_018FaiigbPq6PehfhWM2GMBv","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[{"type":"text","text":"` + strings.Repeat("y", 2000) + `"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":111,"output_tokens":73}},"recordId":"r1"}`)
	opts := Options{ModelID: "anthropic.claude-3-haiku-20240307-v1:0"}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := OutputLine(opts, line, "m", 1); err != nil {
			b.Fatal(err)
		}
	}
}

// slowPath translates a line with ParseLine's reference (map-based) path.
func slowPath(opts Options, line []byte) ([]byte, *LineError) {
	req, lerr := parseLineSlow(bytes.TrimSpace(line))
	if lerr != nil {
		lerr.Line = 1
		return nil, lerr
	}
	return ToBedrock(opts, 1, req)
}

// checkPathsAgree fails if the fast path of ParseLine and the slow path
// translate a line differently.
func checkPathsAgree(t *testing.T, opts Options, line []byte) (fast bool) {
	t.Helper()
	raw := bytes.TrimSpace(line)
	if len(raw) == 0 {
		return false
	}
	_, _, fast = parseLineFast(raw)
	req, lerr := ParseLine(1, line)
	var rec []byte
	if lerr == nil {
		rec, lerr = ToBedrock(opts, 1, req)
	}
	srec, slerr := slowPath(opts, line)
	if (lerr == nil) != (slerr == nil) || (lerr != nil && *lerr != *slerr) || !bytes.Equal(rec, srec) {
		t.Fatalf("fast path (used: %v) and slow path disagree on %q:\nfast: %s %+v\nslow: %s %+v", fast, line, rec, lerr, srec, slerr)
	}
	return fast
}

func TestFastPathAgrees(t *testing.T) {
	lines := [][]byte{
		[]byte(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"}],"Tools":[]}}`),
		[]byte(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"}],"messages":[]}}`),
		[]byte(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","Body":{"model":"m","messages":[{"role":"user","content":"x"}]}}`),
		[]byte(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","m\u0065ssages":[{"role":"user","content":"x"}]}}`),
		[]byte(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x","extra":1}]}}`),
		[]byte(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":null,"tools":null}}`),
		[]byte(`{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x","messages":[]}}`),
		[]byte(`{ "custom_id" : "a" , "method":"POST","url":"/v1/chat/completions","body":{ "model" : "m" , "messages" : [ {"role":"user","content":"x"} ] , "stop" : [ "]}\"" ] } }`),
	}
	lines = append(lines, seedLinesT(t, "request.jsonl")...)
	fast := 0
	for _, l := range lines {
		for _, opts := range fuzzModels {
			if checkPathsAgree(t, opts, l) {
				fast++
			}
		}
	}
	if fast == 0 {
		t.Fatal("the fast path was never used")
	}
}

func seedLinesT(t *testing.T, section string) [][]byte {
	files, _ := filepath.Glob("testdata/*/*.txtar")
	var out [][]byte
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if s := txtarGet(txtar.Parse(data), section); s != "" {
			out = append(out, []byte(strings.TrimSpace(s)))
		}
	}
	return out
}
