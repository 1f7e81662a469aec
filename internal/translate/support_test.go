package translate

import (
	"slices"
	"testing"
)

// Support says what check accepts: Claude 3.5 Sonnet takes no
// reasoning_effort, Claude 3.7 Sonnet does; Converse takes no tools;
// gpt-oss takes three efforts.
func TestSupport(t *testing.T) {
	for _, tc := range []struct {
		opts                    Options
		tools, images, reasoned bool
		efforts                 []string
		maxOut                  int64
	}{
		{Options{ModelID: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0"}, true, true, false, nil, 4096},
		{Options{ModelID: "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0"}, true, true, true, []string{"minimal", "low", "medium", "high", "xhigh"}, 64000},
		{Options{ModelID: "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", InvocationType: Converse}, false, true, false, nil, 8192},
		{Options{ModelID: "bedrock/openai.gpt-oss-120b-1:0"}, true, false, true, []string{"low", "medium", "high"}, 0},
		{Options{ModelID: "bedrock/us.meta.llama3-3-70b-instruct-v1:0"}, false, false, false, nil, 2048},
	} {
		s, err := tc.opts.Support()
		if err != nil {
			t.Fatal(err)
		}
		if s.Tools != tc.tools || s.Images != tc.images || s.Reasoning != tc.reasoned || !slices.Equal(s.Efforts, tc.efforts) || s.MaxOutputTokens != tc.maxOut {
			t.Errorf("%s: %+v", tc.opts.ModelID, s)
		}
		if slices.Contains(s.Params, "reasoning_effort") != s.Reasoning || slices.Contains(s.Params, "tools") != s.Tools {
			t.Errorf("%s: params %v do not match %+v", tc.opts.ModelID, s.Params, s)
		}
	}
	if s, err := (Options{ModelID: "bedrock/amazon.titan-embed-text-v2:0"}).Support(); err != nil || !s.Embeddings || s.Tools {
		t.Errorf("titan: %+v %v", s, err)
	}
	if _, err := (Options{ModelID: "bedrock/acme.unknown-v1:0"}).Support(); err == nil {
		t.Errorf("an unknown family has support")
	}
}
