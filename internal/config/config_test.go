package config

import (
	"os"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseSeedConfigVerbatim(t *testing.T) {
	f, err := os.Open("testdata/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := Parse(f, env(map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}))
	if err != nil {
		t.Fatalf("seed config refused: %v", err)
	}
	if len(cfg.ModelList) != 1 {
		t.Fatalf("models=%d, want 1", len(cfg.ModelList))
	}
	m := cfg.ModelList[0]
	p := m.LiteLLMParams
	if m.ModelName != "bedrock-batch-claude" || p.BedrockModelID() != "us.anthropic.claude-3-5-sonnet-20240620-v1:0" {
		t.Errorf("model = %q -> %q", m.ModelName, p.BedrockModelID())
	}
	if p.S3AccessKeyID != "AKIDEXAMPLE" || p.S3SecretAccessKey != "secret" {
		t.Errorf("os.environ/ not resolved: %q %q", p.S3AccessKeyID, p.S3SecretAccessKey)
	}
	if p.S3BucketName != "litellm-proxy" || p.S3RegionName != "us-west-2" || m.ModelInfo.Mode != "batch" {
		t.Errorf("params = %+v", p)
	}
	if p.MinRecords() != DefaultMinRecordsPerJob || p.OutputBucket() != "litellm-proxy" {
		t.Errorf("defaults: min=%d out=%q", p.MinRecords(), p.OutputBucket())
	}
}

func TestEnvironmentFallbacks(t *testing.T) {
	yaml := `
model_list:
  - model_name: m
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
general_settings:
  master_key: os.environ/MASTER
`
	cfg, err := Parse(strings.NewReader(yaml), env(map[string]string{
		"AWS_S3_BUCKET_NAME": "bkt", "AWS_BATCH_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
		"AWS_S3_ENCRYPTION_KEY_ID": "alias/k", "MASTER": "sk-master",
	}))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.ModelList[0].LiteLLMParams
	if p.S3BucketName != "bkt" || p.AWSBatchRoleARN != "arn:aws:iam::123456789012:role/r" || p.S3EncryptionKeyID != "alias/k" {
		t.Errorf("fallbacks not applied: %+v", p)
	}
	if cfg.GeneralSettings.MasterKey != "sk-master" {
		t.Errorf("master key = %q", cfg.GeneralSettings.MasterKey)
	}
}

func TestTypedValuesFromEnvironment(t *testing.T) {
	yaml := `
model_list:
  - model_name: m
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      s3_bucket_name: bkt
      aws_batch_role_arn: arn:aws:iam::123456789012:role/r
      min_records_per_job: os.environ/MIN
    model_info:
      input_cost_per_token_batches: os.environ/PRICE
`
	cfg, err := Parse(strings.NewReader(yaml), env(map[string]string{"MIN": "10", "PRICE": "0.000001"}))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.ModelList[0]
	if m.LiteLLMParams.MinRecords() != 10 || *m.ModelInfo.InputCostPerTokenBatches != 0.000001 {
		t.Errorf("min=%d price=%v", m.LiteLLMParams.MinRecords(), *m.ModelInfo.InputCostPerTokenBatches)
	}
}

func TestLiteLLMSectionsAccepted(t *testing.T) {
	yaml := `
model_list:
  - model_name: gpt
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}
  - model_name: m
    litellm_params: {model: bedrock/anthropic.claude-3-haiku-20240307-v1:0, s3_bucket_name: bkt, aws_batch_role_arn: "arn:aws:iam::123456789012:role/r", rpm: 10}
litellm_settings: {drop_params: true}
router_settings: {routing_strategy: simple-shuffle}
`
	cfg, err := Parse(strings.NewReader(yaml), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cfg.BatchModels()); got != 1 {
		t.Errorf("batch models = %d, want 1", got)
	}
	if len(cfg.Warnings) == 0 {
		t.Error("no warning for the ignored openai/ model and LiteLLM-only sections")
	}
}

func TestErrorsNameTheField(t *testing.T) {
	base := func(params string) string {
		return "model_list:\n  - model_name: m\n    litellm_params:\n      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0\n" + params
	}
	ok := "      s3_bucket_name: bkt\n      aws_batch_role_arn: arn:aws:iam::123456789012:role/r\n"
	tests := []struct {
		name, yaml, field, msg string
		env                    map[string]string
	}{
		{"ErrNotYAML", "model_list: [", "config.yaml", "", nil},
		{"ErrEmpty", "", "config.yaml", "empty", nil},
		{"ErrNoModels", "model_list: []\n", "model_list", "no bedrock/ model", nil},
		{"ErrNoBucket", base("      aws_batch_role_arn: arn:aws:iam::123456789012:role/r\n"), "model_list[0].litellm_params.s3_bucket_name", "AWS_S3_BUCKET_NAME", nil},
		{"ErrBadBucket", base("      s3_bucket_name: Bad_Bucket\n      aws_batch_role_arn: arn:aws:iam::123456789012:role/r\n"), "model_list[0].litellm_params.s3_bucket_name", "not a valid S3 bucket name", nil},
		{"ErrNoRole", base("      s3_bucket_name: bkt\n"), "model_list[0].litellm_params.aws_batch_role_arn", "IAM role", nil},
		{"ErrBadRole", base("      s3_bucket_name: bkt\n      aws_batch_role_arn: role/r\n"), "model_list[0].litellm_params.aws_batch_role_arn", "not an IAM role ARN", nil},
		{"ErrUnsetEnv", base("      s3_bucket_name: bkt\n      aws_batch_role_arn: os.environ/ROLE\n"), "model_list[0].litellm_params.aws_batch_role_arn", "environment variable ROLE is not set", nil},
		{"ErrHalfCredentials", base(ok + "      s3_access_key_id: AKID\n"), "model_list[0].litellm_params.s3_secret_access_key", "together", nil},
		{"ErrInvocationType", base(ok + "      invocation_type: Stream\n"), "model_list[0].litellm_params.invocation_type", "InvokeModel or Converse", nil},
		{"ErrRouteContradicted", strings.Replace(base(ok+"      invocation_type: InvokeModel\n"), "bedrock/anthropic", "bedrock/converse/anthropic", 1), "model_list[0].litellm_params.invocation_type", "bedrock/converse/", nil},
		{"ErrEndpoint", base(ok + "      s3_endpoint_url: localhost:9000\n"), "model_list[0].litellm_params.s3_endpoint_url", "http", nil},
		{"ErrType", base(ok + "      min_records_per_job: many\n"), "config.yaml", "many", nil},
		{"ErrNegativePrice", base(ok + "    model_info:\n      input_cost_per_token_batches: -1\n"), "model_list[0].model_info.input_cost_per_token_batches", "negative", nil},
		{"ErrGroupMixesFamilies", base(ok) + "  - model_name: m\n    litellm_params:\n      model: bedrock/amazon.nova-lite-v1:0\n" + ok, "model_list[1].litellm_params.model", "nova family, the first deployment of \"m\" of the anthropic family", nil},
		{"ErrGroupMixesInvocation", base(ok) + "  - model_name: m\n    litellm_params:\n      model: bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0\n" + ok, "model_list[1].litellm_params.model", "invocation type Converse", nil},
		{"ErrGroupSameID", base(ok+"    model_info: {id: east}\n") + "  - model_name: m\n    litellm_params:\n      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0\n" + ok + "    model_info: {id: east}\n", "model_list[1].model_info.id", "needs its own", nil},
		{"ErrMasterKey", base(ok) + "general_settings:\n  master_key: secret\n", "general_settings.master_key", "sk-", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.yaml), env(tt.env))
			ce, ok := err.(*Error)
			if !ok {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if ce.Field != tt.field || !strings.Contains(ce.Message, tt.msg) {
				t.Errorf("err = %q, want field %q and message containing %q", ce, tt.field, tt.msg)
			}
		})
	}
}

