package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/batchgate/batchgate/internal/local"
)

// runDemo starts the embedded gateway and walks the spec's developer flow
// against it over HTTP: key, model discovery, upload, batch, progress, results.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, stderr, "batchgate demo [--requests 120] [--step-delay 1s] [--keep]",
		"run the developer flow end to end against a throwaway local gateway (no AWS needed)", nil)
	n := fs.Int("requests", 120, "requests in the sample batch (below 100, Bedrock's batch minimum, it runs on demand)")
	stepDelay := fs.Duration("step-delay", time.Second, "the emulator's delay per job state")
	keep := fs.Bool("keep", false, "keep the data directory and the gateway's log (else both are deleted on exit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "batchgate-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type ready struct{ url, key string }
	readyc := make(chan ready, 1)
	errc := make(chan error, 1)
	// The gateway's log goes to a file only when it is kept; otherwise it
	// is held in memory and its end shown if the demo fails.
	var logf io.Writer = &tailBuffer{}
	logPath := filepath.Join(dir, "gateway.log")
	if *keep {
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer f.Close()
		logf = f
	} else {
		defer func() {
			if err != nil {
				err = fmt.Errorf("%w\nthe gateway's log ended:\n%s", err, logf.(*tailBuffer).String())
			}
		}()
	}
	go func() {
		errc <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data", dir, "--reconcile-interval", "200ms",
			"--sim-step-delay", stepDelay.String()}, getenv, io.Discard, logf, func(u, k string) { readyc <- ready{u, k} })
	}()
	var r ready
	select {
	case r = <-readyc:
	case err := <-errc:
		return fmt.Errorf("gateway: %w", err)
	}
	c := &demoClient{base: r.url, http: &http.Client{Timeout: time.Minute}}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }

	if *keep {
		say("batchgate demo: gateway on %s (in-process S3 and Bedrock emulator; data and log kept in %s)", r.url, dir)
	} else {
		say("batchgate demo: gateway on %s (in-process S3 and Bedrock emulator; --keep keeps its data and log)", r.url)
	}

	say("\n1. Admin creates a virtual key for %s  (POST /key/generate)", local.ModelName)
	var key struct {
		Key string `json:"key"`
	}
	if err := c.do(ctx, r.key, "POST", "/key/generate", "application/json", strings.NewReader(`{"models":["`+local.ModelName+`"],"key_alias":"demo"}`), nil, &key); err != nil {
		return err
	}
	say("   key %s...", key.Key[:10])

	say("\n2. Developer lists batch models  (GET /model_group/info)")
	var groups struct {
		Data []struct {
			ModelGroup string `json:"model_group"`
			Mode       string `json:"mode"`
		} `json:"data"`
	}
	if err := c.do(ctx, key.Key, "GET", "/model_group/info", "", nil, nil, &groups); err != nil {
		return err
	}
	for _, g := range groups.Data {
		say("   %s (mode: %s)", g.ModelGroup, g.Mode)
	}

	say("\n3. Developer uploads %d requests  (POST /v1/files, purpose=batch, target_model_names=%s)", *n, local.ModelName)
	body, ctype := demoUpload(*n)
	var file struct {
		ID    string `json:"id"`
		Bytes int64  `json:"bytes"`
	}
	if err := c.do(ctx, key.Key, "POST", "/v1/files", ctype, body, nil, &file); err != nil {
		return err
	}
	say("   %s (%d bytes), validated and translated for bedrock/%s", file.ID, file.Bytes, local.ModelID)

	say("\n4. Developer creates the batch  (POST /v1/batches)")
	var batch demoBatch
	req := fmt.Sprintf(`{"input_file_id":%q,"endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"description":"batchgate demo"}}`, file.ID)
	if err := c.do(ctx, key.Key, "POST", "/v1/batches", "application/json", strings.NewReader(req), nil, &batch); err != nil {
		return err
	}
	say("   %s: %s", batch.ID, batch.Status)

	say("\n5. Polling until it is done  (GET /v1/batches/%s)", batch.ID)
	progress := newDemoProgress(stdout, int64(*n), isTerminal(stdout))
	progress.show(batch)
	for !terminal(batch.Status) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return fmt.Errorf("gateway stopped: %w", err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := c.do(ctx, key.Key, "GET", "/v1/batches/"+batch.ID, "", nil, nil, &batch); err != nil {
			return err
		}
		progress.show(batch)
	}
	progress.finish()
	say("   %s: %d completed, %d failed", batch.Status, batch.RequestCounts.Completed, batch.RequestCounts.Failed)
	if batch.OutputFileID == "" {
		return fmt.Errorf("batch ended %s without output", batch.Status)
	}

	say("\n6. Developer downloads the results  (GET /v1/files/%s/content)", batch.OutputFileID)
	var out bytes.Buffer
	if err := c.do(ctx, key.Key, "GET", "/v1/files/"+batch.OutputFileID+"/content", "", nil, nil, &out); err != nil {
		return err
	}
	var lines, prompt, completion int64
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var l struct {
			CustomID string `json:"custom_id"`
			Response struct {
				Body struct {
					Choices []struct {
						Message struct {
							Content string `json:"content"`
						} `json:"message"`
					} `json:"choices"`
					Usage struct {
						PromptTokens     int64 `json:"prompt_tokens"`
						CompletionTokens int64 `json:"completion_tokens"`
					} `json:"usage"`
				} `json:"body"`
			} `json:"response"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("output line %d: %w", lines+1, err)
		}
		lines++
		prompt += l.Response.Body.Usage.PromptTokens
		completion += l.Response.Body.Usage.CompletionTokens
		if lines <= 3 && len(l.Response.Body.Choices) > 0 {
			say("   %s: %q", l.CustomID, clip(l.Response.Body.Choices[0].Message.Content, 70))
		}
	}
	say("   ... %d OpenAI chat.completion lines; %d prompt + %d completion tokens", lines, prompt, completion)

	var raw bytes.Buffer
	if err := c.do(ctx, key.Key, "GET", "/v1/files/"+batch.OutputFileID+"/content", "", nil, http.Header{"custom-llm-provider": {"bedrock"}}, &raw); err != nil {
		return err
	}
	first, _, _ := strings.Cut(raw.String(), "\n")
	say("   with custom-llm-provider: bedrock, the raw Bedrock lines: %s", clip(first, 110))
	if batch.Usage != nil {
		prices := "batch prices"
		if batch.Bedrock != nil && batch.Bedrock.Mode == "on_demand" {
			prices = "on-demand prices (below Bedrock's batch minimum, it ran through the runtime API)"
		}
		say("\n7. Billed at %s: %d input + %d output tokens", prices, batch.Usage.InputTokens, batch.Usage.OutputTokens)
	}
	var info struct {
		Info struct {
			Spend float64 `json:"spend"`
		} `json:"info"`
	}
	if err := c.do(ctx, key.Key, "GET", "/key/info", "", nil, nil, &info); err == nil {
		say("   key spend: $%.6f", info.Info.Spend)
	}
	say("\nDone. Run `batchgate serve` to keep a local gateway running.")
	return nil
}

type demoBatch struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	OutputFileID  string `json:"output_file_id"`
	RequestCounts struct {
		Total, Completed, Failed int64
	} `json:"request_counts"`
	Usage *struct {
		InputTokens  int64 `json:"input_tokens"`
		OutputTokens int64 `json:"output_tokens"`
	} `json:"usage"`
	Bedrock *struct {
		Mode string `json:"mode"` // "on_demand": run through the runtime API
	} `json:"bedrock"`
}

func terminal(s string) bool {
	return s == "completed" || s == "failed" || s == "expired" || s == "cancelled"
}

var demoQuestions = []string{
	"What is the capital of France?", "Explain batch inference in one sentence.", "Name three prime numbers.",
	"Write a haiku about the sea.", "What does S3 stand for?", "Translate 'good morning' into Spanish.",
}

// demoUpload builds the multipart body of a sample file in the spec's format.
func demoUpload(n int) (io.Reader, string) {
	var file bytes.Buffer
	for i := 1; i <= n; i++ {
		line, _ := json.Marshal(map[string]any{
			"custom_id": fmt.Sprintf("request-%d", i), "method": "POST", "url": "/v1/chat/completions",
			"body": map[string]any{"model": local.ModelName, "max_tokens": 1000, "messages": []map[string]string{
				{"role": "system", "content": "You are a helpful assistant."},
				{"role": "user", "content": demoQuestions[i%len(demoQuestions)]},
			}},
		})
		file.Write(line)
		file.WriteByte('\n')
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("purpose", "batch")
	_ = mw.WriteField("target_model_names", local.ModelName)
	fw, _ := mw.CreateFormFile("file", "bedrock_batch_completions.jsonl")
	_, _ = fw.Write(file.Bytes())
	_ = mw.Close()
	return &body, mw.FormDataContentType()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

type demoClient struct {
	base string
	http *http.Client
}

// do sends a request; out is a *bytes.Buffer for raw bodies or a value to decode JSON into.
func (c *demoClient) do(ctx context.Context, key, method, path, ctype string, body io.Reader, h http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if buf, ok := out.(*bytes.Buffer); ok {
		_, err = io.Copy(buf, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return errors.Join(fmt.Errorf("%s %s: decode", method, path), err)
	}
	return nil
}

// demoProgress shows a batch's progress: a bar on a terminal, else (piped
// output, a log) one line per change of status or count.
type demoProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	shown string
}

func newDemoProgress(w io.Writer, total int64, tty bool) *demoProgress {
	p := &demoProgress{w: w}
	if tty {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetWidth(40),
			progressbar.OptionShowCount(), progressbar.OptionSetDescription("   validating"), progressbar.OptionFullWidth())
	}
	return p
}

func (p *demoProgress) show(b demoBatch) {
	done := b.RequestCounts.Completed + b.RequestCounts.Failed
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("   %-12s", b.Status))
		_ = p.bar.Set64(done)
		return
	}
	line := fmt.Sprintf("   %s", b.Status)
	if b.RequestCounts.Total > 0 {
		line += fmt.Sprintf(" %d/%d", done, b.RequestCounts.Total)
	}
	if line != p.shown {
		fmt.Fprintln(p.w, line)
		p.shown = line
	}
}

func (p *demoProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}

// tailBuffer keeps the last 64 KiB written to it, for a failed demo's log.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - 64<<10; over > 0 {
		t.b = append(t.b[:0:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
