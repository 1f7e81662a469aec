package bedrocksim_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/batchgate/batchgate/bedrocksim"
)

// Rules AWS enforces that a translation can break (bedrock-fidelity-audit.md).

func claudeTools(choice string) string {
	return `{"anthropic_version":"bedrock-2023-05-31","max_tokens":200,"messages":[{"role":"user","content":"Weather?"}],` +
		`"tools":[{"name":"weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],"tool_choice":` + choice + `}`
}

// TestModel_ClaudeToolChoiceNone: Bedrock's Claude takes tool_choice auto,
// any and tool only (boto/botocore#3458).
func TestModel_ClaudeToolChoiceNone(t *testing.T) {
	runModelCases(t, "anthropic.claude-sonnet-4-20250514-v1:0", "", []modelCase{
		{name: "ErrNone", input: claudeTools(`{"type":"none"}`),
			err: "tool_choice: Input tag 'none' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool'"},
		{name: "ErrUnknown", input: claudeTools(`{"type":"required"}`),
			err: "tool_choice: Input tag 'required' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool'"},
		{name: "Auto", input: claudeTools(`{"type":"auto"}`), check: func(t *testing.T, out map[string]any) {
			if out["stop_reason"] != "end_turn" {
				t.Errorf("modelOutput=%v", out)
			}
		}},
	})
}

// TestModel_ClaudeDisableParallelToolUse: older Claude models on Bedrock
// refuse tool_choice.disable_parallel_tool_use as an extraneous key
// (anthropic-sdk-python#739, Claude 3.5 Sonnet v2); newer ones take it
// (vercel/ai#15112).
func TestModel_ClaudeDisableParallelToolUse(t *testing.T) {
	older := []string{
		"anthropic.claude-3-haiku-20240307-v1:0",
		"anthropic.claude-3-sonnet-20240229-v1:0",
		"us.anthropic.claude-3-opus-20240229-v1:0",
		"anthropic.claude-3-5-sonnet-20240620-v1:0",
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0",
		"us.anthropic.claude-3-5-haiku-20241022-v1:0",
	}
	newer := []string{
		"us.anthropic.claude-3-7-sonnet-20250219-v1:0",
		"us.anthropic.claude-sonnet-4-20250514-v1:0",
		"us.anthropic.claude-opus-4-1-20250805-v1:0",
		"global.anthropic.claude-sonnet-4-5-20250929-v1:0",
		"us.anthropic.claude-haiku-4-5-20251001-v1:0",
	}
	for _, id := range older {
		t.Run(id, func(t *testing.T) {
			runModelCases(t, id, "", []modelCase{
				{name: "ErrAuto", input: claudeTools(`{"type":"auto","disable_parallel_tool_use":true}`),
					err: "Malformed input request: #/tool_choice: extraneous key [disable_parallel_tool_use] is not permitted"},
				{name: "ErrTool", input: claudeTools(`{"type":"tool","name":"weather","disable_parallel_tool_use":false}`),
					err: "#/tool_choice: extraneous key [disable_parallel_tool_use] is not permitted"},
				{name: "ErrOtherKey", input: claudeTools(`{"type":"auto","parallel":false}`),
					err: "#/tool_choice: extraneous key [parallel] is not permitted"},
				{name: "Auto", input: claudeTools(`{"type":"auto"}`), check: func(t *testing.T, out map[string]any) {
					if out["stop_reason"] != "end_turn" {
						t.Errorf("modelOutput=%v", out)
					}
				}},
			})
		})
	}
	for _, id := range newer {
		t.Run(id, func(t *testing.T) {
			runModelCases(t, id, "", []modelCase{
				{name: "Auto", input: claudeTools(`{"type":"auto","disable_parallel_tool_use":true}`), check: func(t *testing.T, out map[string]any) {
					if out["stop_reason"] != "end_turn" {
						t.Errorf("modelOutput=%v", out)
					}
				}},
				{name: "Tool", input: claudeTools(`{"type":"tool","name":"weather","disable_parallel_tool_use":true}`), check: func(t *testing.T, out map[string]any) {
					if out["stop_reason"] != "tool_use" || dig(out, "content", 0, "name") != "weather" {
						t.Errorf("modelOutput=%v", out)
					}
				}},
				{name: "ErrType", input: claudeTools(`{"type":"any","disable_parallel_tool_use":"yes"}`),
					err: "#/tool_choice/disable_parallel_tool_use: expected type: Boolean, found: String"},
				{name: "ErrOtherKey", input: claudeTools(`{"type":"auto","parallel":false}`),
					err: "#/tool_choice: extraneous key [parallel] is not permitted"},
			})
		})
	}
}

