package translate

import (
	"strconv"
	"testing"
)

// max_tokens above a model's output limit is refused at upload, where
// Bedrock would fail the record only after the job ran.
func TestMaxTokensLimits(t *testing.T) {
	tests := []struct {
		model string
		limit int64
	}{
		{"us.anthropic.claude-3-haiku-20240307-v1:0", 4096},
		{"anthropic.claude-3-5-haiku-20241022-v1:0", 8192},
		{"us.anthropic.claude-3-7-sonnet-20250219-v1:0", 64000},
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", 64000},
		{"us.anthropic.claude-haiku-4-5-20251001-v1:0", 64000},
		{"us.anthropic.claude-opus-4-20250514-v1:0", 32000},
		{"us.anthropic.claude-opus-4-1-20250805-v1:0", 32000},
		{"global.anthropic.claude-opus-4-5-20251101-v1:0", 64000},
		{"us.amazon.nova-lite-v1:0", 5000},
		{"amazon.nova-micro-v1:0", 5000},
		{"us.amazon.nova-premier-v1:0", 32000},
		{"mistral.mistral-7b-instruct-v0:2", 8192},
		{"mistral.mixtral-8x7b-instruct-v0:1", 4096},
		{"mistral.mistral-large-2402-v1:0", 8192},
		{"mistral.mistral-small-2402-v1:0", 8192},
		{"mistral.mistral-large-2407-v1:0", 8192},
		{"us.meta.llama3-3-70b-instruct-v1:0", 2048},
	}
	for _, tt := range tests {
		for _, n := range []int64{tt.limit, tt.limit + 1} {
			line := []byte(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","max_tokens":` +
				strconv.FormatInt(n, 10) + `,"messages":[{"role":"user","content":"hi"}]}}`)
			req, le := ParseLine(1, line)
			if le != nil {
				t.Fatal(le)
			}
			_, le = ToBedrock(Options{ModelID: tt.model}, 1, req)
			switch {
			case n == tt.limit && le != nil:
				t.Errorf("%s: max_tokens %d refused: %v", tt.model, n, le)
			case n > tt.limit && (le == nil || le.Param != "max_tokens"):
				t.Errorf("%s: max_tokens %d accepted (%v), want refused", tt.model, n, le)
			}
		}
	}
}
