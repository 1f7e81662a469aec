package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/local"
)

// liteLLMModelGroupFields are the fields of LiteLLM's ModelGroupInfo
// (BerriAI/litellm litellm/types/router.py, class ModelGroupInfo), which
// GET /model_group/info returns in "data" (litellm/proxy/proxy_server.py,
// model_group_info).
var liteLLMModelGroupFields = []string{
	"model_group", "providers", "max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token",
	"input_cost_per_pixel", "mode", "tpm", "rpm", "itpm", "otpm", "supports_parallel_function_calling", "supports_vision",
	"supports_web_search", "supports_url_context", "supports_reasoning", "supports_function_calling",
	"supported_reasoning_efforts", "supported_openai_params", "configurable_clientside_auth_params",
}

type groupInfo struct {
	ModelGroup        string   `json:"model_group"`
	Mode              string   `json:"mode"`
	MaxInput          *int     `json:"max_input_tokens"`
	MaxOutput         *int     `json:"max_output_tokens"`
	In                *float64 `json:"input_cost_per_token"`
	Out               *float64 `json:"output_cost_per_token"`
	InBatch           *float64 `json:"input_cost_per_token_batches"`
	OutBatch          *float64 `json:"output_cost_per_token_batches"`
	Vision            bool     `json:"supports_vision"`
	Tools             bool     `json:"supports_function_calling"`
	Parallel          bool     `json:"supports_parallel_function_calling"`
	Reasoning         bool     `json:"supports_reasoning"`
	Efforts           []string `json:"supported_reasoning_efforts"`
	SupportedParams   []string `json:"supported_openai_params"`
	WebSearch         bool     `json:"supports_web_search"`
	ResponseFormatted bool     // set by the test
}

