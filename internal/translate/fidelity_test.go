package translate

import (
	"fmt"
	"strings"
	"testing"
)

// Which Claude models take disable_parallel_tool_use on Bedrock.
func TestClaudeParallelToggle(t *testing.T) {
	for id, want := range map[string]bool{
		"anthropic.claude-3-haiku-20240307-v1:0":    false,
		"anthropic.claude-3-5-sonnet-20240620-v1:0": false,
		"anthropic.claude-3-5-sonnet-20241022-v2:0": false,
		"anthropic.claude-3-5-haiku-20241022-v1:0":  false,
		"anthropic.claude-3-opus-20240229-v1:0":     false,
		"anthropic.claude-3-7-sonnet-20250219-v1:0": true,
		"anthropic.claude-sonnet-4-20250514-v1:0":   true,
		"anthropic.claude-opus-4-1-20250805-v1:0":   true,
		"anthropic.claude-sonnet-4-5-20250929-v1:0": true,
		"anthropic.claude-haiku-4-5-20251001-v1:0":  true,
		"anthropic.claude-opus-4-6-v1":              true,
		"anthropic.claude-instant-v1":               false,
		"anthropic.claude-v2:1":                     false,
	} {
		if got := capsFor(resolved{family: Anthropic, base: strings.TrimSpace(id)}).parallelFalse; got != want {
			t.Errorf("%s: parallelFalse = %v, want %v", id, got, want)
		}
	}
}

// parallel_tool_calls true, or false without tools, sends nothing and is
// accepted on every Claude model.
func TestParallelToolCallsNoOp(t *testing.T) {
	const tool = `[{"type":"function","function":{"name":"f"}}]`
	for _, body := range []string{
		`"parallel_tool_calls":true,"tools":` + tool,
		`"parallel_tool_calls":false`,
		`"parallel_tool_calls":false,"tools":` + tool + `,"tool_choice":"none"`,
	} {
		line := fmt.Sprintf(`{"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"}],%s}}`, body)
		req, lerr := ParseLine(1, []byte(line))
		if lerr != nil {
			t.Fatal(lerr)
		}
		rec, lerr := ToBedrock(Options{ModelID: "us.anthropic.claude-3-5-sonnet-20241022-v2:0"}, 1, req)
		if lerr != nil {
			t.Errorf("%s: %v", body, lerr)
			continue
		}
		if strings.Contains(string(rec), "disable_parallel_tool_use") {
			t.Errorf("%s: record has disable_parallel_tool_use: %s", body, rec)
		}
	}
}

// A line that is not valid UTF-8 (or whose escapes are not valid UTF-16)
// is refused with its line number, on the fast path and the slow path:
// encoding/json would replace the bytes with U+FFFD, and a custom_id would
// then no longer match the user's.
func TestParseLineInvalidUTF8(t *testing.T) {
	lines := map[string]string{
		"CustomID":        `{"custom_id":"a\xff","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"}]}}`,
		"Content":         `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"caf\xc3"}]}}`,
		"LongContent":     `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("abcdefgh", 40) + `\xed\xa0\x80` + `"}]}}`,
		"SlowPath":        `{"custom_id":"a\xfe","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x","extra":1}]}}`,
		"Key":             `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"}],"us\xe9r":"u"}}`,
		"Embeddings":      `{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"\x80"}}`,
		"LoneSurrogate":   `{"custom_id":"a\ud800","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"}]}}`,
		"LowSurrogate":    `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x\uDC00y"}]}}`,
		"UnpairedAtEnd":   `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x\uD83D"}]}}`,
		"HighThenEscape":  `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x\uD83D\n"}]}}`,
		"HighThenHigh":    `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"\uD83D\uD83D\uDE00"}]}}`,
		"EscapedEscapeOK": `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"\\uD800 \uD83D\uDE00 \u00e9 é"}]}}`,
	}
	// The lines are raw strings: put the \xNN bytes in.
	bytesIn := strings.NewReplacer(`\xff`, "\xff", `\xfe`, "\xfe", `\xc3`, "\xc3", `\xe9`, "\xe9", `\x80`, "\x80", `\xed\xa0\x80`, "\xed\xa0\x80")
	for name, line := range lines {
		line = bytesIn.Replace(line)
		t.Run(name, func(t *testing.T) {
			req, lerr := ParseLine(12, []byte(line))
			_, slerr := parseLineSlow([]byte(line))
			if name == "EscapedEscapeOK" {
				if lerr != nil || slerr != nil {
					t.Fatalf("valid line refused: %v / %v", lerr, slerr)
				}
				if !strings.Contains(string(req.Body), `\\uD800`) {
					t.Fatalf("body = %s", req.Body)
				}
				return
			}
			if lerr == nil {
				t.Fatalf("accepted: custom_id %q body %s", req.CustomID, req.Body)
			}
			if lerr.Line != 12 || lerr.Code != CodeInvalidJSON || !strings.Contains(lerr.Message, "UTF-8") {
				t.Fatalf("got %+v", lerr)
			}
			if slerr == nil || slerr.Code != lerr.Code || slerr.Message != lerr.Message {
				t.Fatalf("slow path: %+v, fast path %+v", slerr, lerr)
			}
		})
	}
}

// ToBedrock called without ParseLine checks the text too.
func TestToBedrockInvalidUTF8(t *testing.T) {
	for name, req := range map[string]Request{
		"CustomID": {CustomID: "a\xff", URL: EndpointChatCompletions, Body: []byte(`{"model":"m","messages":[{"role":"user","content":"x"}]}`)},
		"Body":     {CustomID: "a", URL: EndpointChatCompletions, Body: []byte("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\xc3\"}]}")},
		"Escape":   {CustomID: "a", URL: EndpointChatCompletions, Body: []byte(`{"model":"m","messages":[{"role":"user","content":"\udc00"}]}`)},
	} {
		if rec, lerr := ToBedrock(Options{ModelID: "amazon.nova-micro-v1:0"}, 4, req); lerr == nil || lerr.Line != 4 {
			t.Errorf("%s: got %s, %+v", name, rec, lerr)
		}
	}
}
