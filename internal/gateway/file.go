package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrockmodel"
	"github.com/batchgate/batchgate/internal/translate"
)

// Upload describes a file upload. Target may be empty: the target model is
// then the one the first line names. Multipart fields may follow the file
// (the OpenAI SDKs send purpose after it), so the caller checks late fields
// against the returned file and deletes it on a mismatch.
type Upload struct {
	Filename string
	Target   string // target_model_names, when known before the file
	// ExpiresAfter is the expires_after[seconds] of the upload when known
	// before the file (0: the configured default, FileExpireAfter).
	ExpiresAfter time.Duration
}

// UploadFile validates every line of r, translates it for the target
// deployment and streams the Bedrock records to S3. Nothing is kept in memory
// but a few chunks of lines per core and the set of custom_ids. An invalid file is
// rejected with every problem found (up to MaxErrors), each with its line.
func (g *Gateway) UploadFile(ctx context.Context, c Caller, up Upload, r io.Reader) (*batchgate.File, error) {
	if err := g.checkRate(ctx, c); err != nil {
		return nil, err
	}
	var dep *Deployment
	if up.Target != "" {
		var err error
		if dep, err = g.target(c, up.Target); err != nil {
			return nil, err
		}
	}

	f := &batchgate.File{
		ID: NewID("file-"), Purpose: batchgate.PurposeBatch, Filename: up.Filename, CreatedAt: g.now(),
		Owner: c.Owner, Kind: batchgate.FileInput,
	}
	f.ExpiresAt = g.inputExpiry(f.CreatedAt, up.ExpiresAfter)
	g.uploading.Store(f.ID, true)
	defer g.uploading.Delete(f.ID)

	u := &fileUpload{g: g, ctx: ctx, c: c, f: f, dep: dep, targeted: dep != nil, ids: map[string]int{}}
	in := &byteCounter{r: r}
	lines := &lineReader{br: bufio.NewReaderSize(in, 256<<10), max: g.MaxLineBytes}
	// Until the deployment is known (no target_model_names), lines are
	// checked one at a time: the first valid one names it. The others are
	// parsed and translated on all cores, and checked in order (uploadpipe.go).
	var err error
	for u.dep == nil && err == nil {
		var line []byte
		if line, err = lines.next(); len(line) > 0 {
			var out bytes.Buffer
			le := g.uploadLine(c, lines.n, line, &u.dep, false, f, u.ids, &out)
			if ferr := u.add(le, out.Bytes()); ferr != nil {
				u.abort(ferr)
				return nil, ferr
			}
		}
	}
	if err == nil {
		var fatal error
		if err, fatal = u.pipeline(lines); fatal != nil {
			u.abort(fatal)
			return nil, fatal
		}
	}
	if errors.Is(err, errLineTooLong) {
		u.fail(&batchgate.Error{Code: batchgate.EINVALID, Line: lines.n + 1, Message: fmt.Sprintf("line is longer than %d bytes", g.MaxLineBytes)})
		u.abort(err)
		return nil, fileInvalid(u.problems, u.nProblems)
	}
	if err != io.EOF {
		u.abort(err)
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Message: "could not read the uploaded file", Param: "file", Err: err}
	}
	if len(u.problems) > 0 {
		u.abort(errors.New("invalid file"))
		return nil, fileInvalid(u.problems, u.nProblems)
	}
	// The size uploaded, newlines and blank lines included: all of r was read.
	lineNo, total, parts := lines.n, in.n, u.parts
	if lineNo == 0 {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Message: "The file is empty: a batch file needs at least one request line.", Param: "file"}
	}
	fileParts, err := parts.finish()
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", f.ID, err)
	}
	f.Bytes, f.Records = total, lineNo
	if len(fileParts) > 0 { // stored first: a file is never visible without its parts
		if err := g.Store.SaveFileParts(ctx, f.ID, fileParts); err != nil {
			parts.deleteAll()
			return nil, err
		}
	}
	if err := g.Store.CreateFile(ctx, f); err != nil {
		parts.deleteAll()
		return nil, err
	}
	g.Log.InfoContext(ctx, "file uploaded", "file_id", f.ID, "model", f.Model, "records", f.Records, "bytes", f.Bytes)
	return f, nil
}

// uploadLine checks and translates one line into out (targeted: see checkLine).
func (g *Gateway) uploadLine(c Caller, lineNo int, line []byte, dep **Deployment, targeted bool, f *batchgate.File, ids map[string]int, out *bytes.Buffer) *batchgate.Error {
	req, le := translate.ParseLine(lineNo, line)
	if le != nil {
		return lineError(le)
	}
	if e := g.checkLine(c, lineNo, req.CustomID, req.URL, req.Model, dep, targeted, f, ids); e != nil {
		return e
	}
	rec, le := translate.ToBedrock((*dep).translateOptions(), lineNo, req)
	if le != nil {
		return lineError(le)
	}
	out.Write(rec)
	out.WriteByte('\n')
	// For budget reservations: ~4 bytes a token over-counts JSON, which errs
	// on the side of holding too much.
	f.EstimatedInputTokens += int64(len(rec))/4 + 1
	f.MaxOutputTokens += maxOutputTokens(req)
	return nil
}

