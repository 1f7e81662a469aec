package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/cost"
	"github.com/batchgate/batchgate/internal/crash"
	"github.com/batchgate/batchgate/internal/translate"
)

// Small batches on demand (model_info.batch_below_minimum: on_demand).
//
// A batch with fewer records than Bedrock's batch minimum runs request by
// request through the runtime API (InvokeModel, or Converse for a Converse
// deployment), with the record bodies the upload already translated for a
// batch job. The reconciler works it like any batch, under the batch's
// lease: each pass runs the requests not yet done, a few at a time.
//
// Crash safety: each finished request is stored at once as an S3 object in
// the batch's output folder, in the form of a Bedrock batch .out line
// ({recordId, modelInput, modelOutput | error}). A pass runs only the
// requests that have no such object, so a restart resumes where the last
// process stopped and never repeats a finished request. (S3 rather than a
// store table: the result is the same bytes a job would write, next to where
// a job writes them, and the orphan sweep already keeps a running batch's
// output folder.) When every request is done, the lines are put together as
// the output of one job, with its manifest, and the batch settles through
// the same path as a job's: the same OpenAI output and error files, billed
// once (RecordSpend is once per batch), at on-demand prices.

// RuntimeInvoker runs one request through Bedrock's runtime API;
// *bedrock.Runtime implements it. A *bedrock.RequestError is the request's
// own failure (it gets an error line); any other error is retried later.
type RuntimeInvoker interface {
	Invoke(ctx context.Context, modelID string, converse bool, body []byte) ([]byte, error)
}

// onDemandJobID names the folder of an on-demand batch's results in its
// output prefix, where a job's id would be (a Bedrock job id is 12
// lower-case alphanumerics, so it never collides).
const onDemandJobID = "on-demand"

// runsOnDemand reports whether a batch of f on d runs on demand: it is below
// the batch minimum and d is configured for it.
func runsOnDemand(d *Deployment, f *batchgate.File) bool {
	return d.Runtime != nil && f.Records < d.Quotas.MinRecords
}

// priceOf is the price a batch is billed at: on-demand prices for a batch
// run on demand, else batch prices.
func priceOf(d *Deployment, mode string) cost.Price {
	if mode == batchgate.ModeOnDemand {
		return d.Price.OnDemand()
	}
	return d.Price
}

// onDemandARN stands for the job of an on-demand batch once it settles:
// settlement finds the results under JobID(arn) like a job's.
func onDemandARN(d *Deployment) string {
	return "arn:aws:bedrock:" + d.Region + ":on-demand:model-invocation-job/" + onDemandJobID
}

// onDemandRecord is one record of the input file.
type onDemandRecord struct {
	index    int
	recordID string
	input    json.RawMessage
}

// onDemandLine is a Bedrock batch .out line.
type onDemandLine struct {
	RecordID    string          `json:"recordId"`
	ModelInput  json.RawMessage `json:"modelInput"`
	ModelOutput json.RawMessage `json:"modelOutput,omitempty"`
	Error       *onDemandError  `json:"error,omitempty"`
}

type onDemandError struct {
	ErrorCode    int    `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// onDemandPrefix is the folder of the batch's on-demand results.
func onDemandPrefix(b *batchgate.Batch) (bucket, prefix string) {
	return jobPrefixOf(b, onDemandJobID)
}

func requestKey(prefix string, index int) string {
	return fmt.Sprintf("%srequests/%06d.json", prefix, index)
}

// refreshOnDemand works an on-demand batch: it runs the requests not yet
// done and settles the batch when all are, or when it is cancelled or
// expires.
func (g *Gateway) refreshOnDemand(ctx context.Context, d *Deployment, b *batchgate.Batch) error {
	f, err := g.Store.FindFileByID(ctx, b.InputFileID)
	if batchgate.IsNotFound(err) {
		return g.finishOnDemand(ctx, d, b, nil, "Failed", "the input file was deleted before every request could run", batchgate.StatusFailed)
	} else if err != nil {
		return err
	}
	records, err := g.onDemandRecords(ctx, d, f)
	if err != nil {
		return err
	}
	switch {
	case b.Status == batchgate.StatusCancelling:
		return g.finishOnDemand(ctx, d, b, records, "Stopped", "", batchgate.StatusCancelled)
	case g.queueExpired(b):
		return g.finishOnDemand(ctx, d, b, records, "Expired", "", batchgate.StatusExpired)
	case d.Runtime == nil:
		return g.finishOnDemand(ctx, d, b, records, "Failed", fmt.Sprintf("model %s no longer runs batches on demand (model_info.batch_below_minimum)", d.Name()), batchgate.StatusFailed)
	}
	done, err := g.onDemandDone(ctx, d, b)
	if err != nil {
		return err
	}
	var todo []onDemandRecord
	for _, r := range records {
		if _, ok := done[r.index]; !ok {
			todo = append(todo, r)
		}
	}
	if len(todo) > 0 {
		n, err := g.runOnDemand(ctx, d, b, todo, done)
		if err != nil {
			return err
		}
		if n < len(todo) {
			// Cancelled meanwhile (the next pass settles it), or this pass
			// has had its share of time: the next one goes on.
			return nil
		}
	}
	return g.finishOnDemand(ctx, d, b, records, "Completed", "", batchgate.StatusCompleted)
}

// onDemandRecords reads the records of the input file (the translated
// batch records the upload stored), over all its parts: a small file is
// still split when its bytes exceed a job's limit.
func (g *Gateway) onDemandRecords(ctx context.Context, d *Deployment, f *batchgate.File) ([]onDemandRecord, error) {
	keys, err := g.inputKeys(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []onDemandRecord
	for _, key := range keys {
		if out, err = readOnDemandRecords(ctx, d, f, key, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readOnDemandRecords appends the records of input object key to out,
// numbered on from len(out).
func readOnDemandRecords(ctx context.Context, d *Deployment, f *batchgate.File, key string, out []onDemandRecord) ([]onDemandRecord, error) {
	rc, err := d.Objects.Get(ctx, f.Bucket, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read input of %s: %w", f.ID, err)
		}
		last := err == io.EOF
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			if last {
				break
			}
			continue
		}
		var r struct {
			RecordID   string          `json:"recordId"`
			ModelInput json.RawMessage `json:"modelInput"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("input record %d of %s: %w", len(out)+1, f.ID, err)
		}
		out = append(out, onDemandRecord{index: len(out), recordID: r.RecordID, input: r.ModelInput})
		if last {
			break
		}
	}
	return out, nil
}

