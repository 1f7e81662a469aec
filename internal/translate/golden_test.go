package translate

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected sections of testdata/*/*.txtar")

// Golden cases live in testdata/<family>/<case>.txtar, in the txtar format
// (read and written with golang.org/x/tools/txtar): a comment, then files introduced by
// "-- name --" lines. Sections:
//
//	options.json       {"model_id", "invocation_type", "model", "created", "endpoint"}
//	request.jsonl      an OpenAI batch input line
//	record.json        the expected Bedrock record (compared as JSON values)
//	error              the expected LineError: "code: …", "param: …", "message: <substring>"
//	bedrock.jsonl      a Bedrock output line
//	openai.json        the expected OpenAI output line (ok=true)
//	openai_error.json  the expected OpenAI error line (ok=false)
//	usage              the expected Usage: "input=N output=N"
//
// go test -run TestGolden -update rewrites record.json / error / openai*.json
// / usage from the current code; review the diff before committing.

type goldenOptions struct {
	ModelID        string `json:"model_id"`
	InvocationType string `json:"invocation_type"`
	Model          string `json:"model"`
	Created        int64  `json:"created"`
	Endpoint       string `json:"endpoint"` // the batch's endpoint, for OutputLine
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, path := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "testdata/"), ".txtar")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a := txtar.Parse(data)
			changed := runGolden(t, a)
			if *update && changed {
				if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func runGolden(t *testing.T, a *txtar.Archive) (changed bool) {
	t.Helper()
	var o goldenOptions
	if err := json.Unmarshal([]byte(txtarGet(a, "options.json")), &o); err != nil {
		t.Fatalf("options.json: %v", err)
	}
	opts := Options{ModelID: o.ModelID, InvocationType: o.InvocationType}
	if !txtarHas(a, "request.jsonl") && !txtarHas(a, "bedrock.jsonl") {
		t.Fatal("the case has neither request.jsonl nor bedrock.jsonl")
	}
	if txtarHas(a, "request.jsonl") {
		line := []byte(strings.TrimSpace(txtarGet(a, "request.jsonl")))
		req, lerr := ParseLine(7, line)
		var rec []byte
		if lerr == nil {
			rec, lerr = ToBedrock(opts, 7, req)
		}
		if lerr != nil {
			if lerr.Line != 7 {
				t.Errorf("LineError.Line = %d, want 7", lerr.Line)
			}
			if lerr.Message == "" || lerr.Code == "" {
				t.Errorf("LineError without code or message: %+v", lerr)
			}
			got := fmt.Sprintf("code: %s\nparam: %s\nmessage: %s\n", lerr.Code, lerr.Param, lerr.Message)
			if *update {
				changed = txtarSet(a, "error", got, "record.json") || changed
			} else if !txtarHas(a, "error") {
				t.Errorf("unexpected error: %s", got)
			} else {
				checkError(t, txtarGet(a, "error"), lerr)
			}
		} else {
			checkCompact(t, rec)
			var r struct {
				RecordID string `json:"recordId"`
			}
			if err := json.Unmarshal(rec, &r); err != nil || r.RecordID != req.CustomID {
				t.Errorf("recordId = %q, want custom_id %q (err %v)", r.RecordID, req.CustomID, err)
			}
			if *update {
				changed = txtarSet(a, "record.json", indent(rec), "error") || changed
			} else if !txtarHas(a, "record.json") {
				t.Errorf("got a record, want error %q:\n%s", txtarGet(a, "error"), rec)
			} else {
				sameJSON(t, "record", rec, []byte(txtarGet(a, "record.json")))
			}
		}
	}
	if txtarHas(a, "bedrock.jsonl") {
		opts := opts
		opts.Endpoint = o.Endpoint
		line, ok, usage, err := OutputLine(opts, []byte(strings.TrimSpace(txtarGet(a, "bedrock.jsonl"))), o.Model, o.Created)
		if err != nil {
			t.Fatalf("OutputLine: %v", err)
		}
		checkCompact(t, line)
		want, other := "openai.json", "openai_error.json"
		if !ok {
			want, other = other, want
		}
		gotUsage := fmt.Sprintf("input=%d output=%d\n", usage.InputTokens, usage.OutputTokens)
		if *update {
			changed = txtarSet(a, want, indent(line), other) || changed
			changed = txtarSet(a, "usage", gotUsage, "") || changed
		} else {
			if !txtarHas(a, want) {
				t.Fatalf("OutputLine ok=%v, but the case expects %s; got:\n%s", ok, other, line)
			}
			sameJSON(t, "output line", line, []byte(txtarGet(a, want)))
			if txtarGet(a, "usage") != gotUsage {
				t.Errorf("usage = %q, want %q", gotUsage, txtarGet(a, "usage"))
			}
		}
	}
	return changed
}

func checkError(t *testing.T, want string, got *LineError) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(want), "\n") {
		k, v, _ := strings.Cut(l, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "code":
			if got.Code != v {
				t.Errorf("code = %q, want %q (%s)", got.Code, v, got.Message)
			}
		case "param":
			if got.Param != v {
				t.Errorf("param = %q, want %q (%s)", got.Param, v, got.Message)
			}
		case "message":
			if !strings.Contains(got.Message, v) {
				t.Errorf("message = %q, want it to contain %q", got.Message, v)
			}
		}
	}
}

func checkCompact(t *testing.T, b []byte) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	var c bytes.Buffer
	_ = json.Compact(&c, b)
	if !bytes.Equal(c.Bytes(), b) {
		t.Errorf("not compact JSON: %s", b)
	}
}

func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := unmarshalNumbers(got, &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := unmarshalNumbers(want, &w); err != nil {
		t.Fatalf("expected %s is not JSON: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s differs\n got: %s\nwant: %s", what, indent(got), compact(want))
	}
}

func unmarshalNumbers(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func indent(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b) + "\n"
	}
	return out.String() + "\n"
}

func compact(b []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}

// txtarHas, txtarGet and txtarSet read and edit an archive's sections by name.

func txtarHas(a *txtar.Archive, name string) bool {
	for _, f := range a.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

func txtarGet(a *txtar.Archive, name string) string {
	for _, f := range a.Files {
		if f.Name == name {
			return string(f.Data)
		}
	}
	return ""
}

// txtarSet replaces (or appends) the section name and removes the section drop;
// it reports whether anything changed.
func txtarSet(a *txtar.Archive, name, data, drop string) bool {
	changed := false
	if drop != "" && txtarHas(a, drop) {
		var keep []txtar.File
		for _, f := range a.Files {
			if f.Name != drop {
				keep = append(keep, f)
			}
		}
		a.Files, changed = keep, true
	}
	for i := range a.Files {
		if a.Files[i].Name == name {
			if string(a.Files[i].Data) != data {
				a.Files[i].Data, changed = []byte(data), true
			}
			return changed
		}
	}
	a.Files = append(a.Files, txtar.File{Name: name, Data: []byte(data)})
	return true
}