// TestLiteLLMRoutes: LiteLLM's bedrock/converse/ and bedrock/invoke/ model
// routes give the Bedrock model id without the route, and converse/ the
// Converse invocation type unless invocation_type says otherwise.
func TestLiteLLMRoutes(t *testing.T) {
	for _, tt := range []struct{ model, invocation, wantID, wantInvocation string }{
		{"bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "", "us.anthropic.claude-3-5-haiku-20241022-v1:0", ""},
		{"bedrock/converse/us.anthropic.claude-3-5-haiku-20241022-v1:0", "", "us.anthropic.claude-3-5-haiku-20241022-v1:0", "Converse"},
		{"bedrock/invoke/us.amazon.nova-lite-v1:0", "", "us.amazon.nova-lite-v1:0", ""},
		{"bedrock/amazon.nova-lite-v1:0", "Converse", "amazon.nova-lite-v1:0", "Converse"},
		{"bedrock/converse/amazon.nova-lite-v1:0", "Converse", "amazon.nova-lite-v1:0", "Converse"},
	} {
		p := LiteLLMParams{Model: tt.model, InvocationType: tt.invocation}
		if id, inv := p.BedrockModelID(), p.Invocation(); id != tt.wantID || inv != tt.wantInvocation {
			t.Errorf("%s (invocation_type %q): model id %q, invocation %q; want %q, %q", tt.model, tt.invocation, id, inv, tt.wantID, tt.wantInvocation)
		}
	}
}

// TestModelGroup: a model_name listed several times is one group of
// deployments, each with its own region, bucket, role and quotas.
func TestModelGroup(t *testing.T) {
	yaml := `model_list:
  - model_name: claude
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0
      aws_region_name: us-east-1
      s3_bucket_name: east-bucket
      aws_batch_role_arn: arn:aws:iam::123456789012:role/east
    model_info: {batch_max_concurrent_jobs: 10}
  - model_name: claude
    litellm_params:
      model: bedrock/anthropic.claude-3-5-haiku-20241022-v1:0
      aws_region_name: us-west-2
      s3_bucket_name: west-bucket
      aws_batch_role_arn: arn:aws:iam::123456789012:role/west
    model_info: {batch_max_concurrent_jobs: 5}
`
	cfg, err := Parse(strings.NewReader(yaml), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	ms := cfg.BatchModels()
	if len(ms) != 2 || ms[0].ModelName != "claude" || ms[1].ModelName != "claude" ||
		ms[1].LiteLLMParams.S3BucketName != "west-bucket" || ms[1].Quotas().MaxConcurrentJobs != 5 || ms[0].Quotas().MaxConcurrentJobs != 10 {
		t.Errorf("group = %+v", ms)
	}
}

// Each deployment of a group needs its own model_info.id: a repeat of any
// earlier one (not only the first's) is refused, naming the entry.
func TestModelGroupDuplicateID(t *testing.T) {
	entry := func(id, region string) string {
		return `  - model_name: claude
    litellm_params:
      model: bedrock/anthropic.claude-3-5-haiku-20241022-v1:0
      aws_region_name: ` + region + `
      s3_bucket_name: b-` + region + `
      aws_batch_role_arn: arn:aws:iam::123456789012:role/r
    model_info: {id: ` + id + `}
`
	}
	_, err := Parse(strings.NewReader("model_list:\n"+entry("a", "us-east-1")+entry("b", "us-west-2")+entry("b", "eu-west-1")), env(nil))
	if err == nil || !strings.Contains(err.Error(), "model_list[2].model_info.id") {
		t.Errorf("a third deployment repeating the second's id: %v", err)
	}
	if _, err := Parse(strings.NewReader("model_list:\n"+entry("a", "us-east-1")+entry("b", "us-west-2")+entry("c", "eu-west-1")), env(nil)); err != nil {
		t.Errorf("distinct ids: %v", err)
	}
}
