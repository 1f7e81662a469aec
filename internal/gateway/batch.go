package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/crash"
)

// CreateBatchRequest is the body of POST /v1/batches.
type CreateBatchRequest struct {
	InputFileID      string            `json:"input_file_id"`
	Endpoint         string            `json:"endpoint"`
	CompletionWindow string            `json:"completion_window"`
	Metadata         map[string]string `json:"metadata"`
	// Model is what LiteLLM clients send (its router picks a deployment
	// by it). The input file already names its deployment: model must name
	// the same one.
	Model string `json:"model"`
	// OutputExpiresAfter is OpenAI's expiration policy for the batch's
	// output and error files: anchor created_at (theirs), 1 hour to 30 days.
	OutputExpiresAfter *ExpiresAfter `json:"output_expires_after"`
}

// ExpiresAfter is OpenAI's {anchor, seconds} expiration policy.
type ExpiresAfter struct {
	Anchor  string `json:"anchor"`
	Seconds int64  `json:"seconds"`
}

// duration checks the policy, naming param's fields in errors.
func (e *ExpiresAfter) duration(param string) (time.Duration, error) {
	if e.Anchor != "created_at" {
		return 0, &batchgate.Error{Code: batchgate.EINVALID, Param: param + ".anchor", Message: param + `.anchor must be "created_at"`}
	}
	d := time.Duration(e.Seconds) * time.Second
	if d < MinFileExpiry || d > MaxFileExpiry {
		return 0, &batchgate.Error{Code: batchgate.EINVALID, Param: param + ".seconds",
			Message: fmt.Sprintf("%s.seconds must be between %d and %d", param, int64(MinFileExpiry/time.Second), int64(MaxFileExpiry/time.Second))}
	}
	return d, nil
}

var windowRE = regexp.MustCompile(`^([0-9]+)h$`)

// completionHours turns completion_window into Bedrock's timeoutDurationInHours (24..168).
func completionHours(w string) (int32, error) {
	m := windowRE.FindStringSubmatch(w)
	if m == nil {
		return 0, &batchgate.Error{Code: batchgate.EINVALID, Param: "completion_window", Message: fmt.Sprintf("completion_window %q must be a number of hours such as \"24h\"", w)}
	}
	h, _ := strconv.Atoi(m[1])
	if h < 24 || h > 168 {
		return 0, &batchgate.Error{Code: batchgate.EINVALID, Param: "completion_window", Message: fmt.Sprintf("completion_window %q must be between 24h and 168h (Bedrock's job timeout range)", w)}
	}
	return int32(h), nil
}

