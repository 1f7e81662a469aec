package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/batchgate/batchgate/internal/openai"
)

// batchEnded reports whether a batch status is final.
func batchEnded(status string) bool {
	switch status {
	case "completed", "failed", "expired", "cancelled":
		return true
	}
	return false
}

func batchSubmit(ctx context.Context, c *cli, args []string) error {
	model := c.fs.String("model", "", "target model name (target_model_names); default: the first line's body.model")
	endpoint := c.fs.String("endpoint", "", "the batch's endpoint (default: the first line's url, else /v1/chat/completions)")
	window := c.fs.String("completion-window", "24h", "completion window, 24h to 168h")
	metadata := keyValues{}
	c.fs.Var(metadata, "metadata", "batch metadata `key=value` (repeatable)")
	wait := c.fs.Bool("wait", false, "wait until the batch ends, with a progress bar, and print a summary")
	interval := c.fs.Duration("poll-interval", 5*time.Second, "with --wait: how often to poll the batch")
	c.progressFlag()
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	in, f, _, err := c.uploadFile(ctx, pos[0], *model)
	if err != nil {
		return err
	}
	if !c.json {
		c.note("uploaded %s as %s (%s)", in.name, f.ID, humanBytes(f.Bytes))
	}
	ep := firstNonEmpty(*endpoint, in.url, "/v1/chat/completions")
	req := map[string]any{"input_file_id": f.ID, "endpoint": ep, "completion_window": *window}
	if len(metadata) > 0 {
		req["metadata"] = metadata
	}
	var b openai.Batch
	raw, err := c.get(ctx, http.MethodPost, "/v1/batches", req, &b)
	if err != nil {
		return fmt.Errorf("create the batch (%s stays uploaded; `batchgate files delete %s` removes it): %w", f.ID, f.ID, err)
	}
	if *wait {
		if !c.json {
			c.note("created %s", b.ID)
		}
		return c.waitAndReport(ctx, &b, raw, *interval)
	}
	if c.json {
		return c.printJSON(raw)
	}
	c.printBatch(b, "")
	c.note("follow it with: batchgate batch status %s --wait", b.ID)
	return nil
}

func batchStatus(ctx context.Context, c *cli, args []string) error {
	wait := c.fs.Bool("wait", false, "wait until the batch ends, with a progress bar, and print a summary")
	interval := c.fs.Duration("poll-interval", 5*time.Second, "with --wait: how often to poll the batch")
	c.progressFlag()
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	var b openai.Batch
	raw, err := c.get(ctx, http.MethodGet, "/v1/batches/"+pathEscape(pos[0]), nil, &b)
	if err != nil {
		return err
	}
	if *wait {
		return c.waitAndReport(ctx, &b, raw, *interval)
	}
	if c.json {
		return c.printJSON(raw)
	}
	c.printBatch(b, c.costText(ctx, b))
	return nil
}

// costText is what the batch cost, from its spend log (GET
// /spend/logs?request_id=): a batch is billed when it ends. It is "" for a
// gateway without spend logs.
func (c *cli) costText(ctx context.Context, b openai.Batch) string {
	var logs []struct {
		Spend float64 `json:"spend"`
	}
	if _, err := c.get(ctx, http.MethodGet, "/spend/logs?"+url.Values{"request_id": {b.ID}}.Encode(), nil, &logs); err != nil {
		return ""
	}
	var sum float64
	for _, l := range logs {
		sum += l.Spend
	}
	if len(logs) == 0 && !batchEnded(b.Status) {
		return "- (billed when the batch ends)"
	}
	return fmt.Sprintf("$%.6f", sum)
}

// waitAndReport waits for the batch to end and prints it. A batch that did
// not complete is an error, so that scripts can rely on the exit status.
func (c *cli) waitAndReport(ctx context.Context, b *openai.Batch, raw json.RawMessage, interval time.Duration) error {
	start := time.Now()
	raw, err := c.wait(ctx, b, raw, interval)
	if err != nil {
		return err
	}
	if c.json {
		if err := c.printJSON(raw); err != nil {
			return err
		}
	} else {
		c.printSummary(*b, time.Since(start))
		if cost := c.costText(ctx, *b); cost != "" {
			fmt.Fprintf(c.stdout, "  cost: %s\n", cost)
		}
	}
	if b.Status != "completed" {
		msg := fmt.Sprintf("batch %s ended %s", b.ID, b.Status)
		if b.Errors != nil && len(b.Errors.Data) > 0 {
			msg += ": " + b.Errors.Data[0].Message
		}
		return errors.New(msg)
	}
	return nil
}

