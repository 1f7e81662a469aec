package direct

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/batchgate/batchgate/internal/translate"
)

// Lines selects which records ToOpenAI writes.
type Lines int

const (
	// AllLines writes every record: successes and failures.
	AllLines Lines = iota
	// OutputLines writes the successful records only (an OpenAI output file).
	OutputLines
	// ErrorLines writes the failed records only (an OpenAI error file).
	ErrorLines
)

// ConvertOptions say how Bedrock output lines become OpenAI lines.
type ConvertOptions struct {
	// ModelID is the Bedrock model id the job ran (for example
	// us.anthropic.claude-3-5-sonnet-20240620-v1:0); it selects the model
	// family's response format. When empty, the family is recognised from
	// the records' shapes (their modelInput, or modelOutput where that tells
	// more); when no record tells, ToOpenAI fails asking for ModelID.
	// Converse jobs need ModelID.
	ModelID string
	// Model is the "model" of the OpenAI responses (the name clients used).
	// Default: ModelID.
	Model string
	// InvocationType is the job's: "InvokeModel" (default) or "Converse".
	InvocationType string
	// Created is the "created" time of the responses (Unix seconds). Default: now.
	Created int64
	// Lines selects the records written. Default: AllLines.
	Lines Lines
}

// maxLine bounds one output line: Bedrock records are at most a few MB, the
// 1 GB input file limit is the hard ceiling.
const maxLine = 1 << 30

// ToOpenAI reads Bedrock batch output lines ({recordId, modelInput,
// modelOutput} or {recordId, modelInput, error}) from r and writes the
// corresponding OpenAI batch output lines ({id, custom_id, response, error})
// to w, one per line, in the order read. Blank lines are skipped. A line that
// is not a Bedrock output record stops the conversion with an error naming
// its line number.
func ToOpenAI(r io.Reader, w io.Writer, opts ConvertOptions) error {
	if opts.Created == 0 {
		opts.Created = time.Now().Unix()
	}
	if opts.Model == "" {
		opts.Model = opts.ModelID
	}
	c := converter{opts: opts, w: bufio.NewWriterSize(w, 256<<10)}
	if opts.ModelID != "" {
		c.setModel(opts.ModelID)
	}
	br := bufio.NewReaderSize(r, 256<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			if cerr := c.line(n, line); cerr != nil {
				return cerr
			}
		}
		if err == io.EOF {
			if len(c.pending) > 0 {
				return fmt.Errorf("line %d: %w", c.pending[0].n, errNoFamily)
			}
			return c.w.Flush()
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
}

// maxPending bounds the failed records held while the model family is not
// known yet: a failed record has no modelOutput to recognise it by.
const maxPending = 1000

var errNoFamily = errors.New("cannot tell the model family from the records: set ConvertOptions.ModelID")

type pendingLine struct {
	n    int
	line []byte
}

type converter struct {
	opts    ConvertOptions
	to      translate.Options
	w       *bufio.Writer
	pending []pendingLine // read before the family was known
}

func (c *converter) setModel(id string) {
	c.to = translate.Options{ModelID: id, Family: translate.FamilyOf(id), InvocationType: c.opts.InvocationType}
}

func (c *converter) line(n int, line []byte) error {
	if c.to.ModelID == "" {
		id, err := guessModelID(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if id == "" {
			if len(c.pending) == maxPending {
				return fmt.Errorf("line %d: %w", c.pending[0].n, errNoFamily)
			}
			c.pending = append(c.pending, pendingLine{n, bytes.Clone(line)})
			return nil
		}
		c.setModel(id)
		for _, p := range c.pending {
			if err := c.convert(p.n, p.line); err != nil {
				return err
			}
		}
		c.pending = nil
	}
	return c.convert(n, line)
}

func (c *converter) convert(n int, line []byte) error {
	conv, ok, _, err := translate.OutputLine(c.to, line, c.opts.Model, c.opts.Created)
	if err != nil {
		return fmt.Errorf("line %d: %w", n, err)
	}
	if c.opts.Lines == AllLines || ok == (c.opts.Lines == OutputLines) {
		c.w.Write(conv)
		return c.w.WriteByte('\n')
	}
	return nil
}

// guessModelID recognises a model family from a record and returns a
// representative model id of it, for translate.FamilyOf; "" when the record
// does not tell (a failed record of a family known by its output only).
func guessModelID(line []byte) (string, error) {
	var rec struct {
		ModelInput  map[string]json.RawMessage `json:"modelInput"`
		ModelOutput map[string]json.RawMessage `json:"modelOutput"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		return "", fmt.Errorf("not a Bedrock output record: %w", err)
	}
	in, out := rec.ModelInput, rec.ModelOutput
	has := func(m map[string]json.RawMessage, k string) bool { _, ok := m[k]; return ok }
	switch {
	case has(in, "anthropic_version"):
		return "anthropic.claude-3-5-sonnet-20240620-v1:0", nil
	case has(in, "inputText"):
		return "amazon.titan-embed-text-v2:0", nil
	case has(in, "schemaVersion"), bytes.Contains(in["inferenceConfig"], []byte(`"max_new_tokens"`)):
		return "amazon.nova-pro-v1:0", nil
	case has(in, "max_gen_len"), has(out, "generation"):
		return "meta.llama3-1-70b-instruct-v1:0", nil
	case has(out, "outputs"):
		return "mistral.mistral-large-2402-v1:0", nil
	case has(out, "choices") && has(out, "object"): // chat.completion: gpt-oss, Qwen3, DeepSeek-V3
		return "openai.gpt-oss-120b-1:0", nil
	case has(out, "choices"): // Mistral's chat format has no object nor usage
		return "mistral.mistral-large-2407-v1:0", nil
	case has(out, "output") && has(out, "stopReason"): // Nova's messages-v1 answer
		return "amazon.nova-pro-v1:0", nil
	}
	return "", nil
}

// readLine returns the next line without its line ending, io.EOF with the
// last one.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(buf) > maxLine {
				return nil, errors.New("line too long")
			}
			line, err = br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	line = bytes.TrimRight(line, "\r\n")
	if len(bytes.TrimSpace(line)) == 0 {
		line = nil
	}
	return line, err
}
