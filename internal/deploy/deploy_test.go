package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/batchgate/batchgate/internal/config"
)

// TestNewChecksTheModel: a batch model batchgate cannot translate for fails
// when the deployment is built (at start), naming the model and the way
// out for inference profile ARNs; model_info.base_model is that way out.
func TestNewChecksTheModel(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	params := func(model string) config.LiteLLMParams {
		return config.LiteLLMParams{Model: model, S3BucketName: "bkt", AWSBatchRoleARN: "arn:aws:iam::123456789012:role/r"}
	}
	profile := "bedrock/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
	for _, tt := range []struct {
		name, model, base string
		wantErr           string
	}{
		{"Claude", "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "", ""},
		{"Cohere", "bedrock/cohere.command-r-v1:0", "", "cohere.command-r-v1:0"},
		{"ProfileWithoutBase", profile, "", "model_info.base_model"},
		{"ProfileWithBase", profile, "anthropic.claude-3-5-haiku-20241022-v1:0", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := config.Model{ModelName: "m-" + tt.name, LiteLLMParams: params(tt.model), ModelInfo: config.ModelInfo{BaseModel: tt.base}}
			_, err := New(context.Background(), m)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), m.ModelName)) {
				t.Fatalf("New = %v; want an error naming %s and %q", err, m.ModelName, tt.wantErr)
			}
		})
	}
}

// TestAllLeavesOutChatModels: in a LiteLLM config, a bedrock/ model
// batchgate cannot translate for is left out with a warning unless it is
// declared mode: batch, which fails.
func TestAllLeavesOutChatModels(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	lp := func(model string) config.LiteLLMParams {
		return config.LiteLLMParams{Model: model, S3BucketName: "bkt", AWSBatchRoleARN: "arn:aws:iam::123456789012:role/r"}
	}
	claude := config.Model{ModelName: "claude", LiteLLMParams: lp("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"), ModelInfo: config.ModelInfo{Mode: "batch"}}
	cohere := config.Model{ModelName: "cohere-chat", LiteLLMParams: lp("bedrock/cohere.command-r-v1:0")}
	deps, warnings, err := All(context.Background(), []config.Model{claude, cohere})
	// The last warning; the first says claude is not in the batch table.
	if err != nil || len(deps) != 1 || deps[0].Name() != "claude" || len(warnings) != 2 || !strings.Contains(warnings[1], "cohere-chat") {
		t.Fatalf("All = %d deployments, warnings %q, %v; want claude only and a warning for cohere-chat", len(deps), warnings, err)
	}
	cohere.ModelInfo.Mode = "batch"
	if _, _, err := All(context.Background(), []config.Model{claude, cohere}); err == nil || !strings.Contains(err.Error(), "cohere-chat") {
		t.Fatalf("All with cohere-chat as mode: batch = %v; want an error naming it", err)
	}
	if _, _, err := All(context.Background(), []config.Model{{ModelName: "only-cohere", LiteLLMParams: lp("bedrock/cohere.command-r-v1:0")}}); err == nil {
		t.Fatal("All without any servable model: no error")
	}
}

// TestNewChecksBatchRegions: a deployment that AWS's batch inference table
// says cannot run batch jobs in its region fails at start, naming the model
// and the region, and the inference profile id to use for a profile-only
// model; the region is aws_region_name, else the ARN's.
func TestNewChecksBatchRegions(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	for _, tt := range []struct {
		name, model, region, base string
		want                      []string // in the error; none: no error
	}{
		{"ProfileOnlyModel", "bedrock/amazon.nova-premier-v1:0", "us-east-1", "", []string{"amazon.nova-premier-v1:0", "us-east-1", "us.amazon.nova-premier-v1:0"}},
		{"ProfileOnlyModelByEnvRegion", "bedrock/amazon.nova-premier-v1:0", "", "", []string{"us-east-1", "us.amazon.nova-premier-v1:0"}},
		{"ProfileOfProfileOnlyModel", "bedrock/us.amazon.nova-premier-v1:0", "us-west-2", "", nil},
		{"ProfileOutsideItsRegions", "bedrock/us.amazon.nova-premier-v1:0", "eu-west-1", "", []string{"us.amazon.nova-premier-v1:0", "eu-west-1"}},
		{"FoundationModelElsewhere", "bedrock/amazon.nova-pro-v1:0", "eu-west-1", "", []string{"amazon.nova-pro-v1:0", "eu-west-1", "eu.amazon.nova-pro-v1:0"}},
		{"FoundationModel", "bedrock/converse/amazon.nova-pro-v1:0", "us-east-1", "", nil},
		{"ARNRegion", "bedrock/arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0", "", "", []string{"amazon.nova-lite-v1:0", "eu-west-1"}},
		{"ApplicationProfileOfProfileOnlyModel", "bedrock/arn:aws:bedrock:us-east-2:123456789012:application-inference-profile/abc", "", "amazon.nova-premier-v1:0", nil},
		{"ProvisionedModel", "bedrock/arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc", "", "amazon.nova-pro-v1:0", []string{"provisioned"}},
		{"Unlisted", "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "ap-south-1", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := config.Model{ModelName: "m-" + tt.name, ModelInfo: config.ModelInfo{Mode: "batch", BaseModel: tt.base},
				LiteLLMParams: config.LiteLLMParams{Model: tt.model, AWSRegionName: tt.region, S3BucketName: "bkt", AWSBatchRoleARN: "arn:aws:iam::123456789012:role/r"}}
			_, err := New(context.Background(), m)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New: no error; want one naming %q", tt.want)
			}
			for _, w := range append(tt.want, m.ModelName) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New = %v; want it to name %q", err, w)
				}
			}
		})
	}
}

// TestAllWarnsOfUnlistedModels: a model the batch table does not list (or
// not for its region) starts with a warning naming it; a listed one
// without. A chat deployment (not mode: batch) that cannot run batch jobs
// in its region is left out with a warning, as one batchgate cannot
// translate for.
func TestAllWarnsOfUnlistedModels(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	lp := func(model string) config.LiteLLMParams {
		return config.LiteLLMParams{Model: model, S3BucketName: "bkt", AWSBatchRoleARN: "arn:aws:iam::123456789012:role/r"}
	}
	nova := config.Model{ModelName: "nova", LiteLLMParams: lp("bedrock/us.amazon.nova-lite-v1:0"), ModelInfo: config.ModelInfo{Mode: "batch"}}
	claude := config.Model{ModelName: "claude", LiteLLMParams: lp("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"), ModelInfo: config.ModelInfo{Mode: "batch"}}
	premierChat := config.Model{ModelName: "premier-chat", LiteLLMParams: lp("bedrock/amazon.nova-premier-v1:0")}
	deps, warnings, err := All(context.Background(), []config.Model{nova, claude, premierChat})
	if err != nil || len(deps) != 2 {
		t.Fatalf("All = %d deployments, %v; want nova and claude", len(deps), err)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "claude") || !strings.Contains(warnings[0], "anthropic.claude-3-5-haiku-20241022-v1:0") ||
		!strings.Contains(warnings[1], "premier-chat") || !strings.Contains(warnings[1], "not served") {
		t.Fatalf("warnings = %q; want one for claude (unlisted) and one for premier-chat (left out)", warnings)
	}
}
