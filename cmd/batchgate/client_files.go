package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/batchgate/batchgate/direct"
	"github.com/batchgate/batchgate/internal/openai"
)

// input is a batch file opened for upload; its first request is read ahead
// to default the model and endpoint.
type input struct {
	name  string
	size  int64 // -1: unknown (stdin)
	r     *bufio.Reader
	close func() error
	// From the first line, when it parses:
	url, model string
}

// openInput opens a JSONL file, or stdin for "-".
func openInput(path string) (*input, error) {
	f, name := os.Stdin, "stdin.jsonl"
	if path != "-" {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, err
		}
		name = filepath.Base(path)
	}
	in := &input{name: name, size: -1, r: bufio.NewReaderSize(f, 1<<20), close: f.Close}
	if path == "-" {
		in.close = func() error { return nil }
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		in.size = st.Size()
		if st.Size() == 0 {
			in.close()
			return nil, fmt.Errorf("%s is empty", path)
		}
	}
	var first struct {
		URL  string `json:"url"`
		Body struct {
			Model string `json:"model"`
		} `json:"body"`
	}
	if json.Unmarshal(firstLine(in.r), &first) == nil {
		in.url, in.model = first.URL, first.Body.Model
	}
	return in, nil
}

// firstLine peeks at the first line (up to the reader's buffer) without consuming it.
func firstLine(br *bufio.Reader) []byte {
	for n := 4 << 10; ; n *= 2 {
		n = min(n, br.Size())
		b, err := br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[:i]
		}
		if err != nil || n == br.Size() {
			return b
		}
	}
}

// upload streams a file to POST /v1/files as multipart/form-data. The body
// is the form's head, the file and the closing boundary, so its length is
// known for regular files and nothing is held in memory.
func (c *cli) upload(ctx context.Context, in *input, model string) (openai.File, json.RawMessage, error) {
	var f openai.File
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// Fields before the file: the gateway then knows the target while it reads the lines.
	_ = mw.WriteField("purpose", "batch")
	if model != "" {
		_ = mw.WriteField("target_model_names", model)
	}
	if _, err := mw.CreateFormFile("file", in.name); err != nil {
		return f, nil, err
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	_ = mw.Close()
	tail := buf.Bytes()

	var src io.Reader = in.r
	var bar *progressbar.ProgressBar
	if c.showProgress() {
		bar = c.bytesBar(in.size, "uploading "+in.name)
		src = io.TeeReader(in.r, bar)
	}
	length := int64(-1)
	if in.size >= 0 {
		length = int64(len(head)) + in.size + int64(len(tail))
	}
	body := &sized{Reader: io.MultiReader(bytes.NewReader(head), src, bytes.NewReader(tail)), n: length}
	resp, err := c.request(ctx, http.MethodPost, "/v1/files", body, mw.FormDataContentType(), nil)
	if bar != nil {
		if err == nil {
			_ = bar.Finish()
		} else {
			_ = bar.Exit()
			fmt.Fprintln(c.stderr)
		}
	}
	if err != nil {
		return f, nil, fmt.Errorf("upload %s: %w", in.name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return f, nil, err
	}
	if err := json.Unmarshal(raw, &f); err != nil || f.ID == "" {
		return f, nil, fmt.Errorf("upload %s: unexpected answer: %.200s", in.name, raw)
	}
	return f, raw, nil
}

// uploadFile opens path and uploads it for model (default: the first request's body.model).
func (c *cli) uploadFile(ctx context.Context, path, model string) (*input, openai.File, json.RawMessage, error) {
	in, err := openInput(path)
	if err != nil {
		return nil, openai.File{}, nil, err
	}
	defer in.close()
	if model == "" {
		model = in.model
	}
	if model == "" {
		return nil, openai.File{}, nil, errors.New("--model is required (the first line names no body.model)")
	}
	f, raw, err := c.upload(ctx, in, model)
	return in, f, raw, err
}

func filesUpload(ctx context.Context, c *cli, args []string) error {
	model := c.fs.String("model", "", "target model name (target_model_names); default: the first line's body.model")
	c.progressFlag()
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	_, f, raw, err := c.uploadFile(ctx, pos[0], *model)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	c.printFile(f)
	return nil
}

func (c *cli) printFile(f openai.File) {
	tw := c.table()
	fmt.Fprintf(tw, "id\t%s\n", f.ID)
	fmt.Fprintf(tw, "filename\t%s\n", f.Filename)
	fmt.Fprintf(tw, "purpose\t%s\n", f.Purpose)
	fmt.Fprintf(tw, "bytes\t%d (%s)\n", f.Bytes, humanBytes(f.Bytes))
	fmt.Fprintf(tw, "status\t%s\n", orDash(f.Status))
	fmt.Fprintf(tw, "created_at\t%s\n", when(f.CreatedAt))
	if f.ExpiresAt != nil {
		fmt.Fprintf(tw, "expires_at\t%s\n", when(*f.ExpiresAt))
	}
	tw.Flush()
}

func filesList(ctx context.Context, c *cli, args []string) error {
	limit := c.fs.Int("limit", 0, "how many files (default: the server's, 20 on batchgate)")
	after := c.fs.String("after", "", "list files after this id (the last id of the previous page)")
	purpose := c.fs.String("purpose", "", "only files of this purpose (batch, batch_output)")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	q := url.Values{}
	if *purpose != "" {
		q.Set("purpose", *purpose)
	}
	var list openai.List[openai.File]
	raw, err := c.get(ctx, http.MethodGet, pagePath("/v1/files", *limit, *after, q), nil, &list)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if len(list.Data) == 0 {
		c.note("no files")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "ID\tFILENAME\tPURPOSE\tSIZE\tCREATED")
	for _, f := range list.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.ID, f.Filename, f.Purpose, humanBytes(f.Bytes), age(f.CreatedAt))
	}
	tw.Flush()
	if list.HasMore && len(list.Data) > 0 {
		c.note("more: batchgate files list --after %s", list.Data[len(list.Data)-1].ID)
	}
	return nil
}