// TestModel_ConverseLimits: the bedrock-runtime service model's ToolChoice
// union is auto | any | tool, and InferenceConfiguration.temperature is 0..1,
// whatever the model (OpenAI's 0..2 does not carry over).
func TestModel_ConverseLimits(t *testing.T) {
	for _, id := range []string{claudeID, "openai.gpt-oss-120b-1:0", "qwen.qwen3-32b-v1:0"} {
		t.Run(id, func(t *testing.T) {
			runModelCases(t, id, types.ModelInvocationTypeConverse, []modelCase{
				{name: "ErrToolChoiceNone", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{}}}}],"toolChoice":{"none":{}}}}`,
					err: "#/toolConfig/toolChoice: extraneous key [none] is not permitted"},
				{name: "ErrTemperature", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"temperature":1.5}}`,
					err: "#/inferenceConfig/temperature: 1.5 is not less or equal to 1"},
				{name: "Temperature1", input: `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"temperature":1}}`,
					check: func(t *testing.T, out map[string]any) {
						if out["stopReason"] != "end_turn" {
							t.Errorf("modelOutput=%v", out)
						}
					}},
			})
		})
	}
}

// TestModel_MistralMaxTokens: max_tokens maximum and default per model, from
// AWS's Mistral AI text completion parameters page.
func TestModel_MistralMaxTokens(t *testing.T) {
	long := strings.Repeat("word ", 600) // a reply of more than 512 tokens
	prompt := func(maxTokens string) string {
		return `{"prompt":"<s>[INST] ` + long + `[/INST]"` + maxTokens + `}`
	}
	stopReason := func(want string) func(t *testing.T, out map[string]any) {
		return func(t *testing.T, out map[string]any) {
			if got := dig(out, "outputs", 0, "stop_reason"); got != want {
				t.Errorf("stop_reason=%v, want %s", got, want)
			}
		}
	}
	for _, tc := range []struct {
		id         string
		max        int
		defaultCut bool // the default max_tokens (512) cuts the long reply
	}{
		{"mistral.mistral-7b-instruct-v0:2", 8192, true},
		{"mistral.mixtral-8x7b-instruct-v0:1", 4096, true},
		{"mistral.mistral-large-2402-v1:0", 8192, false},
		{"mistral.mistral-small-2402-v1:0", 8192, false},
	} {
		t.Run(tc.id, func(t *testing.T) {
			dflt := stopReason("stop")
			if tc.defaultCut {
				dflt = stopReason("length")
			}
			runModelCases(t, tc.id, "", []modelCase{
				{name: "Max", input: prompt(fmt.Sprintf(`,"max_tokens":%d`, tc.max)), check: stopReason("stop")},
				{name: "ErrOverMax", input: prompt(fmt.Sprintf(`,"max_tokens":%d`, tc.max+1)),
					err: fmt.Sprintf("#/max_tokens: %d is not less or equal to %d", tc.max+1, tc.max)},
				{name: "Default", input: prompt(""), check: dflt},
			})
		})
	}
	// Mistral Large's chat body has the same limit.
	runModelCases(t, "mistral.mistral-large-2407-v1:0", "", []modelCase{
		{name: "ChatMax", input: `{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8192}`, check: func(t *testing.T, out map[string]any) {
			if dig(out, "choices", 0, "stop_reason") != "stop" {
				t.Errorf("modelOutput=%v", out)
			}
		}},
		{name: "ErrChatOverMax", input: `{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8193}`,
			err: "#/max_tokens: 8193 is not less or equal to 8192"},
	})
}

