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
	if err != nil || len(deps) != 1 || deps[0].Name() != "claude" || len(warnings) != 1 || !strings.Contains(warnings[0], "cohere-chat") {
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