// maxPollFailures is how many polls in a row may fail (network, 5xx) before
// waiting gives up: a gateway restart should not end a long wait.
const maxPollFailures = 5

// wait polls the batch until it ends, showing progress from request_counts:
// a bar when progress is shown, else a line on stderr per status change.
func (c *cli) wait(ctx context.Context, b *openai.Batch, raw json.RawMessage, interval time.Duration) (json.RawMessage, error) {
	var bar *progressbar.ProgressBar
	if c.showProgress() {
		// No throttle: polls are seconds apart, and the last state must show.
		bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(c.stderr), progressbar.OptionSetDescription(b.Status),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(30),
			progressbar.OptionSpinnerType(14), progressbar.OptionSetPredictTime(false), progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetRenderBlankState(true))
		defer func() {
			_ = bar.Exit()
			fmt.Fprintln(c.stderr)
		}()
	}
	shown, failures := "", 0
	for {
		c.showWait(b, bar, &shown)
		if batchEnded(b.Status) {
			return raw, nil
		}
		select {
		case <-ctx.Done():
			return nil, c.stoppedWaiting(b.ID, ctx.Err())
		case <-time.After(interval):
		}
		var nb openai.Batch
		r, err := c.get(ctx, http.MethodGet, "/v1/batches/"+pathEscape(b.ID), nil, &nb)
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.stoppedWaiting(b.ID, ctx.Err())
			}
			var ae *apiError
			if failures++; failures < maxPollFailures && (!errors.As(err, &ae) || ae.Status >= 500) {
				if bar != nil {
					fmt.Fprintln(c.stderr)
				}
				c.note("poll %s: %v (retrying)", b.ID, err)
				continue
			}
			return nil, err
		}
		failures = 0
		*b, raw = nb, r
	}
}

func (c *cli) stoppedWaiting(id string, err error) error {
	return fmt.Errorf("stopped waiting for %s, which keeps running (`batchgate batch status %s --wait` resumes): %w", id, id, err)
}

// showWait shows one poll's state.
func (c *cli) showWait(b *openai.Batch, bar *progressbar.ProgressBar, shown *string) {
	rc := b.RequestCounts
	desc := b.Status
	if rc.Failed > 0 {
		desc += fmt.Sprintf(" (%d failed)", rc.Failed)
	}
	if bar == nil {
		if desc != *shown {
			line := b.ID + ": " + b.Status
			if rc.Total > 0 {
				line += fmt.Sprintf(" %d/%d", rc.Completed+rc.Failed, rc.Total)
				if rc.Failed > 0 {
					line += fmt.Sprintf(" (%d failed)", rc.Failed)
				}
			}
			c.note("%s", line)
			*shown = desc
		}
		return
	}
	if rc.Total > 0 && bar.GetMax64() != rc.Total {
		bar.ChangeMax64(rc.Total)
	}
	bar.Describe(fmt.Sprintf("%-22s", desc))
	if rc.Total > 0 {
		_ = bar.Set64(rc.Completed + rc.Failed)
	} else {
		_ = bar.Add64(0)
	}
}

// printSummary prints how a waited-for batch ended and what to do next.
func (c *cli) printSummary(b openai.Batch, took time.Duration) {
	rc := b.RequestCounts
	fmt.Fprintf(c.stdout, "%s %s after %s: %d completed, %d failed of %d requests\n",
		b.ID, b.Status, took.Round(time.Second), rc.Completed, rc.Failed, rc.Total)
	if b.Usage != nil {
		fmt.Fprintf(c.stdout, "  tokens: %d input + %d output = %d\n", b.Usage.InputTokens, b.Usage.OutputTokens, b.Usage.TotalTokens)
	}
	if id := deref(b.OutputFileID); id != "" {
		fmt.Fprintf(c.stdout, "  output: %s  (batchgate batch results %s)\n", id, b.ID)
	}
	if id := deref(b.ErrorFileID); id != "" {
		fmt.Fprintf(c.stdout, "  errors: %s  (batchgate batch results %s --errors)\n", id, b.ID)
	}
	c.printBatchErrors(b)
}

func (c *cli) printBatchErrors(b openai.Batch) {
	if b.Errors == nil {
		return
	}
	for _, e := range b.Errors.Data {
		line := "  error: "
		if e.Line != nil {
			line += "line " + strconv.Itoa(*e.Line) + ": "
		}
		fmt.Fprintln(c.stdout, line+e.Message)
	}
}

