package deploy

import (
	"testing"

	"github.com/batchgate/batchgate/internal/config"
)

// TestDeploymentIDs: the deployments of a group get distinct ids that stay
// the same from one start to the next (stored jobs name them);
// model_info.id, when set, is the id.
func TestDeploymentIDs(t *testing.T) {
	m := func(region, bucket, id string) config.Model {
		return config.Model{ModelName: "claude", LiteLLMParams: config.LiteLLMParams{
			Model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0", AWSRegionName: region, S3BucketName: bucket,
			AWSBatchRoleARN: "arn:aws:iam::123456789012:role/r",
		}, ModelInfo: config.ModelInfo{ID: id}}
	}
	east, west := FromConfig(m("us-east-1", "east", ""), "us-east-1", nil, nil), FromConfig(m("us-west-2", "west", ""), "us-west-2", nil, nil)
	if east.ID == west.ID || east.ID == "" {
		t.Errorf("ids %q and %q, want distinct", east.ID, west.ID)
	}
	if again := FromConfig(m("us-east-1", "east", ""), "us-east-1", nil, nil); again.ID != east.ID {
		t.Errorf("id %q then %q, want stable", east.ID, again.ID)
	}
	if d := FromConfig(m("us-east-1", "east", "claude-east"), "us-east-1", nil, nil); d.ID != "claude-east" || d.Region != "us-east-1" || d.InputBucket != "east" || d.ModelName != "claude" {
		t.Errorf("deployment = %+v", d)
	}
}