// checkLine applies the checks of a parsed line that depend on the lines
// before it, and resolves the deployment from the first valid line when
// the upload named none. When it did (targeted), body.model is not checked:
// the requests run on the target whatever model they name, as LiteLLM
// overwrites body.model with the target deployment's.
func (g *Gateway) checkLine(c Caller, lineNo int, customID, url, model string, dep **Deployment, targeted bool, f *batchgate.File, ids map[string]int) *batchgate.Error {
	if prev, dup := ids[customID]; dup {
		return &batchgate.Error{Code: "duplicate_custom_id", Line: lineNo, Param: "custom_id",
			Message: fmt.Sprintf("custom_id %q is already used on line %d; every request needs a unique custom_id", customID, prev)}
	}
	ids[customID] = lineNo
	if f.Endpoint == "" {
		f.Endpoint = url
	} else if url != f.Endpoint {
		return &batchgate.Error{Code: "mixed_endpoints", Line: lineNo, Param: "url",
			Message: fmt.Sprintf("url %q differs from %q on line 1; a batch runs one endpoint", url, f.Endpoint)}
	}
	if *dep == nil {
		d, err := g.target(c, model)
		if err != nil {
			var e *batchgate.Error
			errors.As(err, &e)
			if e.Code == batchgate.EINVALID {
				e.Message = g.unservedLineModel(c, model)
			}
			e.Line, e.Param = lineNo, "body.model"
			return e
		}
		*dep = d
	}
	d := *dep
	f.Model = d.Name()
	if !targeted && !d.Names(model) {
		return &batchgate.Error{Code: "model_mismatch", Line: lineNo, Param: "body.model",
			Message: fmt.Sprintf("body.model %q is not the file's target model %q (or its deployment %q)", model, d.Name(), d.Model)}
	}
	return nil
}

// defaultMaxTokens is what a chat request may produce when it sets no limit.
const defaultMaxTokens = 4096

// maxOutputTokens returns a request's output token limit.
func maxOutputTokens(req translate.Request) int64 {
	if strings.HasSuffix(req.URL, "/embeddings") {
		return 0
	}
	// The small raw values only: decoding the whole body again would cost as
	// much as translating it.
	var mot, mct, mt int64
	_ = json.Unmarshal(req.Param("max_output_tokens"), &mot) // /v1/responses
	_ = json.Unmarshal(req.Param("max_completion_tokens"), &mct)
	_ = json.Unmarshal(req.Param("max_tokens"), &mt)
	switch {
	case mot > 0:
		return mot
	case mct > 0:
		return mct
	case mt > 0:
		return mt
	}
	return defaultMaxTokens
}

// Names reports whether a model name (a request's body.model, or
// target_model_names) refers to the deployment: its model_name, or its
// Bedrock model id with or without "bedrock/" and LiteLLM's converse/ or
// invoke/ route.
func (d *Deployment) Names(model string) bool {
	return model == d.Name() || model == d.Model || bedrockmodel.Parse(model).ModelID == d.ModelID()
}

// target resolves a target model for the caller.
func (g *Gateway) target(c Caller, name string) (*Deployment, error) {
	if strings.Contains(name, ",") {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "target_model_names",
			Message: fmt.Sprintf("target_model_names %q names several models; batchgate prepares a file for one model", name)}
	}
	d := g.deployment(strings.TrimSpace(name))
	if d == nil || !c.AllowsModel(d.Name()) {
		if d != nil {
			return nil, &batchgate.Error{Code: batchgate.EFORBIDDEN, Param: "model",
				Message: fmt.Sprintf("This key is not allowed to use model %q.", d.Name())}
		}
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "target_model_names",
			Message: fmt.Sprintf("Unknown batch model %q: GET /model_group/info lists the models you may use.", name)}
	}
	return d, nil
}

func lineError(le *translate.LineError) *batchgate.Error {
	code := le.Code
	if code == "" {
		code = "invalid_request"
	}
	return &batchgate.Error{Code: code, Line: le.Line, Param: le.Param, Message: le.Message}
}

// fileInvalid wraps line problems in one 400 whose message names the first
// line and counts them all (total), though only the first few are listed.
func fileInvalid(problems []*batchgate.Error, total int) error {
	first := problems[0]
	msg := fmt.Sprintf("Line %d: %s", first.Line, first.Message)
	switch {
	case total > len(problems):
		msg += fmt.Sprintf(" (%d lines have problems; the first %d are listed)", total, len(problems))
	case total > 1:
		msg += fmt.Sprintf(" (%d lines have problems)", total)
	}
	return &batchgate.Error{Code: batchgate.EINVALID, Message: msg, Param: first.Param, Line: first.Line, Data: problems}
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its newline. It returns io.EOF with
// the last line, and errLineTooLong past max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(buf) > max {
				return nil, errLineTooLong
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
	if err == nil || err == io.EOF {
		return line, err
	}
	return line, err
}

