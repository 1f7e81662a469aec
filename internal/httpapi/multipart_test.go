package httpapi

import (
	"bytes"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

type formField struct{ name, file, body string }

func readForm(t *testing.T, body io.Reader, ctype string) ([]formField, error) {
	t.Helper()
	r, _ := http.NewRequest("POST", "/", body)
	r.Header.Set("Content-Type", ctype)
	fr, err := newFormReader(r)
	if err != nil {
		return nil, err
	}
	var out []formField
	for {
		p, err := fr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return out, err
		}
		out = append(out, formField{p.FormName(), p.FileName(), string(b)})
	}
}

// TestFormReaderMatchesMultipart reads random forms, fed in random chunks,
// and compares with what mime/multipart wrote.
func TestFormReaderMatchesMultipart(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 60 {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		var want []formField
		for j := range rng.IntN(4) + 1 {
			// Bodies with CRLFs, dashes and near-boundaries.
			var sb strings.Builder
			for range rng.IntN(50) {
				sb.WriteString([]string{"x", "\r\n", "--", "\r\n--", mw.Boundary()[:5], "{\"a\":1}\n", strings.Repeat("y", 5000)}[rng.IntN(7)])
			}
			f := formField{name: []string{"purpose", "file", "target_model_names"}[j%3], body: sb.String()}
			var w io.Writer
			var err error
			if f.name == "file" {
				f.file = "dir/in.jsonl"
				w, err = mw.CreateFormFile(f.name, f.file)
				f.file = "in.jsonl"
			} else {
				w, err = mw.CreateFormField(f.name)
			}
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, f.body)
			want = append(want, f)
		}
		mw.Close()
		var body io.Reader = bytes.NewReader(buf.Bytes())
		if i%3 == 0 {
			body = iotest.OneByteReader(body)
		} else if i%3 == 1 {
			body = iotest.HalfReader(body)
		}
		got, err := readForm(t, body, mw.FormDataContentType())
		if err != nil {
			t.Fatalf("form %d: %v", i, err)
		}
		if len(got) != len(want) {
			t.Fatalf("form %d: %d parts, want %d", i, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("form %d part %d: got %q %q (%d bytes), want %q %q (%d bytes)", i, k, got[k].name, got[k].file, len(got[k].body), want[k].name, want[k].file, len(want[k].body))
			}
		}
	}
}

func TestFormReaderErrors(t *testing.T) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", "a.jsonl")
	io.WriteString(w, strings.Repeat("line\n", 1000))
	mw.Close()
	full := buf.Bytes()
	// Cut before the closing boundary: the part must end in an error, not EOF.
	if _, err := readForm(t, bytes.NewReader(full[:len(full)-len(mw.Boundary())-10]), mw.FormDataContentType()); err == nil {
		t.Fatal("a truncated body was read without error")
	}
	if _, err := readForm(t, bytes.NewReader(full), "application/json"); err != http.ErrNotMultipart {
		t.Fatalf("not multipart: %v", err)
	}
	if got, err := readForm(t, strings.NewReader("preamble\r\n--b--\r\n"), "multipart/form-data; boundary=b"); err != nil || len(got) != 0 {
		t.Fatalf("empty form: %v %v", got, err)
	}
}

// TestFormReaderHeaderLimit: textproto read a part's headers without a
// limit; the header section is now capped at maxPartHeader, on any chunking.
func TestFormReaderHeaderLimit(t *testing.T) {
	form := func(pad int) string {
		return "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nX-Pad: " + strings.Repeat("p", pad) + "\r\n\r\nvalue\r\n--b--\r\n"
	}
	const ctype = "multipart/form-data; boundary=b"
	for _, pad := range []int{0, 4000, maxPartHeader - 100} {
		got, err := readForm(t, iotest.HalfReader(strings.NewReader(form(pad))), ctype)
		if err != nil || len(got) != 1 || got[0].name != "f" || got[0].body != "value" {
			t.Errorf("pad %d: %v %v", pad, got, err)
		}
	}
	for _, pad := range []int{maxPartHeader, 1 << 20} {
		if _, err := readForm(t, iotest.OneByteReader(strings.NewReader(form(pad))), ctype); err != errPartHeaderTooLarge {
			t.Errorf("pad %d: err %v, want errPartHeaderTooLarge", pad, err)
		}
	}
	// Headers without a blank line before the body ends are an error, not a hang.
	if _, err := readForm(t, strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n"), ctype); err == nil {
		t.Error("unterminated headers read without error")
	}
	// LF-only line ends and a part without headers still work.
	if got, err := readForm(t, strings.NewReader("--b\nContent-Disposition: form-data; name=\"f\"\n\nv\r\n--b\r\n\r\nw\r\n--b--\r\n"), ctype); err != nil || len(got) != 2 || got[0].body != "v" || got[1].body != "w" {
		t.Errorf("LF headers / no headers: %v %v", got, err)
	}
}
