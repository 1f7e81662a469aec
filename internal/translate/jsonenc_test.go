package translate

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzAppendString checks the hand-written string encoder against marshal
// (encoding/json without HTML escaping), byte for byte.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{
		"", "plain text", "quote \" backslash \\ slash /", "\n\r\t\b\f\x00\x01\x1f\x7f",
		"<html> & </html>", "é日本語🙂", "bad \xff utf8 \xe2\x82", "\u2028 and \u2029",
		strings.Repeat("eight by", 20) + "\"" + strings.Repeat("x", 13) + "\n",
		strings.Repeat("ü", 17), "abcdefg\x00", "abcdefgh\"", "abcdefgh\\ijklmnop\xc3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString([]byte("prefix"), s); !bytes.Equal(got[len("prefix"):], want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got[len("prefix"):], want)
		}
	})
}

// checkEncodeRecord: the hand-written record encoder gives what marshal
// gives for the same modelInput (called for every fuzz input of ToBedrock).
func checkEncodeRecord(t *testing.T, opts Options, line []byte) {
	t.Helper()
	req, lerr := ParseLine(1, line)
	if lerr != nil {
		return
	}
	_, input, lerr := modelInput(opts, req)
	if lerr != nil {
		return
	}
	got, err := appendRecord([]byte("prefix"), req.CustomID, input)
	if err != nil {
		t.Fatal(err)
	}
	want, err := marshal(record{RecordID: req.CustomID, ModelInput: input})
	if err != nil {
		t.Fatal(err)
	}
	if got = got[len("prefix"):]; !bytes.Equal(got, want) {
		t.Fatalf("appendRecord differs from marshal:\n got %s\nwant %s", got, want)
	}
}