// FindFile returns a file the caller may see. A foreign file is not found,
// exactly like a missing one.
func (g *Gateway) FindFile(ctx context.Context, c Caller, id string) (*batchgate.File, error) {
	f, err := g.Store.FindFileByID(ctx, id)
	if batchgate.IsNotFound(err) || (err == nil && !c.Scope.Allows(f.Owner)) {
		return nil, notFound("file", id)
	}
	return f, err
}

// DeleteFile deletes a file the caller owns, and its object for input files.
func (g *Gateway) DeleteFile(ctx context.Context, c Caller, id string) error {
	f, err := g.FindFile(ctx, c, id)
	if err != nil {
		return err
	}
	if f.Kind == batchgate.FileInput {
		// A running batch still submits jobs from the file's objects.
		if n, err := g.Store.CountRunningBatchesOfFile(ctx, f.ID); err != nil {
			return err
		} else if n > 0 {
			return &batchgate.Error{Code: batchgate.ECONFLICT, Param: "file_id", Message: fmt.Sprintf(
				"The file %s is the input of %d batch(es) that have not finished. Wait until they end, or cancel them, before deleting the file.", f.ID, n)}
		}
	}
	if err := g.Store.DeleteFile(ctx, f.ID); err != nil {
		return err
	}
	d := g.deployment(f.Model)
	if d == nil {
		return nil
	}
	d = g.deploymentWithBucket(d, f.Bucket)
	var keys []string
	switch {
	case f.Kind == batchgate.FileInput:
		if keys, err = g.inputKeys(ctx, f); err != nil {
			keys = []string{f.Key}
		}
	case materialized(f):
		// The OpenAI form batchgate wrote; Bedrock's own output stays
		// in the admin's bucket.
		keys = []string{f.Key}
	}
	for _, k := range keys {
		if err := d.Objects.Delete(ctx, f.Bucket, k); err != nil {
			g.Log.Warn("delete file object", "file_id", f.ID, "err", err)
		}
	}
	return nil
}

// WriteContent streams a file's content to w. Input files are served as the
// Bedrock records batchgate stored; output and error files as the OpenAI
// batch output lines written when the batch settled (results.go), or as
// Bedrock's raw lines when raw is set (the `custom-llm-provider: bedrock`
// header).
func (g *Gateway) WriteContent(ctx context.Context, f *batchgate.File, raw bool, w io.Writer) error {
	d := g.deployment(f.Model)
	if d == nil {
		return &batchgate.Error{Code: batchgate.EUNAVAILABLE, Message: fmt.Sprintf("model %q is no longer configured", f.Model)}
	}
	primary := d
	d = g.deploymentWithBucket(d, f.Bucket)
	if f.Kind == batchgate.FileInput {
		keys, err := g.inputKeys(ctx, f)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := copyObject(ctx, d, f.Bucket, k, w); err != nil {
				return err
			}
		}
		return nil
	}
	if !raw && materialized(f) {
		return copyObject(ctx, d, f.Bucket, f.Key, w)
	}
	b, err := g.Store.FindBatchByID(ctx, f.BatchID)
	if err != nil {
		return err
	}
	d = g.deploymentOf(primary, b.Deployment) // Bedrock's output is where the job ran
	objs, err := g.outputObjects(ctx, d, b)
	if err != nil {
		return err
	}
	// Bedrock's raw lines, or a file settled before results were stored in
	// OpenAI form: read the jobs' output now.
	created := b.CreatedAt
	if b.CompletedAt != nil {
		created = *b.CompletedAt
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	ws := []io.Writer{io.Discard, io.Discard}
	ws[kindStream(f.Kind)] = bw
	if err := g.convertResults(ctx, d, b, objs, created, raw, ws); err != nil {
		return err
	}
	if f.Kind == batchgate.FileError && !raw {
		if err := g.writeUnprocessed(ctx, d, b, b.Status, objs, bw); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ContentLength is the length of what WriteContent writes for f, or -1 when
// it is known only once written (input files are served as the Bedrock
// records stored, raw output is filtered, old output files are converted).
func ContentLength(f *batchgate.File, raw bool) int64 {
	if f.Kind != batchgate.FileInput && !raw && materialized(f) {
		return f.Bytes
	}
	return -1
}

// kindStream is the stream of convertResults a file kind reads.
func kindStream(kind string) int {
	if kind == batchgate.FileOutput {
		return 0
	}
	return 1
}

// FindFiles lists the caller's files with the given purpose ("": any), in
// the page's order.
func (g *Gateway) FindFiles(ctx context.Context, c Caller, purpose string, page batchgate.Page) ([]*batchgate.File, error) {
	return g.Store.FindFiles(ctx, batchgate.FileFilter{Scope: c.Scope, Purpose: purpose, Page: page})
}