// CreateBatch checks the request, records the batch with the idempotency
// token of its future job, then submits the job. The batch is stored before
// Bedrock is called, so a crash in between is finished by the reconciler
// with the same token: never a second job, never a lost one.
func (g *Gateway) CreateBatch(ctx context.Context, c Caller, req CreateBatchRequest) (*batchgate.Batch, error) {
	if req.InputFileID == "" {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "input_file_id", Message: "input_file_id is required"}
	}
	if err := g.checkRate(ctx, c); err != nil {
		return nil, err
	}
	if req.CompletionWindow == "" {
		req.CompletionWindow = "24h"
	}
	hours, err := completionHours(req.CompletionWindow)
	if err != nil {
		return nil, err
	}
	if len(req.Metadata) > 16 {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "metadata", Message: "metadata has at most 16 keys"}
	}
	var outputExpiry time.Duration
	if req.OutputExpiresAfter != nil {
		if outputExpiry, err = req.OutputExpiresAfter.duration("output_expires_after"); err != nil {
			return nil, err
		}
	}
	f, err := g.FindFile(ctx, c, req.InputFileID)
	if err != nil {
		if batchgate.IsNotFound(err) {
			err.(*batchgate.Error).Param = "input_file_id"
		}
		return nil, err
	}
	if f.Kind != batchgate.FileInput {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "input_file_id", Message: fmt.Sprintf("file %s is not a batch input file", f.ID)}
	}
	if req.Endpoint == "" {
		req.Endpoint = f.Endpoint
	}
	if normalizeEndpoint(req.Endpoint) != normalizeEndpoint(f.Endpoint) {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "endpoint", Message: fmt.Sprintf("endpoint %q does not match the url %q of the file's requests", req.Endpoint, f.Endpoint)}
	}
	d := g.deployment(f.Model)
	if d == nil {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "input_file_id", Message: fmt.Sprintf("the file's model %q is no longer configured", f.Model)}
	}
	if !c.AllowsModel(d.Name()) {
		return nil, &batchgate.Error{Code: batchgate.EFORBIDDEN, Param: "model", Message: fmt.Sprintf("This key is not allowed to use model %q.", d.Name())}
	}
	if m := strings.TrimSpace(req.Model); m != "" && !d.Names(m) {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "model", Message: fmt.Sprintf(
			"model %q does not match the input file's model %q (deployment %q): the file was prepared for that model. Leave model out, or upload the file with target_model_names=%s.",
			m, d.Name(), d.Model, m)}
	}
	onDemand := runsOnDemand(d, f) // below the minimum, with batch_below_minimum: on_demand
	if min := d.Quotas.MinRecords; f.Records < min && !onDemand {
		return nil, &batchgate.Error{Code: batchgate.EINVALID, Param: "input_file_id", Message: fmt.Sprintf(
			"The file has %d requests; Bedrock batch inference for %s needs at least %d per job. Add requests, or use the real-time API for small workloads.", f.Records, d.Name(), min)}
	}

	var mode string
	if onDemand {
		mode = batchgate.ModeOnDemand
	}
	reserve := priceOf(d, mode).Of(batchgate.Usage{InputTokens: f.EstimatedInputTokens, OutputTokens: f.MaxOutputTokens})
	release, err := g.holdBudgets(ctx, c, reserve)
	if err != nil {
		return nil, err
	}
	defer release()

	now := g.now()
	b := &batchgate.Batch{
		ID: NewID("batch_"), Endpoint: f.Endpoint, InputFileID: f.ID, CompletionWindow: req.CompletionWindow,
		Metadata: req.Metadata, Owner: c.Owner, Model: d.Name(), ModelID: d.ModelID(), Mode: mode,
		Status: batchgate.StatusValidating, CreatedAt: now, UpdatedAt: now,
		ExpiresAt:          ptr(now.Add(time.Duration(hours) * time.Hour)),
		RequestCounts:      batchgate.RequestCounts{Total: int64(f.Records)},
		Reserved:           reserve,
		OutputExpiresAfter: int64(outputExpiry / time.Second),
	}
	b.ClientToken = strings.ReplaceAll(b.ID, "_", "-")
	b.JobName = "batchgate-" + strings.TrimPrefix(b.ID, "batch_")
	b.OutputPrefix = d.outputURI(b.ID)
	b.Deployment = d.ID // the group's first, until the job is placed (submitOn)
	// This replica submits the job: the lease keeps other replicas' reconcilers
	// away meanwhile, the in-flight mark this one's.
	b.LeaseOwner, b.LeaseUntil = g.ReplicaID, ptr(now.Add(g.LeaseTTL))
	g.setInflight(b.ID, true)
	defer g.setInflight(b.ID, false)
	if !onDemand { // an on-demand batch runs every part's records itself
		if err := g.saveJobs(ctx, b, f); err != nil { // a split file's jobs, stored before the batch
			return nil, err
		}
	}
	if err := g.Store.CreateBatch(ctx, b); err != nil {
		return nil, err
	}
	release() // the reservation is stored: later checks count it
	crash.At(crash.AfterCreateIntent)
	if onDemand {
		return b, nil // the reconciler runs its requests (ondemand.go)
	}
	if err := g.submit(ctx, d, b, f, hours); err != nil && !isQueued(err) {
		return nil, err
	}
	return b, nil
}

func normalizeEndpoint(e string) string {
	return "/" + strings.TrimPrefix(strings.TrimPrefix(e, "/"), "v1/")
}