// onDemandDone reads the results stored so far, by record index.
func (g *Gateway) onDemandDone(ctx context.Context, d *Deployment, b *batchgate.Batch) (map[int][]byte, error) {
	bucket, prefix := onDemandPrefix(b)
	objs, err := d.Objects.List(ctx, bucket, prefix+"requests/")
	if err != nil {
		return nil, err
	}
	done := map[int][]byte{}
	for _, o := range objs {
		name := strings.TrimSuffix(o.Key[strings.LastIndexByte(o.Key, '/')+1:], ".json")
		i, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		rc, err := d.Objects.Get(ctx, bucket, o.Key)
		if err != nil {
			return nil, err
		}
		line, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		done[i] = bytes.TrimSpace(line)
	}
	return done, nil
}

// onDemandPassTime is how long one reconciliation pass starts requests of
// an on-demand batch (those running then finish): the pass waits for its
// batches, so one long batch must not hold up the polling of the others.
func (g *Gateway) onDemandPassTime() time.Duration {
	return max(g.LeaseTTL/2, time.Second)
}

// runOnDemand runs the requests of todo, model_info.batch_on_demand_concurrency
// at a time, storing each result as it comes and the batch's progress with
// it. It stops starting requests when the batch is being cancelled, ctx
// ends or the pass has run onDemandPassTime, and returns how many requests
// it finished and the first error that left one undone (the next pass runs
// it again).
func (g *Gateway) runOnDemand(ctx context.Context, d *Deployment, b *batchgate.Batch, todo []onDemandRecord, done map[int][]byte) (int, error) {
	var mu sync.Mutex // guards b, done, finished and firstErr
	var firstErr error
	finished := 0
	now := g.now()
	passEnd := now.Add(g.onDemandPassTime())
	if b.Status == batchgate.StatusValidating {
		b.Status = batchgate.StatusInProgress
	}
	if b.InProgressAt == nil {
		b.InProgressAt = &now
	}
	b.RequestCounts = g.onDemandCounts(d, b, done)
	b.LeaseOwner, b.LeaseUntil, b.UpdatedAt = g.ReplicaID, ptr(now.Add(g.LeaseTTL)), now
	if err := g.Store.UpdateBatch(ctx, b); err != nil {
		return 0, err
	}
	// Keep the lease while requests run (they may take minutes), and see a
	// cancel that arrives meanwhile.
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(max(g.LeaseTTL/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				mu.Lock()
				g.saveOnDemandProgress(ctx, d, b, done)
				mu.Unlock()
			}
		}
	}()
	defer func() { close(stop); <-renewed }()

	converse := d.InvocationType == "Converse"
	bucket, prefix := onDemandPrefix(b)
	sem := make(chan struct{}, max(d.OnDemandConcurrency, 1))
	var wg sync.WaitGroup
	for _, r := range todo {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		// Checked once a slot is free: what the requests before this one
		// found (an error, a cancel) decides whether it starts.
		mu.Lock()
		stopping := firstErr != nil || b.Status == batchgate.StatusCancelling
		mu.Unlock()
		if stopping || ctx.Err() != nil || !g.now().Before(passEnd) {
			break
		}
		wg.Add(1)
		go func(r onDemandRecord) {
			defer wg.Done()
			defer func() { <-sem }()
			line, err := g.invokeOnDemand(ctx, d, r, converse)
			if err == nil {
				// Stored before it counts as done: a crash after the call
				// and before this write runs the request again, never loses it.
				_, err = d.Objects.Put(ctx, bucket, requestKey(prefix, r.index), bytes.NewReader(line), d.KMSKeyID)
			}
			if err == nil {
				crash.At(crash.AfterOnDemandRequest)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			done[r.index] = line
			finished++
			g.saveOnDemandProgress(ctx, d, b, done)
		}(r)
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return finished, firstErr
}

// saveOnDemandProgress stores the batch's counts so far with a renewed
// lease, and picks up a cancel stored meanwhile. Called with the batch's
// lock held.
func (g *Gateway) saveOnDemandProgress(ctx context.Context, d *Deployment, b *batchgate.Batch, done map[int][]byte) {
	now := g.now()
	b.RequestCounts = g.onDemandCounts(d, b, done)
	b.LeaseUntil, b.UpdatedAt = ptr(now.Add(g.LeaseTTL)), now
	if err := g.Store.UpdateBatch(ctx, b); err != nil {
		if ctx.Err() == nil {
			g.Log.Warn("store on-demand progress", "batch_id", b.ID, "err", err)
		}
		return
	}
	if cur, err := g.Store.FindBatchByID(ctx, b.ID); err == nil && cur.Status == batchgate.StatusCancelling {
		b.Status, b.CancellingAt = cur.Status, cur.CancellingAt
	}
}

// invokeOnDemand runs one request and returns its .out line: the model's
// answer, or the error Bedrock refused it with.
func (g *Gateway) invokeOnDemand(ctx context.Context, d *Deployment, r onDemandRecord, converse bool) ([]byte, error) {
	out := onDemandLine{RecordID: r.recordID, ModelInput: r.input}
	resp, err := d.Runtime.Invoke(ctx, d.ModelID(), converse, r.input)
	var re *bedrock.RequestError
	switch {
	case err == nil && json.Valid(resp):
		out.ModelOutput = resp
	case err == nil:
		out.Error = &onDemandError{ErrorCode: 500, ErrorMessage: "Bedrock answered with a body that is not JSON."}
	case errors.As(err, &re):
		out.Error = &onDemandError{ErrorCode: re.Status, ErrorMessage: re.Message}
	default:
		return nil, err
	}
	return json.Marshal(out)
}

// onDemandCounts are the request counts of the results so far.
func (g *Gateway) onDemandCounts(d *Deployment, b *batchgate.Batch, done map[int][]byte) batchgate.RequestCounts {
	c := batchgate.RequestCounts{Total: b.RequestCounts.Total}
	opts := d.translateOptions()
	opts.Endpoint = b.Endpoint
	for _, line := range done {
		if _, ok, _, err := translate.OutputLine(opts, line, b.Model, 0); err == nil && ok {
			c.Completed++
		} else {
			c.Failed++
		}
	}
	return c
}

// finishOnDemand puts the stored results together as the output of one job
// ({prefix}/on-demand/results.jsonl.out and manifest.json.out) and settles
// the batch through the path of a job that ended in jobStatus: the records
// without a result count as unprocessed (a cancel or an expiry). Doing it
// again after a crash writes the same objects, and the batch is billed once.
func (g *Gateway) finishOnDemand(ctx context.Context, d *Deployment, b *batchgate.Batch, records []onDemandRecord, jobStatus, message, status string) error {
	done, err := g.onDemandDone(ctx, d, b)
	if err != nil {
		return err
	}
	bucket, prefix := onDemandPrefix(b)
	idx := make([]int, 0, len(done))
	for i := range done {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var out bytes.Buffer
	m := manifest{TotalRecordCount: b.RequestCounts.Total}
	if records != nil {
		m.TotalRecordCount = int64(len(records))
	}
	opts := d.translateOptions()
	opts.Endpoint = b.Endpoint
	for _, i := range idx {
		line := done[i]
		_, ok, u, err := translate.OutputLine(opts, line, b.Model, 0)
		if err == nil && ok {
			m.SuccessRecordCount++
		} else {
			m.ErrorRecordCount++
		}
		m.InputTokenCount += u.InputTokens
		m.OutputTokenCount += u.OutputTokens
		out.Write(line)
		out.WriteByte('\n')
	}
	m.ProcessedRecordCount = m.SuccessRecordCount + m.ErrorRecordCount
	kms := d.KMSKeyID
	if out.Len() > 0 {
		if _, err := d.Objects.Put(ctx, bucket, prefix+"results.jsonl.out", &out, kms); err != nil {
			return err
		}
	}
	mb, _ := json.Marshal(m)
	if _, err := d.Objects.Put(ctx, bucket, prefix+"manifest.json.out", bytes.NewReader(mb), kms); err != nil {
		return err
	}
	b.RequestCounts.Total = m.TotalRecordCount
	b.JobARN, b.JobStatus = onDemandARN(d), jobStatus
	g.Log.InfoContext(ctx, "on-demand batch done", "batch_id", b.ID, "job_status", jobStatus,
		"succeeded", m.SuccessRecordCount, "failed", m.ErrorRecordCount, "not_run", m.TotalRecordCount-m.ProcessedRecordCount)
	return g.settle(ctx, d, b, &bedrock.Job{ARN: b.JobARN, Status: jobStatus, Message: message}, status)
}
