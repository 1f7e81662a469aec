package bedrocksim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/batchgate/batchgate/bedrocksim"
)

// modelCase is one record of a family's job: a valid input checked by check,
// or an invalid one whose error line must contain err.
type modelCase struct {
	name  string
	input string
	err   string
	check func(t *testing.T, out map[string]any)
}

// dig walks a decoded JSON value by keys and indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// wantTokens is the emulator's token estimate: about four bytes a token.
func wantTokens(s string) int64 { return int64((len(s) + 3) / 4) }

// runModelCases runs all cases as one job and checks each output line and
// the manifest.
func runModelCases(t *testing.T, modelID string, invocation types.ModelInvocationType, cases []modelCase) {
	t.Helper()
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: -1, StepDelay: 1})
	var in bytes.Buffer
	for _, c := range cases {
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(c.input)); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		fmt.Fprintf(&in, `{"recordId":%q,"modelInput":%s}`+"\n", c.name, compact.Bytes())
	}
	e.put(t, "in/records.jsonl", in.Bytes())
	arn := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) {
		in.ModelId = aws.String(modelID)
		in.ModelInvocationType = invocation
	})
	job := e.wait(t, arn, types.ModelInvocationJobStatusCompleted)

	lines := map[string]map[string]json.RawMessage{}
	for _, l := range e.lines(t, "out/"+jobID(arn)+"/records.jsonl.out") {
		var id string
		_ = json.Unmarshal(l["recordId"], &id)
		lines[id] = l
	}
	var wantErrors int64
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, ok := lines[c.name]
			if !ok {
				t.Fatal("no output line")
			}
			var echoed, sent any
			_ = json.Unmarshal(l["modelInput"], &echoed)
			_ = json.Unmarshal([]byte(c.input), &sent)
			if fmt.Sprint(echoed) != fmt.Sprint(sent) {
				t.Errorf("modelInput not echoed: %s", l["modelInput"])
			}
			if c.err != "" {
				var e struct {
					ErrorCode    int
					ErrorMessage string
				}
				if err := json.Unmarshal(l["error"], &e); err != nil || e.ErrorCode != 400 {
					t.Fatalf("error=%s, want errorCode 400 (line %v)", l["error"], l)
				}
				if _, ok := l["modelOutput"]; ok {
					t.Error("an error line has modelOutput")
				}
				if !strings.Contains(e.ErrorMessage, c.err) {
					t.Errorf("errorMessage=%q\nwant it to contain %q", e.ErrorMessage, c.err)
				}
				return
			}
			if _, ok := l["error"]; ok {
				t.Fatalf("unexpected error %s", l["error"])
			}
			var out map[string]any
			if err := json.Unmarshal(l["modelOutput"], &out); err != nil {
				t.Fatalf("modelOutput=%s: %v", l["modelOutput"], err)
			}
			c.check(t, out)
		})
		if c.err != "" {
			wantErrors++
		}
	}
	m := e.manifest(t, jobID(arn))
	total := int64(len(cases))
	if m.TotalRecordCount != total || m.ProcessedRecordCount != total || m.ErrorRecordCount != wantErrors ||
		m.SuccessRecordCount != total-wantErrors || m.InputTokenCount == 0 {
		t.Errorf("manifest=%+v, want %d records, %d errors", m, total, wantErrors)
	}
	if aws.ToInt64(job.ErrorRecordCount) != wantErrors || aws.ToInt64(job.SuccessRecordCount) != total-wantErrors {
		t.Errorf("Get counts: success %d error %d", aws.ToInt64(job.SuccessRecordCount), aws.ToInt64(job.ErrorRecordCount))
	}
}

const anthropicOK = `{"anthropic_version":"bedrock-2023-05-31","max_tokens":200,"messages":[{"role":"user","content":"Hello there"}]}`

