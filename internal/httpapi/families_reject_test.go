package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/batchgate/batchgate/bedrocksim"
)

// TestUploadRejectsWhatAFamilyCannotHonour checks fail fast: a file with
// parameters the target family cannot honour is refused at upload with one
// errors.data item per bad line, each naming its line and parameter, and
// nothing is stored.
func TestUploadRejectsWhatAFamilyCannotHonour(t *testing.T) {
	e, _ := newFamilyEnv(t, bedrocksim.Faults{})
	key := e.key("titan-embed", "llama3", "mistral-chat", "nova", "gpt-oss", "claude-converse")
	chat := func(id, model, extra string) string {
		return fmt.Sprintf(`{"custom_id":%q,"method":"POST","url":"/v1/chat/completions","body":{"model":%q,"messages":[{"role":"user","content":"hi"}]%s}}`, id, model, extra)
	}
	embed := func(id, body string) string {
		return fmt.Sprintf(`{"custom_id":%q,"method":"POST","url":"/v1/embeddings","body":{"model":"titan-embed",%s}}`, id, body)
	}
	type problem struct {
		line  int
		param string
	}
	tests := []struct {
		name, model string
		lines       []string
		want        []problem
	}{
		{"Titan", "titan-embed", []string{
			embed("ok", `"input":"fine","dimensions":256`),
			embed("messages", `"messages":[{"role":"user","content":"hi"}]`),
			embed("dims", `"input":"x","dimensions":300`),
			embed("batch", `"input":["a","b"]`),
			embed("tokens", `"input":[1,2,3]`),
			embed("ok2", `"input":"fine too"`),
			embed("format", `"input":"x","encoding_format":"int8"`),
		}, []problem{{2, "messages"}, {3, "dimensions"}, {4, "input"}, {5, "input"}, {7, "encoding_format"}}},
		{"TitanChatLines", "titan-embed", []string{chat("c1", "titan-embed", ""), chat("c2", "titan-embed", "")},
			[]problem{{1, "url"}, {2, "url"}}},
		{"Llama", "llama3", []string{
			chat("ok", "llama3", `,"max_tokens":10`),
			chat("tools", "llama3", `,"tools":[`+weather+`]`),
			chat("stop", "llama3", `,"stop":["x"]`),
			chat("n", "llama3", `,"n":2`),
			chat("format", "llama3", `,"response_format":{"type":"json_object"}`),
			chat("long", "llama3", `,"max_tokens":4096`),
			`{"custom_id":"image","method":"POST","url":"/v1/chat/completions","body":{"model":"llama3","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + pngURL + `"}}]}]}}`,
		}, []problem{{2, "tools"}, {3, "stop"}, {4, "n"}, {5, "response_format"}, {6, "max_tokens"}, {7, "messages[0].content[0]"}}},
		{"LlamaEmbeddingsLine", "llama3", []string{`{"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{"model":"llama3","input":"x"}}`},
			[]problem{{1, "url"}}},
		{"MistralChat", "mistral-chat", []string{chat("stop", "mistral-chat", `,"stop":["x"]`), chat("ok", "mistral-chat", ""), chat("long", "mistral-chat", `,"max_tokens":9000`)},
			[]problem{{1, "stop"}, {3, "max_tokens"}}},
		{"Nova", "nova", []string{chat("serial", "nova", `,"tools":[`+weather+`],"parallel_tool_calls":false`), chat("seed", "nova", `,"seed":7`), chat("long", "nova", `,"max_completion_tokens":6000`)},
			[]problem{{1, "parallel_tool_calls"}, {2, "seed"}, {3, "max_completion_tokens"}}},
		{"GptOssImage", "gpt-oss", []string{`{"custom_id":"image","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-oss","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + pngURL + `"}}]}]}}`},
			[]problem{{1, "messages[0].content[0]"}}},
		{"ConverseTools", "claude-converse", []string{chat("tools", "claude-converse", `,"tools":[`+weather+`]`), chat("stream", "claude-converse", `,"stream":true`)},
			[]problem{{1, "tools"}, {2, "stream"}}},
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
				if d.Message == "" {
					t.Errorf("line %d: empty message", d.Line)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("errors.data = %v, want %v\n%s", got, tt.want, r.body)
			}
			if ae.Error.Line != tt.want[0].line || ae.Error.Param == nil || *ae.Error.Param != tt.want[0].param ||
				!strings.HasPrefix(ae.Error.Message, fmt.Sprintf("Line %d:", tt.want[0].line)) {
				t.Errorf("error = line %d param %v message %q, want the first problem", ae.Error.Line, ae.Error.Param, ae.Error.Message)
			}
		})
	}
	r := e.do(key, "GET", "/v1/files", "", nil)
	var list struct{ Data []any }
	r.json(t, &list)
	if len(list.Data) != 0 {
		t.Errorf("%d files stored after rejected uploads: %s", len(list.Data), r.body)
	}
}