// submit calls CreateModelInvocationJob for a stored batch. A refusal by
// Bedrock fails the batch and is returned; a full quota or a transient error
// leaves the batch validating for the reconciler to submit again.
func (g *Gateway) submit(ctx context.Context, d *Deployment, b *batchgate.Batch, f *batchgate.File, hours int32) error {
	if jobs, err := g.Store.FindBatchJobs(ctx, b.ID); err != nil {
		return err
	} else if len(jobs) > 1 {
		return g.submitJobs(ctx, d, b, f, hours, jobs)
	}
	grouped := len(g.Group(d.Name())) > 1
	cur := g.deploymentOf(d, b.Deployment)
	cands, skipped, err := g.candidates(ctx, d, cur.ID)
	if err != nil {
		return &queuedError{err}
	}
	if len(cands) == 0 {
		return &queuedError{errQueued(d)}
	}
	if grouped && cands[0].ID != cur.ID {
		// The batch leaves the deployment it was placed on: an earlier
		// create there may have made a job whose answer was lost.
		arn, err := g.placedJob(ctx, cur, b.JobName, b.ClientToken)
		if err != nil {
			return &queuedError{err}
		}
		if arn != "" {
			b.JobARN, b.JobStatus, b.UpdatedAt = arn, "Submitted", g.now()
			return g.Store.UpdateBatch(context.WithoutCancel(ctx), b)
		}
	}
	var refusal error // the last permanent refusal of a deployment of the group
	for _, c := range cands {
		done, err := g.submitOn(ctx, c, b, f, hours)
		switch {
		case done:
			return err
		case !grouped:
			return g.submitFailed(ctx, b, err)
		case bedrock.Permanent(err):
			refusal = err
			g.setAside(c, err)
		case bedrock.QuotaFull(err):
			skipped = true // full now: no backoff of its own
		case unreachable(err):
			skipped = true
			g.setAside(c, err) // the create never reached it: the others carry on
		default:
			// A server error or timeout may hide a job that was created:
			// the batch stays placed here, retried with the same token.
			return g.submitFailed(ctx, b, err)
		}
	}
	if refusal != nil && !skipped {
		return g.submitFailed(ctx, b, refusal) // every deployment refused it
	}
	return &queuedError{errQueued(d)}
}

// submitOn places the batch's job on deployment d of its group: the input
// is copied to d's bucket when needed, and the placement stored before
// Bedrock is called. done says the job was created (err: storing it) or
// the slot was taken meanwhile; otherwise err is Bedrock's (or S3's) answer.
func (g *Gateway) submitOn(ctx context.Context, d *Deployment, b *batchgate.Batch, f *batchgate.File, hours int32) (done bool, err error) {
	defer g.submitLock(d)() // held until the job is stored
	if slots, err := g.jobSlots(ctx, d); err != nil || slots < 1 {
		if err == nil {
			err = errQueued(d)
		}
		return true, &queuedError{err}
	}
	if err := g.stageInput(ctx, f, f.Key, d); err != nil {
		return false, err
	}
	if err := g.placeBatch(ctx, b, d); err != nil {
		return true, err
	}
	spec := bedrock.JobSpec{
		Name: b.JobName, ClientToken: b.ClientToken, RoleARN: d.RoleARN, ModelID: d.ModelID(),
		InputURI: "s3://" + d.InputBucket + "/" + g.stagedKey(f, f.Key, d), OutputURI: b.OutputPrefix, KMSKeyID: d.KMSKeyID,
		TimeoutHours: hours, InvocationType: d.InvocationType,
		Tags: map[string]string{"batchgate-batch-id": b.ID},
	}
	arn, err := d.Jobs.Create(ctx, spec)
	if err != nil {
		arn, err = g.adoptJob(ctx, d, b.ID, spec, err)
	}
	if err != nil {
		return false, err
	}
	crash.At(crash.AfterAWSCreate)
	g.clearAside(d)
	b.JobARN, b.JobStatus = arn, "Submitted"
	g.Log.InfoContext(ctx, "bedrock job created", "batch_id", b.ID, "job_arn", arn, "model_id", d.ModelID(), "deployment", d.ID, "region", d.Region)
	b.UpdatedAt = g.now()
	return true, g.Store.UpdateBatch(context.WithoutCancel(ctx), b)
}

// submitFailed handles Bedrock's answer to a job create that did not go
// through: a refusal fails the batch and is returned; a full quota or a
// transient error leaves it queued.
func (g *Gateway) submitFailed(ctx context.Context, b *batchgate.Batch, err error) error {
	switch {
	case isQueued(err):
		return err
	case bedrock.Permanent(err):
		err = g.refused(ctx, b, err) // AWS's message may name the role, account or bucket: log it, not show it
		g.fail(b, batchgate.ErrorMessage(err))
		if uerr := g.Store.UpdateBatch(context.WithoutCancel(ctx), b); uerr != nil {
			return uerr
		}
		return err
	default:
		// Queued: the quota is full or Bedrock is unavailable; the reconciler retries with the same token.
		g.Log.WarnContext(ctx, "bedrock job not created yet", "batch_id", b.ID, "err", err)
		return &queuedError{err}
	}
}

func (g *Gateway) fail(b *batchgate.Batch, msg string) {
	now := g.now()
	b.Status, b.Message, b.FailedAt, b.UpdatedAt = batchgate.StatusFailed, msg, &now, now
}