var groupModels = []config.Model{
	{ModelName: "claude-37", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0"}},
	{ModelName: "claude-converse", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/converse/us.anthropic.claude-3-5-haiku-20241022-v1:0"}},
	{ModelName: "llama3", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.meta.llama3-3-70b-instruct-v1:0"}},
	{ModelName: "gpt-oss", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/openai.gpt-oss-120b-1:0"}},
	{ModelName: "nova", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.amazon.nova-lite-v1:0"}, ModelInfo: config.ModelInfo{Mode: "chat"}},
	// Batch prices only: the on-demand prices are the table's, not twice these.
	{ModelName: "priced", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0"},
		ModelInfo: config.ModelInfo{InputCostPerTokenBatches: costPtr(1e-6), OutputCostPerTokenBatches: costPtr(2e-6)}},
	// model_info's limits win, but not above what an upload accepts.
	{ModelName: "limited", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0"},
		ModelInfo: config.ModelInfo{MaxInputTokens: intPtr(150000), MaxOutputTokens: intPtr(100000)}},
	// A model the built-in tables do not know, with batch prices only.
	{ModelName: "future", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.anthropic.claude-sonnet-9-20300101-v1:0"},
		ModelInfo: config.ModelInfo{InputCostPerTokenBatches: costPtr(1e-6), OutputCostPerTokenBatches: costPtr(2e-6)}},
}

func intPtr(v int) *int { return &v }

func modelGroupEnv(t *testing.T) *env {
	e, _ := startEnv(t, envOptions{local: local.Options{MinRecordsPerJob: 1, Models: groupModels}})
	return e
}

func (e *env) groups() map[string]groupInfo {
	e.t.Helper()
	var resp struct{ Data []groupInfo }
	e.ok(master, "GET", "/model_group/info", nil, &resp)
	out := map[string]groupInfo{}
	for _, g := range resp.Data {
		out[g.ModelGroup] = g
	}
	return out
}

// /model_group/info has LiteLLM's fields, the mode as configured, the
// built-in table's token limits and on-demand prices (null when unknown,
// never twice the batch price).
func TestModelGroupInfoFields(t *testing.T) {
	e := modelGroupEnv(t)
	r := e.json(master, "GET", "/model_group/info?model_group="+model, nil)
	var raw struct{ Data []map[string]any }
	r.json(t, &raw)
	if len(raw.Data) != 1 {
		t.Fatalf("model_group=%s: %s", model, r.body)
	}
	for _, f := range liteLLMModelGroupFields {
		if _, ok := raw.Data[0][f]; !ok {
			t.Errorf("LiteLLM's %q is missing: %s", f, r.body)
		}
	}
	g := e.groups()
	num := func(p *float64) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	inum := func(p *int) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	for _, c := range []struct {
		name, mode, maxIn, maxOut, in, out, inBatch, outBatch string
	}{
		// Claude 3.5 Sonnet (June 2024): 200k context, 4,096 output tokens
		// on Bedrock; $3 / $15 per million on demand, half for batch.
		{model, "batch", "200000", "4096", "3e-06", "1.5e-05", "1.5e-06", "7.5e-06"},
		{"claude-37", "batch", "200000", "64000", "3e-06", "1.5e-05", "1.5e-06", "7.5e-06"},
		{"nova", "chat", "300000", "5000", "6e-08", "2.4e-07", "3e-08", "1.2e-07"},
		{"priced", "batch", "200000", "4096", "3e-06", "1.5e-05", "1e-06", "2e-06"},
		{"limited", "batch", "150000", "4096", "3e-06", "1.5e-05", "1.5e-06", "7.5e-06"},
		{"future", "batch", "null", "null", "null", "null", "1e-06", "2e-06"},
	} {
		i, ok := g[c.name]
		if !ok {
			t.Errorf("%s is not listed", c.name)
			continue
		}
		got := fmt.Sprint(i.Mode, " ", inum(i.MaxInput), " ", inum(i.MaxOutput), " ", num(i.In), " ", num(i.Out), " ", num(i.InBatch), " ", num(i.OutBatch))
		want := fmt.Sprint(c.mode, " ", c.maxIn, " ", c.maxOut, " ", c.in, " ", c.out, " ", c.inBatch, " ", c.outBatch)
		if got != want {
			t.Errorf("%s: mode, max in/out, prices = %s; want %s", c.name, got, want)
		}
	}
}

// Each capability /model_group/info shows is one an upload accepts, and
// each it does not show is refused: the flags come from the translator.
// Today Claude 3.5 Sonnet shows supports_reasoning, and reasoning_effort
// is then refused.
func TestModelGroupInfoCapabilitiesMatchUploads(t *testing.T) {
	e := modelGroupEnv(t)
	g := e.groups()
	bodies := map[string]string{
		"supports_function_calling": `{"messages":[{"role":"user","content":"Weather in Paris?"}],"max_tokens":300,"tools":[` + weather + `]}`,
		"supports_vision":           bodyImage,
		"supports_reasoning":        `{"messages":[{"role":"user","content":"Why?"}],"max_completion_tokens":2000,"reasoning_effort":"low"}`,
		"response_format":           bodyJSONSchema,
	}
	for _, name := range []string{model, "claude-37", "claude-converse", "llama3", "gpt-oss", "nova"} {
		info, ok := g[name]
		if !ok {
			t.Errorf("%s is not listed", name)
			continue
		}
		for flag, body := range bodies {
			shown := map[string]bool{"supports_function_calling": info.Tools, "supports_vision": info.Vision, "supports_reasoning": info.Reasoning,
				"response_format": slices.Contains(info.SupportedParams, "response_format")}[flag]
			if flag == "supports_function_calling" && shown != slices.Contains(info.SupportedParams, "tools") {
				t.Errorf("%s: supports_function_calling %v but supported_openai_params %v", name, shown, info.SupportedParams)
			}
			if flag == "supports_reasoning" && shown != slices.Contains(info.SupportedParams, "reasoning_effort") {
				t.Errorf("%s: supports_reasoning %v but supported_openai_params %v", name, shown, info.SupportedParams)
			}
			if accepted := e.accepts(name, body); accepted != shown {
				t.Errorf("%s: %s is %v but an upload using it is accepted: %v", name, flag, shown, accepted)
			}
		}
		// Every reasoning effort listed is accepted; none is listed without reasoning.
		if !info.Reasoning && info.Efforts != nil {
			t.Errorf("%s: supported_reasoning_efforts %v without supports_reasoning", name, info.Efforts)
		}
		for _, effort := range info.Efforts {
			body := fmt.Sprintf(`{"messages":[{"role":"user","content":"Why?"}],"max_completion_tokens":32000,"reasoning_effort":%q}`, effort)
			if effort != "none" && !e.accepts(name, body) {
				t.Errorf("%s: reasoning_effort %s is listed but refused", name, effort)
			}
		}
	}
	if got := g["gpt-oss"].Efforts; !slices.Equal(got, []string{"low", "medium", "high"}) {
		t.Errorf("gpt-oss's supported_reasoning_efforts = %v, want low, medium, high", got)
	}
	if g[model].Reasoning || !g["claude-37"].Reasoning {
		t.Errorf("supports_reasoning: Claude 3.5 Sonnet %v, Claude 3.7 Sonnet %v; want false, true", g[model].Reasoning, g["claude-37"].Reasoning)
	}
}

// accepts reports whether an upload of one line with body to model is accepted.
func (e *env) accepts(model, body string) bool {
	e.t.Helper()
	var b map[string]any
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		e.t.Fatal(err)
	}
	b["model"] = model
	l, _ := json.Marshal(map[string]any{"custom_id": "c1", "method": "POST", "url": "/v1/chat/completions", "body": b})
	r := e.upload(master, part{"purpose", "batch"}, part{"file", string(l) + "\n"})
	switch r.status {
	case http.StatusOK:
		return true
	case http.StatusBadRequest:
		return false
	}
	e.t.Fatalf("upload to %s: %d %s", model, r.status, r.body)
	return false
}