func TestModel_Anthropic(t *testing.T) {
	runModelCases(t, "us.anthropic.claude-3-haiku-20240307-v1:0", "", []modelCase{
		{name: "OK", input: anthropicOK, check: func(t *testing.T, out map[string]any) {
			text := str(dig(out, "content", 0, "text"))
			if !strings.HasPrefix(str(out["id"]), "msg_bdrk_") || out["type"] != "message" || out["role"] != "assistant" ||
				out["model"] != "claude-3-haiku-20240307" || dig(out, "content", 0, "type") != "text" ||
				!strings.HasSuffix(text, "You said: Hello there") || out["stop_reason"] != "end_turn" {
				t.Errorf("modelOutput=%v", out)
			}
			if v, ok := out["stop_sequence"]; !ok || v != nil {
				t.Errorf("stop_sequence=%v (present %v), want null", v, ok)
			}
			if num(dig(out, "usage", "output_tokens")) != wantTokens(text) || num(dig(out, "usage", "input_tokens")) < 1 {
				t.Errorf("usage=%v", out["usage"])
			}
		}},
		{name: "OKBlocks", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"system":[{"type":"text","text":"Be brief."}],"temperature":0.2,"top_p":0.9,"top_k":50,
			"messages":[{"role":"user","content":[{"type":"text","text":"First"}]},{"role":"assistant","content":"Ok"},{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},{"type":"text","text":"Describe"}]}],
			"tools":[{"name":"get_weather","description":"d","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto"}}`,
			check: func(t *testing.T, out map[string]any) {
				if text := str(dig(out, "content", 0, "text")); !strings.HasSuffix(text, "You said: Describe") {
					t.Errorf("text=%q, want a reply to the last user message", text)
				}
			}},
		{name: "MaxTokens", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":3,"messages":[{"role":"user","content":"Tell me a long story"}]}`,
			check: func(t *testing.T, out map[string]any) {
				if out["stop_reason"] != "max_tokens" || num(dig(out, "usage", "output_tokens")) != 3 {
					t.Errorf("stop_reason=%v usage=%v", out["stop_reason"], out["usage"])
				}
			}},
		{name: "StopSequence", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"stop_sequences":["said"],"messages":[{"role":"user","content":"Hi"}]}`,
			check: func(t *testing.T, out map[string]any) {
				if out["stop_reason"] != "stop_sequence" || out["stop_sequence"] != "said" || strings.Contains(str(dig(out, "content", 0, "text")), "said") {
					t.Errorf("modelOutput=%v", out)
				}
			}},
		{name: "ErrNoVersion", input: `{"max_tokens":10,"messages":[{"role":"user","content":"x"}]}`,
			err: "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again."},
		{name: "ErrVersion", input: `{"anthropic_version":"2023-06-01","max_tokens":10,"messages":[{"role":"user","content":"x"}]}`, err: "#/anthropic_version: 2023-06-01 is not a valid enum value"},
		{name: "ErrNoMaxTokens", input: `{"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"x"}]}`, err: "required key [max_tokens] not found"},
		{name: "ErrMaxTokensType", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":"10","messages":[{"role":"user","content":"x"}]}`, err: "#/max_tokens: expected type: Integer, found: String"},
		{name: "ErrMaxTokensLimit", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":5000,"messages":[{"role":"user","content":"x"}]}`,
			err: "max_tokens: 5000 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307"},
		{name: "ErrTemperature", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"temperature":1.5,"messages":[{"role":"user","content":"x"}]}`, err: "#/temperature: 1.5 is not less or equal to 1"},
		{name: "ErrExtraKey", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"model":"claude","messages":[{"role":"user","content":"x"}]}`, err: "#: extraneous key [model] is not permitted"},
		{name: "ErrRole", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"system","content":"x"}]}`, err: "#/messages/0/role: system is not a valid enum value"},
		{name: "ErrNoMessages", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[]}`, err: "#/messages: expected minimum item count: 1, found: 0"},
		{name: "ErrBlockType", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[{"type":"input_text","text":"x"}]}]}`, err: "#/messages/0/content/0/type"},
		{name: "ErrEmptyContent", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":""}]}`, err: "#/messages/0/content: expected minLength: 1"},
		{name: "ErrToolSchema", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"tools":[{"name":"f"}],"messages":[{"role":"user","content":"x"}]}`, err: "#/tools/0: required key [input_schema] not found"},
		{name: "ErrThinkingBudget", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":100},"messages":[{"role":"user","content":"x"}]}`, err: "#/thinking/budget_tokens: 100 is not greater or equal to 1024"},
	})
}