// FindBatch returns a batch the caller may see. Reads never call Bedrock:
// the reconciler keeps batches current, so no read races it.
func (g *Gateway) FindBatch(ctx context.Context, c Caller, id string) (*batchgate.Batch, error) {
	b, err := g.Store.FindBatchByID(ctx, id)
	if batchgate.IsNotFound(err) || (err == nil && !c.Scope.Allows(b.Owner)) {
		return nil, notFound("batch", id)
	}
	return b, err
}

// FindBatches lists the caller's batches, newest first.
func (g *Gateway) FindBatches(ctx context.Context, c Caller, page batchgate.Page) ([]*batchgate.Batch, error) {
	return g.Store.FindBatches(ctx, batchgate.BatchFilter{Scope: c.Scope, Page: page})
}

// CancelBatch stops the batch's job. Cancelling a finished batch is an error,
// as on OpenAI; cancelling twice is not.
func (g *Gateway) CancelBatch(ctx context.Context, c Caller, id string) (*batchgate.Batch, error) {
	b, err := g.FindBatch(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if batchgate.Terminal(b.Status) {
		return nil, &batchgate.Error{Code: batchgate.ECONFLICT, Message: fmt.Sprintf("Cannot cancel a batch with status %s.", b.Status)}
	}
	if b.Status == batchgate.StatusCancelling {
		return b, nil
	}
	// b may be stale (the reconciler works the batch meanwhile): only the
	// status and the cancel time are written, so the lease, counts and job
	// the reconciler stored since stay, and the store refuses the write once
	// the batch has ended. The batch is read back for the job to stop; one
	// that has no job yet is cancelled by the replica that holds its lease,
	// which is the one that would submit it.
	now := g.now()
	if err := g.Store.MarkCancelling(ctx, id, now); err != nil {
		if batchgate.ErrorCode(err) == batchgate.ECONFLICT {
			if cur, ferr := g.Store.FindBatchByID(ctx, id); ferr == nil {
				return nil, &batchgate.Error{Code: batchgate.ECONFLICT, Message: fmt.Sprintf("Cannot cancel a batch with status %s.", cur.Status)}
			}
		}
		return nil, err
	}
	if cur, err := g.Store.FindBatchByID(ctx, id); err == nil {
		b = cur
	} else {
		b.Status, b.CancellingAt, b.UpdatedAt = batchgate.StatusCancelling, &now, now
	}
	if b.JobARN == "" {
		return b, nil
	}
	d := g.deployment(b.Model)
	if d == nil {
		return b, nil
	}
	d = g.deploymentOf(d, b.Deployment)
	if err := d.Jobs.Stop(ctx, b.JobARN); err != nil && !batchgate.IsNotFound(err) {
		// Stored as cancelling: the reconciler stops the job when Bedrock answers again.
		g.Log.WarnContext(ctx, "stop bedrock job", "batch_id", b.ID, "err", err)
	}
	return b, nil
}

// Refresh brings a running batch up to date with its Bedrock job, submitting
// the job first if that has not happened yet, and settles it when it ends.
func (g *Gateway) Refresh(ctx context.Context, b *batchgate.Batch) error {
	d := g.deployment(b.Model)
	if d == nil {
		return fmt.Errorf("batch %s: model %q is no longer configured", b.ID, b.Model)
	}
	if b.Mode == batchgate.ModeOnDemand {
		return g.refreshOnDemand(ctx, d, b)
	}
	if jobs, err := g.Store.FindBatchJobs(ctx, b.ID); err != nil {
		return err
	} else if len(jobs) > 1 {
		return g.refreshJobs(ctx, g.deploymentOf(d, b.Deployment), b, jobs)
	}
	if b.JobARN == "" {
		if b.Status == batchgate.StatusCancelling {
			// Nothing to stop: it settles like a stopped job, every
			// request failed with batch_cancelled.
			return g.settle(ctx, d, b, &bedrock.Job{Status: "Stopped"}, batchgate.StatusCancelled)
		}
		if g.queueExpired(b) {
			return g.expireQueued(ctx, d, b)
		}
		f, err := g.Store.FindFileByID(ctx, b.InputFileID)
		if batchgate.IsNotFound(err) {
			g.fail(b, errInputDeleted)
			return g.Store.UpdateBatch(ctx, b)
		} else if err != nil {
			return err // a transient store error: the reconciler retries
		}
		hours, _ := completionHours(b.CompletionWindow)
		err = g.submit(ctx, d, b, f, hours)
		if bedrock.Permanent(err) {
			return nil // the batch is failed and stored
		}
		return err
	}
	d = g.deploymentOf(d, b.Deployment) // where the job runs
	job, err := d.Jobs.Get(ctx, b.JobARN)
	if g.jobLost(b.JobARN, err) {
		g.Log.ErrorContext(ctx, "bedrock job not found: the batch ends", "batch_id", b.ID, "job_arn", b.JobARN, "grace", g.jobNotFoundGrace().String(), "err", err)
		if b.Status == batchgate.StatusCancelling {
			return g.settle(ctx, d, b, &bedrock.Job{ARN: b.JobARN, Status: "Stopped"}, batchgate.StatusCancelled)
		}
		return g.settle(ctx, d, b, &bedrock.Job{ARN: b.JobARN, Status: "Failed", Message: g.lostJobMessage(b.JobARN)}, batchgate.StatusFailed)
	}
	if err != nil {
		return err
	}
	if b.Status == batchgate.StatusCancelling && !bedrock.Terminal(job.Status) && job.Status != "Stopping" {
		if err := d.Jobs.Stop(ctx, b.JobARN); err != nil {
			g.Log.WarnContext(ctx, "stop bedrock job", "batch_id", b.ID, "err", err)
		}
	}
	now := g.now()
	b.JobStatus, b.UpdatedAt = job.Status, now
	if job.Total > 0 {
		b.RequestCounts = batchgate.RequestCounts{Total: job.Total, Completed: job.Success, Failed: job.Errors}
	}
	status := bedrock.OpenAIStatus(job.Status)
	if b.Status == batchgate.StatusCancelling && !batchgate.Terminal(status) {
		status = batchgate.StatusCancelling // stay cancelling until the job stops
	}
	if status == batchgate.StatusInProgress && b.InProgressAt == nil {
		b.InProgressAt = &now
	}
	if !bedrock.Terminal(job.Status) {
		b.Status = status
		return g.Store.UpdateBatch(ctx, b)
	}
	return g.settle(ctx, d, b, job, status)
}

// settle records a finished job: counts and tokens from the manifest, the
// output and error files, the cost (billed once), and the final status.
func (g *Gateway) settle(ctx context.Context, d *Deployment, b *batchgate.Batch, job *bedrock.Job, status string) error {
	now := g.now()
	if b.FinalizingAt == nil && status != batchgate.StatusCancelled {
		// A cancel goes from cancelling to cancelled, as on OpenAI: a
		// finalizing_at would read as a step before the cancel.
		b.FinalizingAt = &now
	}
	m, err := g.manifest(ctx, d, b)
	if err != nil && !batchgate.IsNotFound(err) {
		return err
	}
	if m != nil {
		b.RequestCounts = batchgate.RequestCounts{Total: m.TotalRecordCount, Completed: m.SuccessRecordCount, Failed: m.ErrorRecordCount}
		b.Usage = batchgate.Usage{InputTokens: m.InputTokenCount, OutputTokens: m.OutputTokenCount}
	}
	// PartiallyCompleted, Stopped and Expired jobs (and jobs never
	// submitted) leave records unprocessed: they count as failed, and the
	// error file has a line for each (writeUnprocessed), so request_counts
	// and the error file agree.
	unprocessed := b.RequestCounts.Total - b.RequestCounts.Completed - b.RequestCounts.Failed
	if unprocessed > 0 && countsUnprocessed(status, m != nil) {
		b.RequestCounts.Failed += unprocessed
	} else {
		unprocessed = 0
	}
	if m != nil || unprocessed > 0 {
		// The lines are stamped with the time of completion, as OpenAI's are.
		created := b.CreatedAt
		if status == batchgate.StatusCompleted {
			created = now
		}
		if err := g.createResultFiles(ctx, d, b, status, created); err != nil {
			return err
		}
	}
	price := priceOf(d, b.Mode) // on-demand prices for a batch run on demand
	b.Cost, b.Reserved = price.Of(b.Usage), 0
	if _, err := g.Store.RecordSpend(ctx, &batchgate.SpendLog{
		BatchID: b.ID, Owner: b.Owner, Model: b.Model, ModelID: b.ModelID, Usage: b.Usage, Cost: b.Cost, CreatedAt: now,
		InputCostPerToken: price.Input, OutputCostPerToken: price.Output, PriceSource: price.Source, Mode: b.Mode,
	}); err != nil {
		return fmt.Errorf("bill batch %s: %w", b.ID, err)
	}
	b.Status = status
	switch status {
	case batchgate.StatusCompleted:
		b.CompletedAt = &now
	case batchgate.StatusFailed:
		b.FailedAt = &now
		b.Message = job.Message
		if b.Message == "" {
			b.Message = "The Bedrock job failed."
		}
	case batchgate.StatusCancelled:
		b.CancelledAt = &now
	case batchgate.StatusExpired:
		b.ExpiredAt = &now
	}
	g.Log.Info("batch settled", "batch_id", b.ID, "status", b.Status, "job_status", job.Status,
		"completed", b.RequestCounts.Completed, "failed", b.RequestCounts.Failed,
		"input_tokens", b.Usage.InputTokens, "output_tokens", b.Usage.OutputTokens, "cost", b.Cost, "price_source", price.Source)
	crash.At(crash.BeforeSettleCommit)
	return g.Store.UpdateBatch(ctx, b)
}

// manifest is Bedrock's manifest.json.out (spec §2.5).
type manifest struct {
	TotalRecordCount     int64 `json:"totalRecordCount"`
	ProcessedRecordCount int64 `json:"processedRecordCount"`
	SuccessRecordCount   int64 `json:"successRecordCount"`
	ErrorRecordCount     int64 `json:"errorRecordCount"`
	InputTokenCount      int64 `json:"inputTokenCount"`
	OutputTokenCount     int64 `json:"outputTokenCount"`
}

// jobPrefixOf is where Bedrock writes the output of the batch's job arn:
// {outputUri}/{jobId}/.
func jobPrefixOf(b *batchgate.Batch, arn string) (bucket, prefix string) {
	rest := strings.TrimPrefix(b.OutputPrefix, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, strings.TrimSuffix(prefix, "/") + "/" + bedrock.JobID(arn) + "/"
}

// manifest returns the batch's manifest; for a batch split over several
// jobs, their manifests (or counts, for a job that wrote none) summed.
func (g *Gateway) manifest(ctx context.Context, d *Deployment, b *batchgate.Batch) (*manifest, error) {
	if jobs, err := g.Store.FindBatchJobs(ctx, b.ID); err != nil {
		return nil, err
	} else if len(jobs) > 1 {
		return g.mergedManifest(ctx, d, b, jobs)
	}
	if b.JobARN == "" { // never submitted (expired in the queue): no output
		return nil, nil
	}
	return g.jobCounts(ctx, d, b, b.JobARN, b.RequestCounts.Total)
}

func (g *Gateway) jobManifest(ctx context.Context, d *Deployment, b *batchgate.Batch, arn string) (*manifest, error) {
	bucket, prefix := jobPrefixOf(b, arn)
	rc, err := d.Objects.Get(ctx, bucket, prefix+"manifest.json.out")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var m manifest
	if err := json.NewDecoder(bufio.NewReader(rc)).Decode(&m); err != nil {
		return nil, fmt.Errorf("read manifest of %s: %w", b.ID, err)
	}
	return &m, nil
}

// outputObjects lists the job's .out files, the manifest excepted.
// For a batch split over several jobs, the .out files of every job, in job order.
func (g *Gateway) outputObjects(ctx context.Context, d *Deployment, b *batchgate.Batch) ([]batchgate.Object, error) {
	arns := []string{b.JobARN}
	if jobs, err := g.Store.FindBatchJobs(ctx, b.ID); err != nil {
		return nil, err
	} else if len(jobs) > 1 {
		arns = arns[:0]
		for _, j := range jobs {
			if j.JobARN != "" {
				arns = append(arns, j.JobARN)
			}
		}
	}
	var out []batchgate.Object
	for _, arn := range arns {
		if arn == "" { // never submitted: no output
			continue
		}
		objs, err := g.jobOutputObjects(ctx, d, b, arn)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// jobOutputObjects lists the .out files of the batch's job arn, the manifest excepted.
func (g *Gateway) jobOutputObjects(ctx context.Context, d *Deployment, b *batchgate.Batch, arn string) ([]batchgate.Object, error) {
	bucket, prefix := jobPrefixOf(b, arn)
	keys, err := d.Objects.List(ctx, bucket, prefix)
	if err != nil {
		return nil, err
	}
	var out []batchgate.Object
	for _, k := range keys {
		if strings.HasSuffix(k.Key, ".out") && path.Base(k.Key) != "manifest.json.out" {
			out = append(out, k)
		}
	}
	return out, nil
}
