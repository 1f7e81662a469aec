package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/local"
)

// familyModels is one deployment per Bedrock batch model family (and the
// Converse invocation type), by model name. The default local deployment
// (local.ModelName, Claude 3.5 Sonnet) is the Anthropic one.
var familyModels = []config.Model{
	{ModelName: "nova", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.amazon.nova-lite-v1:0"}},
	{ModelName: "llama3", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.meta.llama3-3-70b-instruct-v1:0"}},
	{ModelName: "llama4", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.meta.llama4-scout-17b-instruct-v1:0"}},
	{ModelName: "mistral-text", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/mistral.mistral-7b-instruct-v0:2"}},
	{ModelName: "mistral-chat", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/mistral.mistral-large-2407-v1:0"}},
	{ModelName: "gpt-oss", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/openai.gpt-oss-120b-1:0"}},
	{ModelName: "qwen", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/qwen.qwen3-32b-v1:0"}},
	{ModelName: "deepseek", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/deepseek.v3-v1:0"}},
	{ModelName: "titan-embed", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/amazon.titan-embed-text-v2:0"}},
	// LiteLLM's bedrock/converse/ route selects Converse, as invocation_type does.
	{ModelName: "claude-converse", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/converse/us.anthropic.claude-3-5-haiku-20241022-v1:0"}},
	{ModelName: "nova-converse", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/amazon.nova-pro-v1:0", InvocationType: "Converse"}},
	// A batch of more than 4 records runs as several Bedrock jobs.
	{ModelName: "claude-split", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0"}, ModelInfo: config.ModelInfo{BatchMaxRecordsPerJob: &splitRecords}},
}

var splitRecords = 4

// newFamilyEnv is newEnv with every family's deployment and the emulator's faults.
func newFamilyEnv(t *testing.T, faults bedrocksim.Faults) (*env, *local.Env) {
	t.Helper()
	e, le := startEnv(t, envOptions{
		local:     local.Options{StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1, Models: familyModels, Faults: faults},
		reconcile: 10 * time.Millisecond,
	})
	if len(le.Config.ModelList) != 1+len(familyModels) {
		t.Fatalf("local config has %d models, want %d", len(le.Config.ModelList), 1+len(familyModels))
	}
	return e, le
}

// A 1×1 PNG.
const pngURL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// Request bodies (without model) shared by the chat families.
const (
	bodyHello = `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there"}],"max_tokens":300,"temperature":0.5}`
	bodyShort = `{"messages":[{"role":"user","content":"Tell me a long story"}],"max_tokens":3}`
	bodyImage = `{"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":"` + pngURL + `"}}]}],"max_completion_tokens":300}`
	bodyStop  = `{"messages":[{"role":"user","content":"Say something"}],"max_tokens":300,"stop":["You said"]}`
	bodyMulti = `{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello! How can I help?"},{"role":"user","content":"Tell me a joke"}],"max_tokens":300,"top_p":0.9}`
	weather   = `{"type":"function","function":{"name":"get_weather","description":"Current weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}}`
	// A forced call of the tool.
	bodyToolForced = `{"messages":[{"role":"user","content":"Weather in Paris?"}],"max_tokens":300,"tools":[` + weather + `],"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`
	bodyToolAny    = `{"messages":[{"role":"user","content":"Weather in Paris?"}],"max_tokens":300,"tools":[` + weather + `],"tool_choice":"required"}`
	bodyJSONSchema = `{"messages":[{"role":"user","content":"Answer in JSON"}],"max_tokens":300,"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}}}}`
	bodyReasoning  = `{"messages":[{"role":"developer","content":"Think first."},{"role":"user","content":"Why is the sky blue?"}],"max_completion_tokens":500,"reasoning_effort":"low"}`
	// A tool round trip: the model called the tool, the tool answered.
	bodyToolResult = `{"messages":[{"role":"user","content":"Weather in Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123xyz","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_abc123xyz","content":"18 C and sunny"}],"max_tokens":300,"tools":[` + weather + `]}`
)

// familyLine is one request of a family's batch and what its result must be.
type familyLine struct {
	body   string
	finish string // expected finish_reason ("" for embeddings)
	tool   string // expected tool call name
	json   bool   // the content is a JSON object with "answer"
	reason bool   // the message has reasoning_content
	dims   int    // expected embedding length
	base64 bool   // encoding_format base64
}

type familyCase struct {
	model    string // deployment name
	endpoint string
	rawHas   []string // substrings of every translated record (modelInput) Bedrock received
	rawLacks []string // and substrings none has
	lines    []familyLine
	// noRecordUsage: the family's InvokeModel output carries no token counts
	// (Mistral); only the manifest has them.
	noRecordUsage bool
}

var familyCases = []familyCase{
	{model: local.ModelName, endpoint: "/v1/chat/completions", rawHas: []string{`"anthropic_version":"bedrock-2023-05-31"`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyImage, finish: "stop"},
		{body: bodyStop, finish: "stop"}, {body: bodyMulti, finish: "stop"},
		{body: bodyToolForced, finish: "tool_calls", tool: "get_weather"}, {body: bodyToolAny, finish: "tool_calls", tool: "get_weather"},
		{body: bodyToolResult, finish: "stop"}, {body: bodyJSONSchema, finish: "stop", json: true},
	}},
	{model: "nova", endpoint: "/v1/chat/completions", rawHas: []string{`"schemaVersion":"messages-v1"`, `"inferenceConfig"`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyImage, finish: "stop"},
		{body: bodyStop, finish: "stop"}, {body: bodyMulti, finish: "stop"}, {body: bodyToolResult, finish: "stop"},
	}},
	{model: "llama3", endpoint: "/v1/chat/completions", rawHas: []string{`<|start_header_id|>`, `"max_gen_len"`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyMulti, finish: "stop"},
	}},
	{model: "llama4", endpoint: "/v1/chat/completions", rawHas: []string{`<|header_start|>`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyImage, finish: "stop"}, {body: bodyMulti, finish: "stop"},
	}},
	{model: "mistral-text", endpoint: "/v1/chat/completions", rawHas: []string{`[INST]`}, noRecordUsage: true, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyStop, finish: "stop"}, {body: bodyMulti, finish: "stop"},
	}},
	{model: "mistral-chat", endpoint: "/v1/chat/completions", rawHas: []string{`"messages"`}, noRecordUsage: true, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyMulti, finish: "stop"}, {body: bodyToolResult, finish: "stop"},
	}},
	{model: "gpt-oss", endpoint: "/v1/chat/completions", rawHas: []string{`"messages"`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyStop, finish: "stop"},
		{body: bodyToolAny, finish: "tool_calls", tool: "get_weather"}, {body: bodyToolResult, finish: "stop"},
		{body: bodyReasoning, finish: "stop", reason: true}, {body: bodyJSONSchema, finish: "stop"},
	}},
	{model: "qwen", endpoint: "/v1/chat/completions", rawHas: []string{`"messages"`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyToolForced, finish: "tool_calls", tool: "get_weather"},
	}},
	{model: "deepseek", endpoint: "/v1/chat/completions", rawHas: []string{`"messages"`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyMulti, finish: "stop"},
	}},
	{model: "titan-embed", endpoint: "/v1/embeddings", rawHas: []string{`"inputText"`}, lines: []familyLine{
		{body: `{"input":"The quick brown fox","dimensions":256}`, dims: 256},
		{body: `{"input":["jumps over the lazy dog"],"dimensions":512}`, dims: 512},
		{body: `{"input":"default size"}`, dims: 1024},
		{body: `{"input":"as base64","dimensions":256,"encoding_format":"base64"}`, dims: 256, base64: true},
	}},
	{model: "claude-converse", endpoint: "/v1/chat/completions", rawHas: []string{`"inferenceConfig"`}, rawLacks: []string{`anthropic_version`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyImage, finish: "stop"}, {body: bodyStop, finish: "stop"},
	}},
	{model: "nova-converse", endpoint: "/v1/chat/completions", rawHas: []string{`"inferenceConfig"`}, rawLacks: []string{`schemaVersion`}, lines: []familyLine{
		{body: bodyHello, finish: "stop"}, {body: bodyShort, finish: "length"}, {body: bodyMulti, finish: "stop"},
	}},
}

