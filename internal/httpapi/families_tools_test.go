package httpapi_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/local"
)

// toolModels are the deployments whose forced tool calls and extended
// thinking the emulator answers, beyond Claude and the Chat Completions
// families that TestEveryFamilyEndToEnd covers.
var toolModels = []config.Model{
	{ModelName: "nova", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.amazon.nova-lite-v1:0"}},
	{ModelName: "mistral-chat", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/mistral.mistral-large-2407-v1:0"}},
	{ModelName: "claude-thinking", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0"}},
	{ModelName: "claude-converse", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0", InvocationType: "Converse"}},
	{ModelName: "nova-converse", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/amazon.nova-pro-v1:0", InvocationType: "Converse"}},
}

const (
	bodyToolAuto = `{"messages":[{"role":"user","content":"Weather in Paris?"}],"max_tokens":300,"tools":[` + weather + `],"tool_choice":"auto"}`
	bodyThinking = `{"messages":[{"role":"user","content":"Why is the sky blue?"}],"max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024}}`
	// reasoning_effort low is a 1024-token budget; max_tokens defaults above it.
	bodyEffortLow     = `{"messages":[{"role":"developer","content":"Think first."},{"role":"user","content":"Why is the sky blue?"}],"reasoning_effort":"low"}`
	bodyThinkingTools = `{"messages":[{"role":"user","content":"Weather in Paris?"}],"max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},"tools":[` + weather + `],"tool_choice":"auto"}`
)

// TestForcedToolsAndThinkingEndToEnd runs, through the gateway and the
// emulator, batches that force a tool on Nova and Mistral chat (and leave
// it to the model), and batches with Claude's extended thinking on
// InvokeModel and Converse, and reads the OpenAI results: tool_calls with
// finish_reason tool_calls, and thinking in reasoning_content only.
func TestForcedToolsAndThinkingEndToEnd(t *testing.T) {
	e, _ := startEnv(t, envOptions{
		local:     local.Options{StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1, Models: toolModels},
		reconcile: 10 * time.Millisecond,
	})
	key := e.key("nova", "mistral-chat", "claude-thinking", "claude-converse", "nova-converse")
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	cases := []familyCase{
		{model: "nova", endpoint: "/v1/chat/completions", rawHas: []string{`"toolConfig"`}, lines: []familyLine{
			{body: bodyToolForced, finish: "tool_calls", tool: "get_weather"},
			{body: bodyToolAny, finish: "tool_calls", tool: "get_weather"},
			{body: bodyToolAuto, finish: "stop"},
		}},
		{model: "mistral-chat", endpoint: "/v1/chat/completions", rawHas: []string{`"tools"`}, lines: []familyLine{
			{body: bodyToolAny, finish: "tool_calls", tool: "get_weather"},
			{body: bodyToolAuto, finish: "stop"},
		}},
		{model: "claude-thinking", endpoint: "/v1/chat/completions", lines: []familyLine{
			{body: bodyThinking, finish: "stop", reason: true},
			{body: bodyEffortLow, finish: "stop", reason: true},
			{body: bodyThinkingTools, finish: "stop", reason: true},
			{body: bodyToolAny, finish: "tool_calls", tool: "get_weather"},
		}},
		{model: "claude-converse", endpoint: "/v1/chat/completions", lines: []familyLine{
			{body: bodyThinking, finish: "stop", reason: true},
			{body: bodyEffortLow, finish: "stop", reason: true},
			{body: bodyHello, finish: "stop"},
		}},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			n := int64(len(c.lines))
			batch := runFamilyBatch(t, client, c.model, c.endpoint, familyFile(t, c))
			if batch.RequestCounts.Completed != n || batch.RequestCounts.Failed != 0 || batch.ErrorFileID != "" {
				t.Errorf("request_counts = %+v, error file %q: want %d completed", batch.RequestCounts, batch.ErrorFileID, n)
			}

			// What Bedrock (the emulator) answered, by record.
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
					if !strings.Contains(string(r.ModelInput), s) {
						t.Errorf("record %s modelInput lacks %s: %s", r.RecordID, s, r.ModelInput)
					}
				}
				raws[r.RecordID] = r
			}
			resp.Body.Close()

			resp, err = client.Files.Content(ctx, batch.OutputFileID)
			if err != nil {
				t.Fatal(err)
			}
			lines := readAll(t, resp.Body)
			resp.Body.Close()
			if int64(len(lines)) != n || int64(len(raws)) != n {
				t.Fatalf("%d output lines, %d raw records, want %d", len(lines), len(raws), n)
			}
			for _, l := range lines {
				var bl batchLine
				if err := json.Unmarshal([]byte(l), &bl); err != nil {
					t.Fatalf("output line %s: %v", l, err)
				}
				i, err := strconv.Atoi(strings.TrimPrefix(bl.CustomID, c.model+"-"))
				if err != nil || i < 0 || i >= len(c.lines) {
					t.Fatalf("unexpected custom_id %q", bl.CustomID)
				}
				want := c.lines[i]
				if bl.Error != nil || bl.Response == nil || bl.Response.StatusCode != 200 {
					t.Errorf("line %s is not a success", l)
					continue
				}
				in, out, _ := checkCompletion(t, bl, want)
				raw := raws[bl.CustomID].ModelOutput
				if rawIn, rawOut, ok := recordUsage(raw); ok && (in != rawIn || out != rawOut) {
					t.Errorf("%s: usage %d/%d, the emulator reported %d/%d", bl.CustomID, in, out, rawIn, rawOut)
				}
				checkToolAndThinking(t, bl, want, raw)
			}
		})
	}

	// The gateway sends no toolConfig in a Converse job (Bedrock's Converse
	// batch jobs reject it), so a forced tool is refused at upload.
	t.Run("nova-converse", func(t *testing.T) {
		t.Parallel()
		r := e.upload(key, part{"purpose", "batch"}, part{"target_model_names", "nova-converse"},
			part{"file", `{"custom_id":"t","method":"POST","url":"/v1/chat/completions","body":{"model":"nova-converse","messages":[{"role":"user","content":"Weather?"}],"tools":[` + weather + `],"tool_choice":"required"}}` + "\n"})
		var ae apiError
		r.json(t, &ae)
		if r.status != 400 || ae.Error.Param == nil || *ae.Error.Param != "tools" {
			t.Errorf("status=%d body=%s, want 400 for tools", r.status, r.body)
		}
	})
}

// checkToolAndThinking checks a result against the emulator's record: the
// tool call carries the id and arguments Bedrock returned, and thinking is
// in reasoning_content, never in content.
func checkToolAndThinking(t *testing.T, bl batchLine, want familyLine, raw json.RawMessage) {
	t.Helper()
	var body struct {
		Choices []struct {
			FinishReason string `json:"finish_reason"`
			Message      struct {
				Content          *string `json:"content"`
				ReasoningContent *string `json:"reasoning_content"`
				ToolCalls        []struct {
					ID       string `json:"id"`
					Type     string `json:"type"`
					Function struct {
						Name      string `json:"name"`
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(bl.Response.Body, &body); err != nil || len(body.Choices) != 1 {
		t.Errorf("%s: body = %s", bl.CustomID, bl.Response.Body)
		return
	}
	msg := body.Choices[0].Message
	rawText := string(raw)
	if want.tool != "" {
		if len(msg.ToolCalls) != 1 {
			t.Errorf("%s: tool_calls = %+v", bl.CustomID, msg.ToolCalls)
			return
		}
		tc := msg.ToolCalls[0]
		// The call is Bedrock's: its id, and the sampled schema (the
		// required city) as a JSON object in a string.
		var args map[string]any
		if !strings.Contains(rawText, `"`+tc.ID+`"`) || json.Unmarshal([]byte(tc.Function.Arguments), &args) != nil || args["city"] != "sample" {
			t.Errorf("%s: tool call %+v does not match Bedrock's %s", bl.CustomID, tc, raw)
		}
		if msg.Content != nil && *msg.Content != "" {
			t.Errorf("%s: content %q next to a tool call", bl.CustomID, *msg.Content)
		}
	} else if len(msg.ToolCalls) != 0 || strings.Contains(rawText, "toolUse") || strings.Contains(rawText, "tool_calls") || strings.Contains(rawText, "tool_use") {
		t.Errorf("%s: a call of a tool the request did not force: %s", bl.CustomID, raw)
	}
	if !want.reason {
		if msg.ReasoningContent != nil {
			t.Errorf("%s: reasoning_content without thinking: %s", bl.CustomID, bl.Response.Body)
		}
		return
	}
	// Bedrock's thinking: a Claude thinking block, or Converse reasoningContent.
	if !strings.Contains(rawText, `"type":"thinking"`) && !strings.Contains(rawText, `"reasoningContent"`) {
		t.Errorf("%s: Bedrock's answer has no thinking: %s", bl.CustomID, raw)
	}
	if msg.ReasoningContent == nil || msg.Content == nil || !strings.Contains(rawText, *msg.ReasoningContent) {
		t.Errorf("%s: reasoning_content is not Bedrock's thinking: %s", bl.CustomID, bl.Response.Body)
		return
	}
	if strings.Contains(*msg.Content, *msg.ReasoningContent) || strings.Contains(*msg.Content, "The user wants") ||
		!strings.HasPrefix(*msg.Content, "Simulated response") {
		t.Errorf("%s: thinking leaked into content %q", bl.CustomID, *msg.Content)
	}
}
