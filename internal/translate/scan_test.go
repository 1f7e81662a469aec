package translate

import (
	"bytes"
	"encoding/json"
	"testing"
)

var validSeeds = []string{
	`{}`, `[]`, ` {"a" : [1, -2.5e3, true, false, null, "x\"y\\u00e9\n"]} `, `"\ud800"`, `"\x"`, `"a` + "\x01" + `"`,
	`{"a":1,}`, `[1 2]`, `{"a" 1}`, `01`, `1.`, `tru`, `"abc`, `{"a":{"b":[{}]}}`, `"é` + "\xff" + `"`, "\"\\u12G4\"",
	`{"recordId":"r","modelInput":{"m":"` + string(bytes.Repeat([]byte("long prompt "), 40)) + `"},"modelOutput":{"x":1}}`,
}

// FuzzValidJSON checks the fast validator against encoding/json.
func FuzzValidJSON(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if got, want := validJSON(v), json.Valid(v); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", v, got, want)
		}
	})
}

// FuzzScanRecord checks OutputLine's fast decode against json.Unmarshal.
func FuzzScanRecord(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"recordId":null,"error":{"errorCode":400},"modelInput":{}}`))
	f.Add([]byte(`{"recordId":"a","RecordId":"b"}`))
	f.Add([]byte(`{"recordId":"a","recordId":"b"}`))
	f.Add([]byte(`{"recordId":"a\u00e9","other":[1,{"x":"y"}],"modelOutput":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fast bedrockRecord
		if !scanRecord(raw, &fast) {
			return
		}
		var slow bedrockRecord
		if err := json.Unmarshal(raw, &slow); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json: %v", raw, err)
		}
		if (fast.RecordID == nil) != (slow.RecordID == nil) || (fast.RecordID != nil && *fast.RecordID != *slow.RecordID) ||
			!bytes.Equal(fast.ModelInput, slow.ModelInput) || !bytes.Equal(fast.ModelOutput, slow.ModelOutput) || !bytes.Equal(fast.Error, slow.Error) {
			t.Fatalf("paths disagree on %q:\nfast %+v\nslow %+v", raw, fast, slow)
		}
	})
}
