package config

import (
	"os"
	"strings"
	"testing"
)

func parseFile(t *testing.T, path string, vars map[string]string) (*Config, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Parse(f, env(vars))
}

// TestMixedConfigStarts: a LiteLLM config listing openai/, azure/ and
// real-time bedrock/ models next to a batch model loads; the models that
// cannot serve batches are left out with one warning each.
func TestMixedConfigStarts(t *testing.T) {
	cfg, err := parseFile(t, "testdata/mixed.yaml", map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"})
	if err != nil {
		t.Fatalf("mixed config refused: %v", err)
	}
	bm := cfg.BatchModels()
	if len(bm) != 1 || bm[0].ModelName != "bedrock-batch-claude" {
		t.Fatalf("batch models = %+v, want bedrock-batch-claude only", bm)
	}
	for _, name := range []string{"openai/gpt-4o", "azure/gpt-4o-eu", "bedrock/anthropic.claude-3-haiku-20240307-v1:0", "bedrock/amazon.titan-embed-text-v2:0"} {
		n := 0
		for _, w := range cfg.Warnings {
			if strings.Contains(w, name) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d warnings name %s, want 1: %q", n, name, cfg.Warnings)
		}
	}
}

// TestEnvironmentVariablesSection: environment_variables are set before
// os.environ/ references and LiteLLM's environment fallbacks are resolved,
// and override the process's environment, as LiteLLM's proxy does.
func TestEnvironmentVariablesSection(t *testing.T) {
	cfg, err := parseFile(t, "testdata/mixed.yaml", map[string]string{
		"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "LITELLM_MASTER_KEY": "sk-from-process",
	})
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.BatchModels()[0].LiteLLMParams
	if p.AWSBatchRoleARN != "arn:aws:iam::888602223428:role/service-role/BedrockBatch" {
		t.Errorf("role = %q: os.environ/ not resolved from environment_variables", p.AWSBatchRoleARN)
	}
	if cfg.GeneralSettings.MasterKey != "sk-from-config" {
		t.Errorf("master key = %q, want environment_variables' value", cfg.GeneralSettings.MasterKey)
	}
	if got := cfg.EnvironmentVariables["SLACK_WEBHOOK_URL"]; got != "https://hooks.slack.com/services/T000/B000/XXXX" {
		t.Errorf("EnvironmentVariables = %v", cfg.EnvironmentVariables)
	}
	// A value naming another variable takes that variable's value; one
	// naming an unset variable sets nothing (LiteLLM skips it).
	yaml := `
model_list:
  - model_name: m
    litellm_params: {model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0", s3_bucket_name: bkt, aws_batch_role_arn: os.environ/ROLE}
environment_variables:
  ROLE: os.environ/OTHER_ROLE
  AWS_S3_BUCKET_NAME: os.environ/UNSET
  PORT: 4000
`
	cfg, err = Parse(strings.NewReader(yaml), env(map[string]string{"OTHER_ROLE": "arn:aws:iam::123456789012:role/r"}))
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.ModelList[0].LiteLLMParams; p.AWSBatchRoleARN != "arn:aws:iam::123456789012:role/r" {
		t.Errorf("role = %q", p.AWSBatchRoleARN)
	}
	if _, ok := cfg.EnvironmentVariables["AWS_S3_BUCKET_NAME"]; ok || cfg.EnvironmentVariables["PORT"] != "4000" {
		t.Errorf("EnvironmentVariables = %v", cfg.EnvironmentVariables)
	}
}

// TestBucketPrefix: s3_bucket_name "bucket/prefix" (newer LiteLLM) puts
// objects under the prefix in the bucket.
func TestBucketPrefix(t *testing.T) {
	cfg, err := parseFile(t, "testdata/mixed.yaml", map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"})
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.BatchModels()[0].LiteLLMParams
	if p.S3BucketName != "litellm-batch-bucket" || p.KeyPrefix() != "teams/ml/" || p.OutputBucket() != "litellm-batch-bucket" || p.OutputKeyPrefix() != "teams/ml/" {
		t.Errorf("bucket %q prefix %q, output %q %q", p.S3BucketName, p.KeyPrefix(), p.OutputBucket(), p.OutputKeyPrefix())
	}
	base := "model_list:\n  - model_name: m\n    litellm_params:\n      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0\n      aws_batch_role_arn: arn:aws:iam::123456789012:role/r\n"
	cfg, err = Parse(strings.NewReader(base+"      s3_bucket_name: in-bkt/a/b/\n      s3_output_bucket_name: out-bkt\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	p = cfg.ModelList[0].LiteLLMParams
	if p.S3BucketName != "in-bkt" || p.KeyPrefix() != "a/b/" || p.OutputBucket() != "out-bkt" || p.OutputKeyPrefix() != "" {
		t.Errorf("bucket %q prefix %q, output %q %q", p.S3BucketName, p.KeyPrefix(), p.OutputBucket(), p.OutputKeyPrefix())
	}
	for _, bad := range []string{"s3://bkt/a", "bkt/a/../b", "bkt/a//b", "bkt/a?x", "/a"} {
		_, err := Parse(strings.NewReader(base+"      s3_bucket_name: \""+bad+"\"\n"), env(nil))
		if ce, ok := err.(*Error); !ok || ce.Field != "model_list[0].litellm_params.s3_bucket_name" {
			t.Errorf("s3_bucket_name %q: err = %v, want an error naming the field", bad, err)
		}
	}
}

// TestModeBatchMustBeServable: only a model that says mode: batch and cannot
// be served stops the start.
func TestModeBatchMustBeServable(t *testing.T) {
	for _, tt := range []struct{ name, entry, field, msg string }{
		{"NoBucket", "      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0\n      aws_batch_role_arn: arn:aws:iam::123456789012:role/r\n", "model_list[1].litellm_params.s3_bucket_name", "AWS_S3_BUCKET_NAME"},
		{"NoRole", "      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0\n      s3_bucket_name: bkt\n", "model_list[1].litellm_params.aws_batch_role_arn", "IAM role"},
		{"NotBedrock", "      model: openai/gpt-4o\n", "model_list[1].litellm_params.model", "bedrock/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			yaml := "model_list:\n  - model_name: ok\n    litellm_params: {model: \"bedrock/amazon.nova-lite-v1:0\", s3_bucket_name: bkt, aws_batch_role_arn: \"arn:aws:iam::123456789012:role/r\"}\n" +
				"  - model_name: m\n    litellm_params:\n" + tt.entry + "    model_info:\n      mode: batch\n"
			_, err := Parse(strings.NewReader(yaml), env(nil))
			ce, ok := err.(*Error)
			if !ok || ce.Field != tt.field || !strings.Contains(ce.Message, tt.msg) {
				t.Errorf("err = %v, want field %s and %q", err, tt.field, tt.msg)
			}
		})
	}
}
