package gateway

import (
	"testing"

	"github.com/batchgate/batchgate/internal/translate"
)

// TestMaxOutputTokens: a budget reservation counts each endpoint's own
// output limit (max_output_tokens for /v1/responses).
func TestMaxOutputTokens(t *testing.T) {
	for line, want := range map[string]int64{
		`{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"m","input":"x","max_output_tokens":123}}`:             123,
		`{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"m","input":"x"}}`:                                     defaultMaxTokens,
		`{"custom_id":"a","method":"POST","url":"/v1/completions","body":{"model":"m","prompt":"x","max_tokens":77}}`:                  77,
		`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[],"max_completion_tokens":55}}`: 55,
		`{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x"}}`:                                    0,
	} {
		req, lerr := translate.ParseLine(1, []byte(line))
		if lerr != nil {
			t.Fatal(lerr)
		}
		if got := maxOutputTokens(req); got != want {
			t.Errorf("%s: %d, want %d", line, got, want)
		}
	}
}
