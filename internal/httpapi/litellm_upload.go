package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

// LiteLLM's clients upload files whose lines name any model (LiteLLM's own
// fixture a Bedrock id, OpenAI's files gpt-4o-mini) with target_model_names,
// and the OpenAI SDKs send that field after the file. A file part whose
// first line names a model batchgate does not serve, before any target is
// known, is therefore kept in a temporary file until the form has been
// read, then uploaded for the target (or refused, naming target_model_names).

// peekHead bounds what is read of a file part to find its first line's model.
const peekHead = 64 << 10

// firstLineModel reads the start of a file part and returns a reader giving
// the whole part again, and the model its first non-blank line names ("" when
// it names none within peekHead bytes, or is no JSON object: the upload
// reports that line).
func firstLineModel(p io.Reader) (io.Reader, string) {
	br := bufio.NewReaderSize(p, peekHead)
	var head []byte
	for len(head) < peekHead {
		line, err := br.ReadSlice('\n')
		head = append(head, line...)
		if len(bytes.TrimSpace(line)) > 0 || err != nil {
			return io.MultiReader(bytes.NewReader(head), br), lineModel(bytes.TrimSpace(line))
		}
	}
	return io.MultiReader(bytes.NewReader(head), br), ""
}

// lineModel finds body.model in a batch line, which may be cut off after
// the model (a line longer than peekHead): the line is read token by token.
func lineModel(line []byte) string {
	dec := json.NewDecoder(bytes.NewReader(line))
	depth, inBody := 0, false
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				depth++
			} else {
				depth--
				if depth == 1 {
					inBody = false
				}
			}
		case string:
			// An object key at depth 1 (the line) or 2 (body) is followed by its value.
			if depth == 1 && t == "body" && dec.More() {
				if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
					return ""
				}
				depth, inBody = 2, true
				continue
			}
			if depth == 2 && inBody && t == "model" {
				var m string
				if dec.Decode(&m) != nil {
					return ""
				}
				return m
			}
			if depth <= 2 {
				// Skip the key's value.
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					return ""
				}
			}
		}
	}
}

// spool keeps a file part in a temporary file until the form is read.
type spool struct {
	f        *os.File
	filename string
}

func newSpool(r io.Reader, filename string) (*spool, error) {
	f, err := os.CreateTemp("", "batchgate-upload-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("temporary upload file: %w", err)
	}
	s := &spool{f: f, filename: filename}
	if _, err := io.Copy(f, r); err != nil {
		s.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close removes the temporary file (nil-safe).
func (s *spool) Close() {
	if s != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

// servedOrUnknown reports whether the model a file's first line names lets
// the file stream straight through: a served model, or none found.
func servedOrUnknown(g *gateway.Gateway, model string) bool {
	return model == "" || g.Serves(model)
}

// jsonBodyAsUpload recognises the body the OpenAI Go SDK sends for
// client.Files.New(..., option.WithJSONSet("target_model_names", ...)): the
// option replaces the multipart body with a JSON object (the file is lost)
// and keeps the multipart Content-Type.
func jsonBodyAsUpload(mr *formReader) error {
	b, _ := mr.br.Peek(1)
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	return &batchgate.Error{Code: batchgate.EINVALID, Param: "file", Message: "The upload's body is a JSON object, not multipart/form-data: it has no file. " +
		"The OpenAI Go SDK's option.WithJSONSet replaces an upload's multipart body with JSON; pass target_model_names as a form field instead: " +
		`params.SetExtraFields(map[string]any{"target_model_names": "<model>"}) (Python: extra_body={"target_model_names": "<model>"}; curl: -F target_model_names=<model>).`}
}