func filesGet(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	var f openai.File
	raw, err := c.get(ctx, http.MethodGet, "/v1/files/"+pathEscape(pos[0]), nil, &f)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	c.printFile(f)
	return nil
}

func filesDelete(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	var d openai.FileDeleted
	raw, err := c.get(ctx, http.MethodDelete, "/v1/files/"+pathEscape(pos[0]), nil, &d)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if !d.Deleted {
		return fmt.Errorf("%s was not deleted", pos[0])
	}
	fmt.Fprintf(c.stdout, "deleted %s\n", d.ID)
	return nil
}

func filesContent(ctx context.Context, c *cli, args []string) error {
	raw := c.fs.Bool("raw", false, "Bedrock's raw output lines (gateway: header custom-llm-provider: bedrock; s3://: the default)")
	toOpenAI := c.fs.Bool("openai", false, "OpenAI batch output lines (gateway: the default; s3://: convert Bedrock's lines)")
	out := c.fs.String("o", "", "write to `FILE` instead of stdout")
	c.fs.StringVar(out, "output", "", "same as -o")
	region := c.fs.String("region", "", "s3://: the bucket's region (default: AWS_REGION / the profile's)")
	profile := c.fs.String("profile", "", "s3://: AWS shared config profile (default: AWS_PROFILE)")
	endpoint := c.fs.String("endpoint-url", "", "s3://: S3 endpoint override (default: AWS_ENDPOINT_URL_S3)")
	bucket := c.fs.String("bucket", "", "an output_file_id read directly: the output bucket of the batch's model (bucket or bucket/prefix); without it an id is read through the gateway")
	modelID := c.fs.String("model-id", "", "s3:// --openai: the job's Bedrock model id (default: recognised from the records)")
	model := c.fs.String("model", "", "s3:// --openai: the model name in the OpenAI lines (default: --model-id)")
	c.progressFlag()
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	if *raw && *toOpenAI {
		return errors.New("--raw and --openai exclude each other")
	}
	if strings.HasPrefix(pos[0], "s3://") || *bucket != "" {
		src, err := direct.FileContent(ctx, pos[0], direct.Options{Region: *region, Profile: *profile, Endpoint: *endpoint, Bucket: *bucket})
		if err != nil {
			return err
		}
		defer src.Close()
		if !*toOpenAI {
			return c.save(src, -1, *out, pos[0])
		}
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			pw.CloseWithError(direct.ToOpenAI(src, pw, direct.ConvertOptions{ModelID: *modelID, Model: *model}))
		}()
		err = c.save(pr, -1, *out, pos[0])
		pr.CloseWithError(errors.New("download stopped"))
		<-done // before src is closed
		return err
	}
	return c.fileContent(ctx, pos[0], *raw, *out)
}

// fileContent downloads a file's content through the gateway.
func (c *cli) fileContent(ctx context.Context, id string, raw bool, out string) error {
	h := http.Header{}
	if raw {
		h.Set("custom-llm-provider", "bedrock")
	}
	resp, err := c.request(ctx, http.MethodGet, "/v1/files/"+pathEscape(id)+"/content", nil, "", h)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return c.save(resp.Body, resp.ContentLength, out, id)
}

// save copies content to -o FILE (atomically) or stdout.
func (c *cli) save(r io.Reader, size int64, path, what string) error {
	w, commit, err := c.output(path)
	if err != nil {
		return err
	}
	n, err := c.download(r, size, w, "downloading "+what)
	if err = commit(err); err != nil {
		return fmt.Errorf("download %s: %w", what, err)
	}
	if path != "" && path != "-" {
		c.note("wrote %s to %s", humanBytes(n), path)
	}
	return nil
}
