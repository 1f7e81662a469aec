package bedrockmodel

import "testing"

func TestParse(t *testing.T) {
	const haiku = "anthropic.claude-3-5-haiku-20241022-v1:0"
	for _, tt := range []struct {
		in   string
		want ID
	}{
		// Bare ids, with and without bedrock/ and a route.
		{haiku, ID{ModelID: haiku, Foundation: haiku}},
		{"bedrock/" + haiku, ID{ModelID: haiku, Foundation: haiku}},
		{"bedrock/converse/" + haiku, ID{Route: "converse", ModelID: haiku, Foundation: haiku}},
		{"bedrock/invoke/" + haiku, ID{Route: "invoke", ModelID: haiku, Foundation: haiku}},
		{"converse/" + haiku, ID{Route: "converse", ModelID: haiku, Foundation: haiku}},
		{"  Bedrock/Converse/Anthropic.Claude-3-5-Haiku-20241022-V1:0 ", ID{Route: "converse", ModelID: "Anthropic.Claude-3-5-Haiku-20241022-V1:0", Foundation: haiku}},
		// Each geography prefix.
		{"bedrock/us." + haiku, ID{ModelID: "us." + haiku, Foundation: haiku, Geography: "us", Kind: SystemProfile}},
		{"eu." + haiku, ID{ModelID: "eu." + haiku, Foundation: haiku, Geography: "eu", Kind: SystemProfile}},
		{"apac." + haiku, ID{ModelID: "apac." + haiku, Foundation: haiku, Geography: "apac", Kind: SystemProfile}},
		{"jp." + haiku, ID{ModelID: "jp." + haiku, Foundation: haiku, Geography: "jp", Kind: SystemProfile}},
		{"au." + haiku, ID{ModelID: "au." + haiku, Foundation: haiku, Geography: "au", Kind: SystemProfile}},
		{"ca." + haiku, ID{ModelID: "ca." + haiku, Foundation: haiku, Geography: "ca", Kind: SystemProfile}},
		{"us-gov." + haiku, ID{ModelID: "us-gov." + haiku, Foundation: haiku, Geography: "us-gov", Kind: SystemProfile}},
		{"bedrock/invoke/global." + haiku, ID{Route: "invoke", ModelID: "global." + haiku, Foundation: haiku, Geography: "global", Kind: SystemProfile}},
		{"US.Amazon.Nova-Lite-v1:0", ID{ModelID: "US.Amazon.Nova-Lite-v1:0", Foundation: "amazon.nova-lite-v1:0", Geography: "us", Kind: SystemProfile}},
		// A provider that looks like no geography, and ids that are too short.
		{"deepseek.v3-v1:0", ID{ModelID: "deepseek.v3-v1:0", Foundation: "deepseek.v3-v1:0"}},
		{"us.", ID{ModelID: "us.", Foundation: "us."}},
		{"", ID{}},
		// ARNs.
		{"arn:aws:bedrock:us-west-2::foundation-model/" + haiku,
			ID{ModelID: "arn:aws:bedrock:us-west-2::foundation-model/" + haiku, Foundation: haiku, Region: "us-west-2", ARN: true}},
		{"bedrock/converse/arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.meta.llama3-2-1b-instruct-v1:0",
			ID{Route: "converse", ModelID: "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.meta.llama3-2-1b-instruct-v1:0",
				Foundation: "meta.llama3-2-1b-instruct-v1:0", Geography: "eu", Region: "eu-west-1", Kind: SystemProfile, ARN: true}},
		{"arn:aws:bedrock:us-east-1:123456789012:system-defined-inference-profile/us.amazon.nova-lite-v1:0",
			ID{ModelID: "arn:aws:bedrock:us-east-1:123456789012:system-defined-inference-profile/us.amazon.nova-lite-v1:0",
				Foundation: "amazon.nova-lite-v1:0", Geography: "us", Region: "us-east-1", Kind: SystemProfile, ARN: true}},
		{"arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov." + haiku,
			ID{ModelID: "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov." + haiku,
				Foundation: haiku, Geography: "us-gov", Region: "us-gov-west-1", Kind: SystemProfile, ARN: true}},
		{"bedrock/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
			ID{ModelID: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", Region: "us-east-1", Kind: ApplicationProfile, ARN: true}},
		{"arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abcdefghijkl",
			ID{ModelID: "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abcdefghijkl", Region: "us-east-1", Kind: Custom, ARN: true}},
		{"arn:aws:bedrock:us-east-1:123456789012:imported-model/abcdefghijkl",
			ID{ModelID: "arn:aws:bedrock:us-east-1:123456789012:imported-model/abcdefghijkl", Region: "us-east-1", Kind: Custom, ARN: true}},
		{"arn:aws:bedrock:ap-south-1:123456789012:provisioned-model/abcdefghijkl",
			ID{ModelID: "arn:aws:bedrock:ap-south-1:123456789012:provisioned-model/abcdefghijkl", Region: "ap-south-1", Kind: Provisioned, ARN: true}},
		{"arn:aws:bedrock", ID{ModelID: "arn:aws:bedrock", Kind: Other, ARN: true}},
		{"arn:aws:bedrock:us-east-1:123456789012:agent/X", ID{ModelID: "arn:aws:bedrock:us-east-1:123456789012:agent/X", Region: "us-east-1", Kind: Other, ARN: true}},
	} {
		if got := Parse(tt.in); got != tt.want {
			t.Errorf("Parse(%q) =\n  %+v\nwant\n  %+v", tt.in, got, tt.want)
		}
	}
}

// Base prefers base_model when it names a foundation model, in any form.
func TestBase(t *testing.T) {
	const profile = "bedrock/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc"
	for _, tt := range []struct{ model, base, want string }{
		{profile, "", ""},
		{profile, "anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0"},
		{profile, "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0"},
		{profile, "bedrock/converse/eu.Amazon.Nova-Pro-v1:0", "amazon.nova-pro-v1:0"},
		{profile, "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"},
		{"bedrock/us.amazon.nova-lite-v1:0", "", "amazon.nova-lite-v1:0"},
		// A base_model that names no foundation model leaves the model id's.
		{"bedrock/us.amazon.nova-lite-v1:0", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x", "amazon.nova-lite-v1:0"},
	} {
		if got := Base(tt.model, tt.base); got != tt.want {
			t.Errorf("Base(%q, %q) = %q, want %q", tt.model, tt.base, got, tt.want)
		}
	}
}