// familyFile builds a family's JSONL, custom_ids "<model>-<i>".
func familyFile(t *testing.T, c familyCase) []byte {
	t.Helper()
	var b bytes.Buffer
	for i, l := range c.lines {
		var body map[string]any
		if err := json.Unmarshal([]byte(l.body), &body); err != nil {
			t.Fatalf("line %d body: %v", i+1, err)
		}
		body["model"] = c.model
		line, _ := json.Marshal(map[string]any{"custom_id": fmt.Sprintf("%s-%d", c.model, i), "method": "POST", "url": c.endpoint, "body": body})
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// batchLine is an OpenAI batch output line with the body left raw.
type batchLine struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// rawRecord is a Bedrock batch output record.
type rawRecord struct {
	RecordID    string          `json:"recordId"`
	ModelInput  json.RawMessage `json:"modelInput"`
	ModelOutput json.RawMessage `json:"modelOutput"`
	Error       *struct {
		ErrorCode    int    `json:"errorCode"`
		ErrorMessage string `json:"errorMessage"`
	} `json:"error"`
}

// recordUsage reads the token counts of a Bedrock record's modelOutput, in
// whichever family's shape it has.
func recordUsage(out json.RawMessage) (in, outTok int64, ok bool) {
	var o struct {
		Usage *struct {
			InputTokens      *int64 `json:"input_tokens"`
			OutputTokens     *int64 `json:"output_tokens"`
			InputTokens2     *int64 `json:"inputTokens"`
			OutputTokens2    *int64 `json:"outputTokens"`
			PromptTokens     *int64 `json:"prompt_tokens"`
			CompletionTokens *int64 `json:"completion_tokens"`
		} `json:"usage"`
		PromptTokenCount     *int64 `json:"prompt_token_count"`
		GenerationTokenCount *int64 `json:"generation_token_count"`
		InputTextTokenCount  *int64 `json:"inputTextTokenCount"`
	}
	_ = json.Unmarshal(out, &o)
	d := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	switch {
	case o.Usage != nil && o.Usage.InputTokens != nil:
		return d(o.Usage.InputTokens), d(o.Usage.OutputTokens), true
	case o.Usage != nil && o.Usage.InputTokens2 != nil:
		return d(o.Usage.InputTokens2), d(o.Usage.OutputTokens2), true
	case o.Usage != nil && o.Usage.PromptTokens != nil:
		return d(o.Usage.PromptTokens), d(o.Usage.CompletionTokens), true
	case o.PromptTokenCount != nil:
		return d(o.PromptTokenCount), d(o.GenerationTokenCount), true
	case o.InputTextTokenCount != nil:
		return d(o.InputTextTokenCount), 0, true
	}
	return 0, 0, false
}

func readAll(t *testing.T, r io.Reader) []string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// runFamilyBatch uploads the file with the OpenAI SDK, runs the batch to its
// end and returns it.
func runFamilyBatch(t *testing.T, client openai.Client, model, endpoint string, file []byte) *openai.Batch {
	t.Helper()
	ctx := context.Background()
	params := openai.FileNewParams{File: openai.File(bytes.NewReader(file), model+".jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch}
	params.SetExtraFields(map[string]any{"target_model_names": model})
	f, err := client.Files.New(ctx, params)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	batch, err := client.Batches.New(ctx, openai.BatchNewParams{InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpoint(endpoint), CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if err != nil {
		t.Fatalf("create batch: %v", err)
	}
	if string(batch.Endpoint) != endpoint {
		t.Errorf("batch endpoint = %q, want %q", batch.Endpoint, endpoint)
	}
	waitUntil(t, func() bool {
		b, err := client.Batches.Get(ctx, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		batch = b
		return b.Status == openai.BatchStatusCompleted || b.Status == openai.BatchStatusFailed
	})
	if batch.Status != openai.BatchStatusCompleted {
		t.Fatalf("batch ended %s: %+v", batch.Status, batch.Errors)
	}
	return batch
}

// TestEveryFamilyEndToEnd runs a batch per model family through the gateway
// and the emulator (whose validators check every translated record) and reads
// the results with the OpenAI SDK.
func TestEveryFamilyEndToEnd(t *testing.T) {
	e, _ := newFamilyEnv(t, bedrocksim.Faults{})
	names := []string{local.ModelName}
	for _, m := range familyModels {
		names = append(names, m.ModelName)
	}
	key := e.key(names...)
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	for _, c := range familyCases {
		t.Run(c.model, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			n := int64(len(c.lines))
			batch := runFamilyBatch(t, client, c.model, c.endpoint, familyFile(t, c))
			if batch.RequestCounts.Total != n || batch.RequestCounts.Completed != n || batch.RequestCounts.Failed != 0 {
				t.Errorf("request_counts = %+v, want %d completed", batch.RequestCounts, n)
			}
			if batch.ErrorFileID != "" {
				t.Errorf("error_file_id = %s for valid input", batch.ErrorFileID)
			}

			// Bedrock's raw lines: every record accepted by the emulator's validator.
			resp, err := client.Files.Content(ctx, batch.OutputFileID, option.WithHeader("custom-llm-provider", "bedrock"))
			if err != nil {
				t.Fatal(err)
			}
			raws := map[string]rawRecord{}
			for _, l := range readAll(t, resp.Body) {
				var r rawRecord
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatalf("raw line %s: %v", l, err)
				}
				if r.Error != nil || len(r.ModelOutput) == 0 {
					t.Errorf("the emulator rejected record %s: %s", r.RecordID, l)
				}
				for _, s := range c.rawHas {
					if !bytes.Contains(r.ModelInput, []byte(s)) && !strings.Contains(decodedJSONString(r.ModelInput), s) {
						t.Errorf("record %s modelInput lacks %s: %s", r.RecordID, s, r.ModelInput)
					}
				}
				for _, s := range c.rawLacks {
					if bytes.Contains(r.ModelInput, []byte(s)) {
						t.Errorf("record %s modelInput has %s: %s", r.RecordID, s, r.ModelInput)
					}
				}
				raws[r.RecordID] = r
			}
			resp.Body.Close()
			if int64(len(raws)) != n {
				t.Fatalf("raw output has %d records, want %d", len(raws), n)
			}

			// OpenAI lines, read with the SDK's types.
			resp, err = client.Files.Content(ctx, batch.OutputFileID)
			if err != nil {
				t.Fatal(err)
			}
			lines := readAll(t, resp.Body)
			resp.Body.Close()
			if int64(len(lines)) != n {
				t.Fatalf("output has %d lines, want %d", len(lines), n)
			}
			var sumIn, sumOut int64
			seen := map[string]bool{}
			for _, l := range lines {
				var bl batchLine
				if err := json.Unmarshal([]byte(l), &bl); err != nil {
					t.Fatalf("output line %s: %v", l, err)
				}
				var i int
				if _, err := fmt.Sscanf(strings.TrimPrefix(bl.CustomID, c.model+"-"), "%d", &i); err != nil || i < 0 || i >= len(c.lines) || seen[bl.CustomID] {
					t.Fatalf("unexpected custom_id %q", bl.CustomID)
				}
				seen[bl.CustomID] = true
				want := c.lines[i]
				if bl.Error != nil || bl.Response == nil || bl.Response.StatusCode != 200 || !strings.HasPrefix(bl.ID, "batch_req_") {
					t.Errorf("line %s is not a success", l)
					continue
				}
				rawIn, rawOut, hasUsage := recordUsage(raws[bl.CustomID].ModelOutput)
				var in, out, total int64
				if c.endpoint == "/v1/embeddings" {
					in, total = checkEmbedding(t, bl, want)
				} else {
					in, out, total = checkCompletion(t, bl, want)
				}
				if total != in+out {
					t.Errorf("%s: total_tokens %d != %d + %d", bl.CustomID, total, in, out)
				}
				if hasUsage && (in != rawIn || out != rawOut) {
					t.Errorf("%s: usage %d/%d, the emulator reported %d/%d", bl.CustomID, in, out, rawIn, rawOut)
				}
				if !hasUsage && !c.noRecordUsage {
					t.Errorf("%s: no usage in the emulator's record %s", bl.CustomID, raws[bl.CustomID].ModelOutput)
				}
				sumIn += in
				sumOut += out
			}

			// Token usage and cost from the manifest.
			if batch.Usage.InputTokens <= 0 || batch.Usage.TotalTokens != batch.Usage.InputTokens+batch.Usage.OutputTokens {
				t.Errorf("batch usage = %+v", batch.Usage)
			}
			if !c.noRecordUsage && (batch.Usage.InputTokens != sumIn || batch.Usage.OutputTokens != sumOut) {
				t.Errorf("batch usage %d/%d, output lines sum to %d/%d", batch.Usage.InputTokens, batch.Usage.OutputTokens, sumIn, sumOut)
			}
			stored, err := e.gw.Store.FindBatchByID(ctx, batch.ID)
			if err != nil {
				t.Fatal(err)
			}
			price := e.gw.Deployments[c.model].Price
			if price.Input <= 0 || stored.Cost <= 0 {
				t.Errorf("price %+v, cost %v: want a built-in price and a cost", price, stored.Cost)
			}
			if wantCost := float64(batch.Usage.InputTokens)*price.Input + float64(batch.Usage.OutputTokens)*price.Output; math.Abs(stored.Cost-wantCost) > 1e-12 {
				t.Errorf("cost = %v, want %v", stored.Cost, wantCost)
			}
			if c.endpoint == "/v1/embeddings" && (batch.Usage.OutputTokens != 0 || price.Output != 0) {
				t.Errorf("embeddings: output tokens %d at %v, want input tokens only", batch.Usage.OutputTokens, price.Output)
			}
		})
	}
}

// decodedJSONString returns the modelInput's string values joined, so that
// substrings of a prompt are found without JSON escaping.
func decodedJSONString(raw json.RawMessage) string {
	var v any
	_ = json.Unmarshal(raw, &v)
	var sb strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			sb.WriteString(x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return sb.String()
}

func checkCompletion(t *testing.T, bl batchLine, want familyLine) (in, out, total int64) {
	t.Helper()
	var cc openai.ChatCompletion
	if err := json.Unmarshal(bl.Response.Body, &cc); err != nil {
		t.Errorf("%s: body is not a ChatCompletion: %v", bl.CustomID, err)
		return
	}
	if cc.Object != "chat.completion" || cc.ID == "" || cc.Created == 0 || len(cc.Choices) != 1 {
		t.Errorf("%s: body = %s", bl.CustomID, bl.Response.Body)
		return
	}
	ch := cc.Choices[0]
	if string(ch.FinishReason) != want.finish {
		t.Errorf("%s: finish_reason = %q, want %q (%s)", bl.CustomID, ch.FinishReason, want.finish, bl.Response.Body)
	}
	switch {
	case want.tool != "":
		if len(ch.Message.ToolCalls) != 1 {
			t.Errorf("%s: tool_calls = %+v, want one call of %s", bl.CustomID, ch.Message.ToolCalls, want.tool)
			break
		}
		tc := ch.Message.ToolCalls[0]
		var args map[string]any
		if tc.ID == "" || tc.Type != "function" || tc.Function.Name != want.tool || json.Unmarshal([]byte(tc.Function.Arguments), &args) != nil || args["city"] == nil {
			t.Errorf("%s: tool call = %+v", bl.CustomID, tc)
		}
	case want.json:
		var v map[string]any
		if err := json.Unmarshal([]byte(ch.Message.Content), &v); err != nil || v["answer"] == nil || len(ch.Message.ToolCalls) != 0 {
			t.Errorf("%s: want JSON content with answer: %s", bl.CustomID, bl.Response.Body)
		}
	case want.finish == "stop":
		if !strings.Contains(ch.Message.Content, "Simulated response") || len(ch.Message.ToolCalls) != 0 {
			t.Errorf("%s: want text and no tool call: %s", bl.CustomID, bl.Response.Body)
		}
	}
	if rc, ok := ch.Message.JSON.ExtraFields["reasoning_content"]; want.reason && (!ok || !strings.Contains(rc.Raw(), "The user wants")) {
		t.Errorf("%s: no reasoning_content: %s", bl.CustomID, bl.Response.Body)
	} else if want.reason && strings.Contains(ch.Message.Content, "<reasoning>") {
		t.Errorf("%s: reasoning left in the content: %s", bl.CustomID, bl.Response.Body)
	}
	if ch.Message.Role != "assistant" {
		t.Errorf("%s: role = %q", bl.CustomID, ch.Message.Role)
	}
	u := cc.Usage
	return u.PromptTokens, u.CompletionTokens, u.TotalTokens
}

func checkEmbedding(t *testing.T, bl batchLine, want familyLine) (in, total int64) {
	t.Helper()
	if want.base64 {
		var er struct {
			Object string
			Data   []struct {
				Object    string
				Embedding string
			}
			Usage struct {
				PromptTokens int64 `json:"prompt_tokens"`
				TotalTokens  int64 `json:"total_tokens"`
			}
		}
		if err := json.Unmarshal(bl.Response.Body, &er); err != nil || er.Object != "list" || len(er.Data) != 1 {
			t.Errorf("%s: body = %s (%v)", bl.CustomID, bl.Response.Body, err)
			return
		}
		b, err := base64.StdEncoding.DecodeString(er.Data[0].Embedding)
		if err != nil || len(b) != 4*want.dims {
			t.Errorf("%s: base64 embedding of %d bytes (%v), want %d floats", bl.CustomID, len(b), err, want.dims)
		} else if f := math.Float32frombits(binary.LittleEndian.Uint32(b)); math.IsNaN(float64(f)) || f == 0 {
			t.Errorf("%s: first float = %v", bl.CustomID, f)
		}
		return er.Usage.PromptTokens, er.Usage.TotalTokens
	}
	var er openai.CreateEmbeddingResponse
	if err := json.Unmarshal(bl.Response.Body, &er); err != nil {
		t.Errorf("%s: body is not a CreateEmbeddingResponse: %v", bl.CustomID, err)
		return
	}
	if er.Object != "list" || len(er.Data) != 1 || er.Data[0].Object != "embedding" || er.Data[0].Index != 0 {
		t.Errorf("%s: body = %.300s", bl.CustomID, bl.Response.Body)
		return
	}
	v := er.Data[0].Embedding
	if len(v) != want.dims {
		t.Errorf("%s: embedding has %d dimensions, want %d", bl.CustomID, len(v), want.dims)
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	if math.Abs(norm-1) > 1e-3 {
		t.Errorf("%s: |embedding|² = %v, want a normalized vector", bl.CustomID, norm)
	}
	if er.Usage.PromptTokens <= 0 {
		t.Errorf("%s: usage = %+v", bl.CustomID, er.Usage)
	}
	return er.Usage.PromptTokens, er.Usage.TotalTokens
}