// printBatch prints a batch and, when known, its cost.
func (c *cli) printBatch(b openai.Batch, cost string) {
	tw := c.table()
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("id", b.ID)
	row("status", b.Status)
	row("model", orDash(b.Model))
	row("endpoint", b.Endpoint)
	row("completion_window", b.CompletionWindow)
	row("input_file_id", b.InputFileID)
	row("output_file_id", orDash(deref(b.OutputFileID)))
	row("error_file_id", orDash(deref(b.ErrorFileID)))
	rc := b.RequestCounts
	row("requests", fmt.Sprintf("%d total, %d completed, %d failed", rc.Total, rc.Completed, rc.Failed))
	if b.Usage != nil {
		row("tokens", fmt.Sprintf("%d input + %d output = %d", b.Usage.InputTokens, b.Usage.OutputTokens, b.Usage.TotalTokens))
	}
	if cost != "" {
		row("cost", cost)
	}
	row("created_at", when(b.CreatedAt))
	for _, t := range []struct {
		name string
		at   *int64
	}{
		{"in_progress_at", b.InProgressAt}, {"finalizing_at", b.FinalizingAt}, {"completed_at", b.CompletedAt},
		{"failed_at", b.FailedAt}, {"cancelling_at", b.CancellingAt}, {"cancelled_at", b.CancelledAt},
		{"expired_at", b.ExpiredAt}, {"expires_at", b.ExpiresAt},
	} {
		if t.at != nil {
			row(t.name, when(*t.at))
		}
	}
	if len(b.Metadata) > 0 {
		var kv []string
		for k, v := range b.Metadata {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		row("metadata", strings.Join(kv, ", "))
	}
	tw.Flush()
	c.printBatchErrors(b)
}

func batchList(ctx context.Context, c *cli, args []string) error {
	limit := c.fs.Int("limit", 0, "how many batches (default: the server's, 20)")
	after := c.fs.String("after", "", "list batches after this id (the last id of the previous page)")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	var list openai.List[openai.Batch]
	raw, err := c.get(ctx, http.MethodGet, pagePath("/v1/batches", *limit, *after, nil), nil, &list)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if len(list.Data) == 0 {
		c.note("no batches")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "ID\tSTATUS\tMODEL\tCOMPLETED\tFAILED\tTOTAL\tCREATED")
	for _, b := range list.Data {
		rc := b.RequestCounts
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", b.ID, b.Status, orDash(b.Model), rc.Completed, rc.Failed, rc.Total, age(b.CreatedAt))
	}
	tw.Flush()
	if list.HasMore {
		c.note("more: batchgate batch list --after %s", list.Data[len(list.Data)-1].ID)
	}
	return nil
}

func batchCancel(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	var b openai.Batch
	raw, err := c.get(ctx, http.MethodPost, "/v1/batches/"+pathEscape(pos[0])+"/cancel", nil, &b)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	fmt.Fprintf(c.stdout, "%s: %s\n", b.ID, b.Status)
	return nil
}

func batchResults(ctx context.Context, c *cli, args []string) error {
	errs := c.fs.Bool("errors", false, "download the error file (failed requests) instead of the output file")
	raw := c.fs.Bool("raw", false, "Bedrock's raw output lines (header custom-llm-provider: bedrock) instead of OpenAI's")
	out := c.fs.String("o", "", "write to `FILE` instead of stdout")
	c.fs.StringVar(out, "output", "", "same as -o")
	c.progressFlag()
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	var b openai.Batch
	if _, err := c.get(ctx, http.MethodGet, "/v1/batches/"+pathEscape(pos[0]), nil, &b); err != nil {
		return err
	}
	id, kind := deref(b.OutputFileID), "output"
	if *errs {
		id, kind = deref(b.ErrorFileID), "error"
	}
	if id == "" {
		switch {
		case !batchEnded(b.Status):
			return fmt.Errorf("batch %s is %s and has no %s file yet (`batchgate batch status %s --wait` waits for it)", b.ID, b.Status, kind, b.ID)
		case *errs && b.RequestCounts.Failed == 0:
			// Nothing failed: not an error, and nothing to download.
			c.note("batch %s (%s) has no error file: none of its %d requests failed", b.ID, b.Status, b.RequestCounts.Total)
			return nil
		case *errs:
			return fmt.Errorf("batch %s (%s) has no error file: %d requests failed", b.ID, b.Status, b.RequestCounts.Failed)
		}
		return fmt.Errorf("batch %s (%s) has no output file", b.ID, b.Status)
	}
	return c.fileContent(ctx, id, *raw, *out)
}

// pagePath adds OpenAI's list parameters (limit and after, when set) and
// any others to path.
func pagePath(path string, limit int, after string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if after != "" {
		q.Set("after", after)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path
}