// createErr creates a job and returns its error.
func (e *env) createErr(t *testing.T, mods ...func(*bedrock.CreateModelInvocationJobInput)) error {
	t.Helper()
	_, err := e.bedrock.CreateModelInvocationJob(context.Background(), e.input(mods...))
	return err
}

func withModel(id string) func(*bedrock.CreateModelInvocationJobInput) {
	return func(in *bedrock.CreateModelInvocationJobInput) { in.ModelId = aws.String(id) }
}

// TestCreate_ModelRegion: AWS runs batch jobs for some models only in some
// regions, and for some (Nova Premier) only through an inference profile
// ("Supported Regions and models for batch inference").
func TestCreate_ModelRegion(t *testing.T) {
	for _, tc := range []struct {
		region, model string
		err           string // "" when accepted
	}{
		{"us-east-1", "amazon.nova-premier-v1:0", "Invocation of model ID amazon.nova-premier-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model."},
		{"us-east-1", "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-premier-v1:0", "with on-demand throughput isn’t supported"},
		{"us-east-1", "us.amazon.nova-premier-v1:0", ""},
		{"us-west-2", "us.amazon.nova-premier-v1:0", ""},
		{"eu-west-1", "eu.amazon.nova-premier-v1:0", "The model eu.amazon.nova-premier-v1:0 is not supported for batch inference in eu-west-1."},
		{"us-east-1", "amazon.nova-lite-v1:0", ""},
		{"us-gov-west-1", "amazon.nova-lite-v1:0", ""},
		{"us-west-2", "amazon.nova-lite-v1:0", "The model amazon.nova-lite-v1:0 is not supported for batch inference in us-west-2."},
		{"us-west-2", "us.amazon.nova-lite-v1:0", ""},
		{"eu-west-1", "eu.amazon.nova-pro-v1:0", ""},
		{"ca-central-1", "us.amazon.nova-micro-v1:0", "The model us.amazon.nova-micro-v1:0 is not supported for batch inference in ca-central-1."},
		// A geographic profile is called from a region of its geography.
		{"eu-west-1", "us.amazon.nova-lite-v1:0", "The model us.amazon.nova-lite-v1:0 is not supported for batch inference in eu-west-1."},
		{"us-east-1", "eu.anthropic.claude-3-haiku-20240307-v1:0", "is not supported for batch inference in us-east-1"},
		{"ap-northeast-1", "apac.anthropic.claude-3-haiku-20240307-v1:0", ""},
		// Models the table does not list are not checked.
		{"us-east-1", "anthropic.claude-3-haiku-20240307-v1:0", ""},
		{"us-east-1", "mistral.mistral-large-2407-v1:0", ""},
	} {
		t.Run(tc.region+"/"+tc.model, func(t *testing.T) {
			e := newEnv(t, bedrocksim.Config{Region: tc.region, MinRecordsPerJob: -1, StepDelay: 1})
			err := e.createErr(t, withModel(tc.model))
			if tc.err == "" {
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				return
			}
			var ve *types.ValidationException
			if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), tc.err) {
				t.Fatalf("err=%v, want ValidationException %q", err, tc.err)
			}
		})
	}
}

