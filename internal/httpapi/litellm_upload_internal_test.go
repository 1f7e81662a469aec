package httpapi

import (
	"io"
	"strings"
	"testing"
)

// TestFirstLineModel: the first non-blank line's body.model is found, also
// in a line cut off after it, and the reader returned gives the part whole.
func TestFirstLineModel(t *testing.T) {
	long := `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"` + strings.Repeat("x", 2*peekHead) + `"}]}}`
	for _, tt := range []struct{ in, want string }{
		{`{"custom_id":"a","body":{"messages":[],"model":"gpt-4o-mini"}}` + "\n", "gpt-4o-mini"},
		{"\n  \n" + `{"body":{"model":"m1"},"custom_id":"a"}` + "\n" + `{"body":{"model":"m2"}}`, "m1"},
		{`{"custom_id":{"model":"no"},"body":{"metadata":{"model":"no"},"model":"yes"}}`, "yes"},
		{long + "\n", "gpt-4o-mini"},
		{`{"custom_id":"a","body":{"messages":[]}}`, ""},
		{"not json\n", ""},
		{"", ""},
	} {
		r, got := firstLineModel(strings.NewReader(tt.in))
		all, _ := io.ReadAll(r)
		if got != tt.want || string(all) != tt.in {
			t.Errorf("%.60q: model %q, want %q; reader gave %d of %d bytes", tt.in, got, tt.want, len(all), len(tt.in))
		}
	}
}