// TestModel_AnthropicLimits checks max_tokens against a newer model's limit,
// through a cross-region inference profile id.
func TestModel_AnthropicLimits(t *testing.T) {
	runModelCases(t, "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "", []modelCase{
		{name: "OK", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":64000,"messages":[{"role":"user","content":"x"}]}`, check: func(t *testing.T, out map[string]any) {
			if out["model"] != "claude-sonnet-4-5-20250929" {
				t.Errorf("model=%v", out["model"])
			}
		}},
		{name: "ErrLimit", input: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":64001,"messages":[{"role":"user","content":"x"}]}`, err: "max_tokens: 64001 > 64000"},
	})
}

func TestModel_Nova(t *testing.T) {
	runModelCases(t, "amazon.nova-lite-v1:0", "", []modelCase{
		{name: "OK", input: `{"schemaVersion":"messages-v1","system":[{"text":"Be brief"}],"messages":[{"role":"user","content":[{"text":"Hi Nova"}]}],"inferenceConfig":{"maxTokens":100,"temperature":0.5,"topP":0.9,"topK":20}}`,
			check: func(t *testing.T, out map[string]any) {
				text := str(dig(out, "output", "message", "content", 0, "text"))
				if dig(out, "output", "message", "role") != "assistant" || !strings.HasSuffix(text, "You said: Hi Nova") || out["stopReason"] != "end_turn" {
					t.Errorf("modelOutput=%v", out)
				}
				in, o := num(dig(out, "usage", "inputTokens")), num(dig(out, "usage", "outputTokens"))
				if o != wantTokens(text) || in < 1 || num(dig(out, "usage", "totalTokens")) != in+o {
					t.Errorf("usage=%v", out["usage"])
				}
				if _, ok := dig(out, "usage").(map[string]any)["cacheReadInputTokenCount"]; !ok {
					t.Errorf("usage=%v, want cache counts", out["usage"])
				}
			}},
		{name: "MaxNewTokens", input: `{"messages":[{"role":"user","content":[{"text":"Write a lot"}]}],"inferenceConfig":{"max_new_tokens":2}}`,
			check: func(t *testing.T, out map[string]any) {
				if out["stopReason"] != "max_tokens" || num(dig(out, "usage", "outputTokens")) != 2 {
					t.Errorf("modelOutput=%v", out)
				}
			}},
		{name: "ErrStringContent", input: `{"messages":[{"role":"user","content":"Hi"}]}`, err: "#/messages/0/content: expected type: JSONArray, found: String"},
		{name: "ErrMaxTokens", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":6000}}`, err: "#/inferenceConfig/maxTokens: 6000 is not less or equal to 5000"},
		{name: "ErrAnthropicBody", input: anthropicOK, err: "#: extraneous key [anthropic_version] is not permitted"},
		{name: "ErrTwoMembers", input: `{"messages":[{"role":"user","content":[{"text":"Hi","image":{}}]}]}`, err: "#/messages/0/content/0: expected exactly one of"},
		{name: "ErrAssistantFirst", input: `{"messages":[{"role":"assistant","content":[{"text":"Hi"}]}]}`, err: "must start with a user message"},
		{name: "ErrSchemaVersion", input: `{"schemaVersion":"v2","messages":[{"role":"user","content":[{"text":"Hi"}]}]}`, err: "#/schemaVersion: v2 is not a valid enum value"},
	})
}

func TestModel_Llama(t *testing.T) {
	prompt := "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is Go?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
	runModelCases(t, "meta.llama3-1-70b-instruct-v1:0", "", []modelCase{
		{name: "OK", input: fmt.Sprintf(`{"prompt":%q,"max_gen_len":512,"temperature":0.5,"top_p":0.9}`, prompt),
			check: func(t *testing.T, out map[string]any) {
				gen := str(out["generation"])
				if !strings.HasSuffix(gen, "You said: What is Go?") || out["stop_reason"] != "stop" ||
					num(out["generation_token_count"]) != wantTokens(gen) || num(out["prompt_token_count"]) != wantTokens(prompt) {
					t.Errorf("modelOutput=%v", out)
				}
			}},
		{name: "Length", input: `{"prompt":"Tell me everything","max_gen_len":2}`, check: func(t *testing.T, out map[string]any) {
			if out["stop_reason"] != "length" || num(out["generation_token_count"]) != 2 {
				t.Errorf("modelOutput=%v", out)
			}
		}},
		{name: "ErrMaxTokens", input: `{"prompt":"x","max_tokens":10}`, err: "#: extraneous key [max_tokens] is not permitted"},
		{name: "ErrNoPrompt", input: `{"max_gen_len":10}`, err: "#: required key [prompt] not found"},
		{name: "ErrMaxGenLen", input: `{"prompt":"x","max_gen_len":4096}`, err: "#/max_gen_len: 4096 is not less or equal to 2048"},
		{name: "ErrMessages", input: `{"messages":[{"role":"user","content":"x"}]}`, err: "extraneous key [messages]"},
	})
}

func TestModel_Mistral(t *testing.T) {
	runModelCases(t, "mistral.mistral-large-2402-v1:0", "", []modelCase{
		{name: "OKPrompt", input: `{"prompt":"<s>[INST] Hello Mistral [/INST]","max_tokens":100,"temperature":0.5,"top_p":0.9,"top_k":50,"stop":["</s>"]}`,
			check: func(t *testing.T, out map[string]any) {
				if !strings.HasSuffix(str(dig(out, "outputs", 0, "text")), "You said: Hello Mistral") || dig(out, "outputs", 0, "stop_reason") != "stop" {
					t.Errorf("modelOutput=%v", out)
				}
			}},
		{name: "OKChat", input: `{"messages":[{"role":"system","content":"Be brief"},{"role":"user","content":"Hi chat"}],"max_tokens":2}`,
			check: func(t *testing.T, out map[string]any) {
				if dig(out, "choices", 0, "message", "role") != "assistant" || dig(out, "choices", 0, "stop_reason") != "length" {
					t.Errorf("modelOutput=%v", out)
				}
			}},
		{name: "ErrTopK", input: `{"prompt":"x","top_k":300}`, err: "#/top_k: 300 is not less or equal to 200"},
		{name: "ErrChatRole", input: `{"messages":[{"role":"developer","content":"x"}]}`, err: "#/messages/0/role: developer is not a valid enum value"},
		{name: "ErrChatTopK", input: `{"messages":[{"role":"user","content":"x"}],"top_k":5}`, err: "extraneous key [top_k]"},
	})
}

func TestModel_OpenAI(t *testing.T) {
	runModelCases(t, "openai.gpt-oss-120b-1:0", "", []modelCase{
		{name: "OK", input: `{"model":"openai.gpt-oss-120b-1:0","messages":[{"role":"developer","content":"Be brief"},{"role":"user","content":[{"type":"text","text":"Hi GPT"}]}],"max_completion_tokens":500,"temperature":1.2,"stop":"never-there","reasoning_effort":"low"}`,
			check: func(t *testing.T, out map[string]any) {
				content := str(dig(out, "choices", 0, "message", "content"))
				if out["object"] != "chat.completion" || !strings.HasPrefix(str(out["id"]), "chatcmpl-") || out["model"] != "openai.gpt-oss-120b-1:0" ||
					!strings.HasPrefix(content, "<reasoning>") || !strings.HasSuffix(content, "You said: Hi GPT") ||
					dig(out, "choices", 0, "finish_reason") != "stop" || num(out["created"]) == 0 {
					t.Errorf("modelOutput=%v", out)
				}
				p, c := num(dig(out, "usage", "prompt_tokens")), num(dig(out, "usage", "completion_tokens"))
				if c != wantTokens(content) || p < 1 || num(dig(out, "usage", "total_tokens")) != p+c {
					t.Errorf("usage=%v", out["usage"])
				}
			}},
		{name: "Length", input: `{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5}`, check: func(t *testing.T, out map[string]any) {
			if dig(out, "choices", 0, "finish_reason") != "length" || num(dig(out, "usage", "completion_tokens")) != 5 {
				t.Errorf("modelOutput=%v", out)
			}
		}},
		{name: "ErrStream", input: `{"messages":[{"role":"user","content":"Hi"}],"stream":true}`, err: "#/stream: stream must be false"},
		{name: "ErrModel", input: `{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}`, err: "#/model: gpt-4o does not match"},
		{name: "ErrUnknownParam", input: `{"messages":[{"role":"user","content":"Hi"}],"foo":1}`, err: "#: extraneous key [foo] is not permitted"},
		{name: "ErrTemperature", input: `{"messages":[{"role":"user","content":"Hi"}],"temperature":3}`, err: "#/temperature: 3 is not less or equal to 2"},
		{name: "ErrNoContent", input: `{"messages":[{"role":"user"}]}`, err: "#/messages/0: required key [content] not found"},
		{name: "ErrToolNoID", input: `{"messages":[{"role":"tool","content":"42"}]}`, err: "required key [tool_call_id] not found"},
	})
	t.Run("Qwen", func(t *testing.T) {
		runModelCases(t, "qwen.qwen3-32b-v1:0", "", []modelCase{
			{name: "OK", input: `{"messages":[{"role":"user","content":"Hi Qwen"}]}`, check: func(t *testing.T, out map[string]any) {
				if content := str(dig(out, "choices", 0, "message", "content")); strings.Contains(content, "<reasoning>") || !strings.HasSuffix(content, "You said: Hi Qwen") {
					t.Errorf("content=%q", content)
				}
			}},
		})
	})
}

func norm(v []any) float64 {
	var s float64
	for _, x := range v {
		f := x.(float64)
		s += f * f
	}
	return math.Sqrt(s)
}

func TestModel_TitanEmbeddings(t *testing.T) {
	var first []any
	runModelCases(t, "amazon.titan-embed-text-v2:0", "", []modelCase{
		{name: "OK", input: `{"inputText":"embed me"}`, check: func(t *testing.T, out map[string]any) {
			emb, _ := out["embedding"].([]any)
			byType, _ := dig(out, "embeddingsByType", "float").([]any)
			if len(emb) != 1024 || len(byType) != 1024 || math.Abs(norm(emb)-1) > 1e-3 || num(out["inputTextTokenCount"]) != wantTokens("embed me") {
				t.Errorf("len %d/%d norm %v tokens %v", len(emb), len(byType), norm(emb), out["inputTextTokenCount"])
			}
			first = emb
		}},
		{name: "Deterministic", input: `{"inputText":"embed me","dimensions":1024,"normalize":true}`, check: func(t *testing.T, out map[string]any) {
			if fmt.Sprint(out["embedding"]) != fmt.Sprint(first) {
				t.Error("the same text embedded differently")
			}
		}},
		{name: "Binary256", input: `{"inputText":"embed me too","dimensions":256,"embeddingTypes":["binary"],"normalize":false}`, check: func(t *testing.T, out map[string]any) {
			emb, _ := out["embedding"].([]any)
			bin, _ := dig(out, "embeddingsByType", "binary").([]any)
			if len(emb) != 256 || len(bin) != 256 || dig(out, "embeddingsByType", "float") != nil || math.Abs(norm(emb)-1) < 1e-3 {
				t.Errorf("len %d binary %d float %v norm %v", len(emb), len(bin), dig(out, "embeddingsByType", "float") != nil, norm(emb))
			}
			for _, b := range bin {
				if b != 0.0 && b != 1.0 {
					t.Fatalf("binary value %v", b)
				}
			}
		}},
		{name: "ErrDimensions", input: `{"inputText":"x","dimensions":100}`, err: "#/dimensions: 100 is not a valid enum value"},
		{name: "ErrNoText", input: `{"dimensions":256}`, err: "#: required key [inputText] not found"},
		{name: "ErrEmptyText", input: `{"inputText":""}`, err: "#/inputText: expected minLength: 1"},
		{name: "ErrEmbeddingType", input: `{"inputText":"x","embeddingTypes":["int8"]}`, err: "#/embeddingTypes/0: int8 is not a valid enum value"},
		{name: "ErrNormalize", input: `{"inputText":"x","normalize":"yes"}`, err: "#/normalize: expected type: Boolean, found: String"},
		{name: "ErrTitanTextBody", input: `{"inputText":"x","textGenerationConfig":{}}`, err: "#: extraneous key [textGenerationConfig] is not permitted"},
	})
}

func TestModel_Converse(t *testing.T) {
	runModelCases(t, claudeID, types.ModelInvocationTypeConverse, []modelCase{
		{name: "OK", input: `{"system":[{"text":"Be brief"}],"messages":[{"role":"user","content":[{"text":"Hi converse"}]}],"inferenceConfig":{"maxTokens":50,"temperature":0.3},"additionalModelRequestFields":{"top_k":5}}`,
			check: func(t *testing.T, out map[string]any) {
				text := str(dig(out, "output", "message", "content", 0, "text"))
				if !strings.HasSuffix(text, "You said: Hi converse") || out["stopReason"] != "end_turn" || dig(out, "metrics", "latencyMs") == nil {
					t.Errorf("modelOutput=%v", out)
				}
				in, o := num(dig(out, "usage", "inputTokens")), num(dig(out, "usage", "outputTokens"))
				if o != wantTokens(text) || num(dig(out, "usage", "totalTokens")) != in+o {
					t.Errorf("usage=%v", out["usage"])
				}
			}},
		{name: "MaxTokens", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":1}}`, check: func(t *testing.T, out map[string]any) {
			if out["stopReason"] != "max_tokens" {
				t.Errorf("stopReason=%v", out["stopReason"])
			}
		}},
		{name: "OKTools", input: `{"messages":[{"role":"user","content":[{"text":"Weather?"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"weather","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"sunny"}]}},{"text":"Thanks"}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"weather","description":"d","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"auto":{}}}}`,
			check: func(t *testing.T, out map[string]any) {
				if text := str(dig(out, "output", "message", "content", 0, "text")); !strings.HasSuffix(text, "You said: Thanks") {
					t.Errorf("text=%q", text)
				}
			}},
		{name: "ErrToolSchema", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{}}}]}}`, err: "#/toolConfig/tools/0/toolSpec/inputSchema: required key [json] not found"},
		{name: "ErrToolChoice", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{}}}}],"toolChoice":{"required":{}}}}`, err: "#/toolConfig/toolChoice: extraneous key [required]"},
		{name: "ErrSystemString", input: `{"system":"Be brief","messages":[{"role":"user","content":[{"text":"Hi"}]}]}`, err: "#/system: expected type: JSONArray, found: String"},
		{name: "ErrNativeBody", input: anthropicOK, err: "#: extraneous key [anthropic_version] is not permitted"},
		{name: "ErrModelID", input: `{"modelId":"x","messages":[{"role":"user","content":[{"text":"Hi"}]}]}`, err: "#: extraneous key [modelId] is not permitted"},
		{name: "ErrNoMessages", input: `{"inferenceConfig":{"maxTokens":10}}`, err: "#: required key [messages] not found"},
		{name: "ErrSnakeCase", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"max_tokens":10}}`, err: "#/inferenceConfig: extraneous key [max_tokens] is not permitted"},
	})
}