// TestCreate_ModelARNs: application inference profile and custom model ARNs
// run as the foundation model Config.ModelARNs maps them to; an ARN it does
// not know is not found, and provisioned-model ARNs are outside the service
// model's ModelId pattern.
func TestCreate_ModelARNs(t *testing.T) {
	const (
		appProfile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"
		custom     = "arn:aws:bedrock:us-east-1:123456789012:custom-model/anthropic.claude-3-haiku-20240307-v1:0:200k/abcdefghij12"
		unknown    = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zzzzzzzzzzzz"
		// A custom Titan Text model: in the map, but of a family the emulator has not.
		titan = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abcdefghijkl"
		// A custom model not in the map.
		unknownCustom = "arn:aws:bedrock:us-east-1:123456789012:custom-model/anthropic.claude-3-haiku-20240307-v1:0:200k/zzzzzzzzzzzz"
		// ProvisionedModelArn's form; ModelId's pattern has no branch for it.
		provisioned = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghij12"
	)
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: -1, StepDelay: 1, ModelARNs: map[string]string{
		appProfile: "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
		custom:     "anthropic.claude-3-haiku-20240307-v1:0",
		titan:      "amazon.titan-text-express-v1",
	}})
	e.put(t, "in/x.jsonl", []byte(claudeRecord(1)+"\n"))
	for id, model := range map[string]string{appProfile: "claude-3-5-sonnet-20240620", custom: "claude-3-haiku-20240307"} {
		arn := e.create(t, withModel(id))
		got := e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
		if aws.ToString(got.ModelId) != id {
			t.Errorf("modelId=%q, want %q", aws.ToString(got.ModelId), id)
		}
		lines := e.lines(t, "out/"+jobID(arn)+"/x.jsonl.out")
		if len(lines) != 1 || !strings.Contains(string(lines[0]["modelOutput"]), `"model":"`+model+`"`) {
			t.Errorf("%s: output %v, want a %s answer", id, lines, model)
		}
	}

	for _, id := range []string{unknown, unknownCustom} {
		err := e.createErr(t, withModel(id))
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || !strings.Contains(aws.ToString(nf.Message), id) {
			t.Errorf("unknown ARN: err=%v, want ResourceNotFoundException naming it", err)
		}
	}
	err := e.createErr(t, withModel(titan))
	var ve *types.ValidationException
	if !errors.As(err, &ve) || aws.ToString(ve.Message) != "The provided model identifier is invalid." {
		t.Errorf("ARN of an unsupported family: err=%v, want ValidationException", err)
	}
	err = e.createErr(t, withModel(provisioned))
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern") {
		t.Errorf("provisioned-model ARN: err=%v, want the ModelId pattern violation", err)
	}
}

// outputOrder runs one job over n records and returns the recordIds of its
// output file in the order they were written.
func outputOrder(t *testing.T, e *env, n int) []string {
	t.Helper()
	e.putRecords(t, "in/x.jsonl", n, claudeRecord)
	arn := e.create(t)
	e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
	var ids []string
	for _, l := range e.lines(t, "out/"+jobID(arn)+"/x.jsonl.out") {
		ids = append(ids, strings.Trim(string(l["recordId"]), `"`))
	}
	return ids
}

func inputOrder(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%03d", i)
	}
	return ids
}

// TestOutput_Shuffled: AWS does not guarantee the output line order, so the
// emulator writes each output file in a shuffled order, reproducible per job
// id, or fixed by Config.OutputOrderSeed.
func TestOutput_Shuffled(t *testing.T) {
	const n = 40
	in := inputOrder(n)
	sameSet := func(t *testing.T, got []string) {
		t.Helper()
		sorted := slices.Sorted(slices.Values(got))
		if !slices.Equal(sorted, in) {
			t.Fatalf("output recordIds %v, want a permutation of the input's", got)
		}
	}

	t.Run("PerJob", func(t *testing.T) {
		// The same seed gives the same job ids, hence the same orders.
		a := outputOrder(t, newEnv(t, bedrocksim.Config{MinRecordsPerJob: -1, Seed: 42}), n)
		b := outputOrder(t, newEnv(t, bedrocksim.Config{MinRecordsPerJob: -1, Seed: 42}), n)
		c := outputOrder(t, newEnv(t, bedrocksim.Config{MinRecordsPerJob: -1, Seed: 43}), n)
		sameSet(t, a)
		sameSet(t, c)
		if slices.Equal(a, in) {
			t.Errorf("output in input order: %v", a)
		}
		if !slices.Equal(a, b) {
			t.Errorf("same job id, different orders:\n%v\n%v", a, b)
		}
		if slices.Equal(a, c) {
			t.Errorf("different job ids, same order %v", a)
		}
	})
	t.Run("FixedSeed", func(t *testing.T) {
		e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: -1, OutputOrderSeed: 7})
		a, b := outputOrder(t, e, n), outputOrder(t, e, n)
		sameSet(t, a)
		if slices.Equal(a, in) || !slices.Equal(a, b) {
			t.Errorf("fixed seed: orders\n%v\n%v, want the same shuffled order for both jobs", a, b)
		}
	})
}
