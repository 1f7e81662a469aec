package bedrockmodel

import (
	"strings"
	"testing"
)

func TestBatchSupport(t *testing.T) {
	const appProfile = "bedrock/arn:aws:bedrock:us-east-2:123456789012:application-inference-profile/abc"
	for _, tt := range []struct {
		model, base, region string
		want                Verdict
		says                []string // in the message
	}{
		// Nova Premier runs batch jobs through an inference profile only.
		{"bedrock/amazon.nova-premier-v1:0", "", "us-east-1", Unsupported, []string{"amazon.nova-premier-v1:0", "us-east-1", "use the inference profile id us.amazon.nova-premier-v1:0"}},
		{"bedrock/amazon.nova-premier-v1:0", "", "eu-west-1", Unsupported, []string{"eu-west-1", "us-east-1, us-east-2, us-west-2 only"}},
		{"bedrock/amazon.nova-premier-v1:0", "", "", Unsupported, []string{"us.amazon.nova-premier-v1:0"}},
		{"bedrock/us.amazon.nova-premier-v1:0", "", "us-west-2", Supported, []string{"us-west-2"}},
		{"bedrock/us.amazon.nova-premier-v1:0", "", "ap-south-1", Unsupported, []string{"us.amazon.nova-premier-v1:0", "ap-south-1"}},
		// Nova Pro: as a foundation model in us-east-1 and us-gov-west-1,
		// through a profile in more regions.
		{"bedrock/converse/amazon.nova-pro-v1:0", "", "us-east-1", Supported, nil},
		{"amazon.nova-pro-v1:0", "", "US-GOV-WEST-1", Supported, nil},
		{"amazon.nova-pro-v1:0", "", "eu-west-1", Unsupported, []string{"eu-west-1", "us-east-1, us-gov-west-1 only", "use the inference profile id eu.amazon.nova-pro-v1:0"}},
		{"amazon.nova-pro-v1:0", "", "sa-east-1", Unsupported, []string{"sa-east-1"}},
		{"eu.amazon.nova-pro-v1:0", "", "eu-west-3", Supported, nil},
		{"apac.amazon.nova-micro-v1:0", "", "ap-southeast-2", Supported, nil},
		{"us.amazon.nova-lite-v1:0", "", "us-gov-west-1", Unsupported, []string{"us-gov-west-1", "use the foundation model id amazon.nova-lite-v1:0"}},
		// The region of an ARN, when none is given.
		{"arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0", "", "", Unsupported, []string{"eu-west-1"}},
		{"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0", "", "", Supported, nil},
		// Titan Multimodal Embeddings G1: no inference profile.
		{"amazon.titan-embed-image-v1", "", "sa-east-1", Supported, nil},
		{"us.amazon.titan-embed-image-v1", "", "us-east-1", Unsupported, []string{"without an inference profile", "use the foundation model id amazon.titan-embed-image-v1"}},
		{"arn:aws:bedrock:us-west-2:123456789012:custom-model/abc", "amazon.titan-embed-image-v1", "", Supported, nil},
		{"arn:aws:bedrock:eu-west-1:123456789012:custom-model/abc", "amazon.titan-embed-image-v1", "", Unsupported, []string{"eu-west-1"}},
		// Only part of Titan Text Embeddings V2's row could be read.
		{"amazon.titan-embed-text-v2:0", "", "us-west-2", Supported, nil},
		{"amazon.titan-embed-text-v2:0", "", "eu-west-1", Unlisted, []string{"eu-west-1"}},
		// Claude Sonnet 4: profile only (regions not read).
		{"bedrock/anthropic.claude-sonnet-4-20250514-v1:0", "", "eu-central-1", Unsupported, []string{"eu.anthropic.claude-sonnet-4-20250514-v1:0"}},
		{"bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0", "", "eu-central-1", Unlisted, nil},
		// An application profile is judged by its base_model, either way.
		{appProfile, "amazon.nova-premier-v1:0", "", Supported, nil},
		{appProfile, "bedrock/us.amazon.nova-pro-v1:0", "", Supported, nil},
		{appProfile, "amazon.nova-pro-v1:0", "sa-east-1", Unsupported, []string{"sa-east-1"}},
		{appProfile, "", "", Unlisted, nil},
		// Provisioned models never run batch jobs.
		{"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc", "amazon.nova-pro-v1:0", "us-east-1", Unsupported, []string{"provisioned"}},
		// Models the table does not list.
		{"bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "", "us-east-1", Unlisted, []string{"us.anthropic.claude-3-5-haiku-20241022-v1:0", SourceURL}},
		{"acme.unknown-v1:0", "", "us-east-1", Unlisted, nil},
	} {
		v, msg := BatchSupport(tt.model, tt.base, tt.region)
		if v != tt.want {
			t.Errorf("BatchSupport(%q, %q, %q) = %v (%s), want %v", tt.model, tt.base, tt.region, v, msg, tt.want)
			continue
		}
		if msg == "" {
			t.Errorf("BatchSupport(%q, %q, %q): no message", tt.model, tt.base, tt.region)
		}
		for _, s := range tt.says {
			if !strings.Contains(msg, s) {
				t.Errorf("BatchSupport(%q, %q, %q) says %q; want it to say %q", tt.model, tt.base, tt.region, msg, s)
			}
		}
	}
}
