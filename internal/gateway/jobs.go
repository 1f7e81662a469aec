package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/crash"
)

// queuedError says a job could not be created yet (the concurrent-job
// quota is full, or Bedrock throttled or failed): the batch stays
// validating and the reconciler submits it later with the same token.
type queuedError struct{ err error }

func (q *queuedError) Error() string { return "job queued: " + q.err.Error() }
func (q *queuedError) Unwrap() error { return q.err }

func isQueued(err error) bool {
	var q *queuedError
	return errors.As(err, &q)
}

// saveJobs stores one job per part of a split input file, each with its
// idempotency token, before the batch itself: a batch is never visible
// without its jobs. Job 0 has the batch's own token and name.
func (g *Gateway) saveJobs(ctx context.Context, b *batchgate.Batch, f *batchgate.File) error {
	parts, err := g.Store.FindFileParts(ctx, f.ID)
	if err != nil || len(parts) < 2 {
		return err
	}
	jobs := make([]batchgate.BatchJob, len(parts))
	for i, p := range parts {
		jobs[i] = batchgate.BatchJob{Index: i, InputKey: p.Key, Records: p.Records, ClientToken: b.ClientToken, JobName: b.JobName}
		if i > 0 {
			jobs[i].ClientToken = fmt.Sprintf("%s-%d", b.ClientToken, i)
			jobs[i].JobName = fmt.Sprintf("%s-%d", b.JobName, i)
		}
	}
	return g.Store.SaveBatchJobs(ctx, b.ID, jobs)
}

// submitJobs creates the jobs of a split batch that Bedrock does not have
// yet, in order, while the concurrent-job quota has room. Each created job
// is stored at once; the batch mirrors job 0. A refusal by Bedrock fails the
// batch (and stops its other jobs), unless no job exists yet and another
// deployment of the model group may take it (placeJobs).
func (g *Gateway) submitJobs(ctx context.Context, d *Deployment, b *batchgate.Batch, f *batchgate.File, hours int32, jobs []batchgate.BatchJob) error {
	d, err := g.placeJobs(ctx, d, b, f, jobs)
	if err != nil {
		return err
	}
	defer g.submitLock(d)() // held until the created jobs are stored
	slots, err := g.jobSlots(ctx, d)
	if err != nil {
		return &queuedError{err}
	}
	var pending error
	for i := range jobs {
		j := &jobs[i]
		if j.JobARN != "" {
			continue
		}
		if slots < 1 {
			pending = errQueued(d)
			break
		}
		spec := bedrock.JobSpec{
			Name: j.JobName, ClientToken: j.ClientToken, RoleARN: d.RoleARN, ModelID: d.ModelID(),
			InputURI: "s3://" + d.InputBucket + "/" + g.stagedKey(f, j.InputKey, d), OutputURI: b.OutputPrefix, KMSKeyID: d.KMSKeyID,
			TimeoutHours: hours, InvocationType: d.InvocationType,
			Tags: map[string]string{"batchgate-batch-id": b.ID, "batchgate-job-index": fmt.Sprint(i)},
		}
		arn, err := d.Jobs.Create(ctx, spec)
		if err != nil {
			arn, err = g.adoptJob(ctx, d, b.ID, spec, err)
		}
		if bedrock.Permanent(err) && !started(jobs) && g.otherDeploymentFree(d) {
			// Nothing runs yet: the next pass places the batch on another
			// deployment of the group.
			g.setAside(d, err)
			return &queuedError{err}
		}
		if bedrock.Permanent(err) {
			err = g.refused(ctx, b, err) // AWS's message may name the role, account or bucket: log it, not show it
			g.fail(b, fmt.Sprintf("job %d of %d: %s", i+1, len(jobs), batchgate.ErrorMessage(err)))
			for _, o := range jobs {
				if o.JobARN != "" {
					if serr := d.Jobs.Stop(ctx, o.JobARN); serr != nil {
						g.Log.Warn("stop bedrock job", "batch_id", b.ID, "job_arn", o.JobARN, "err", serr)
					}
				}
			}
			if uerr := g.Store.UpdateBatch(context.WithoutCancel(ctx), b); uerr != nil {
				return uerr
			}
			return err
		}
		if err != nil {
			pending = err
			break
		}
		crash.At(crash.AfterAWSCreate)
		g.clearAside(d)
		now := g.now()
		j.JobARN, j.JobStatus, j.SubmittedAt = arn, "Submitted", &now
		slots--
		if err := g.Store.SaveBatchJobs(context.WithoutCancel(ctx), b.ID, []batchgate.BatchJob{*j}); err != nil {
			return err
		}
		g.Log.Info("bedrock job created", "batch_id", b.ID, "job", i, "jobs", len(jobs), "job_arn", arn, "model_id", d.ModelID())
	}
	if jobs[0].JobARN != "" && b.JobARN == "" {
		b.JobARN, b.JobStatus, b.UpdatedAt = jobs[0].JobARN, jobs[0].JobStatus, g.now()
		if err := g.Store.UpdateBatch(context.WithoutCancel(ctx), b); err != nil {
			return err
		}
	}
	if pending != nil {
		g.Log.Warn("bedrock jobs not all created yet", "batch_id", b.ID, "err", pending)
		return &queuedError{pending}
	}
	return nil
}

// placeJobs returns the deployment a split batch's jobs run on. They all
// run on one deployment of the model group, so that their outputs merge
// under the batch's one output prefix. The batch is placed on the
// deployment with the most free job slots, its parts copied inside S3 to
// that deployment's bucket when needed, and the placement stored before
// any job is created. Once placed it stays there (a create that failed
// may still have made a job, found again by its token) unless that
// deployment refused it and was set aside: then no job can exist, and the
// batch is placed again.
func (g *Gateway) placeJobs(ctx context.Context, d *Deployment, b *batchgate.Batch, f *batchgate.File, jobs []batchgate.BatchJob) (*Deployment, error) {
	grp := g.Group(d.Name())
	if len(grp) < 2 {
		return d, nil
	}
	primary := grp[0]
	if started(jobs) {
		return g.deploymentOf(primary, b.Deployment), nil
	}
	if placed := jobs[0].Deployment; placed != "" {
		if p := g.deploymentOf(primary, placed); p.ID == placed {
			if g.asideUntil(p).IsZero() {
				return p, g.placeBatch(ctx, b, p)
			}
			// Set aside: the batch moves, unless a lost create left job 0
			// there (jobs are created in order): then it stays, and the
			// create with the same token finds that job.
			arn, err := g.placedJob(ctx, p, jobs[0].JobName, jobs[0].ClientToken)
			if err != nil {
				return nil, &queuedError{err}
			}
			if arn != "" {
				return p, g.placeBatch(ctx, b, p)
			}
		}
	}
	cands, _, err := g.candidates(ctx, primary, b.Deployment)
	if err != nil {
		return nil, &queuedError{err}
	}
	if len(cands) == 0 {
		return nil, &queuedError{errQueued(primary)}
	}
	c := cands[0]
	for _, j := range jobs {
		if err := g.stageInput(ctx, f, j.InputKey, c); err != nil {
			return nil, &queuedError{err}
		}
	}
	// The batch's row first: the jobs' rows say the placement is done (a
	// crash between the two places the batch again, before any job).
	if err := g.placeBatch(ctx, b, c); err != nil {
		return nil, err
	}
	var moved []batchgate.BatchJob
	for i := range jobs {
		if jobs[i].Deployment != c.ID {
			jobs[i].Deployment = c.ID
			moved = append(moved, jobs[i])
		}
	}
	if len(moved) > 0 {
		if err := g.Store.SaveBatchJobs(context.WithoutCancel(ctx), b.ID, moved); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// placeBatch stores that batch b's jobs run on d, with d's output prefix.
func (g *Gateway) placeBatch(ctx context.Context, b *batchgate.Batch, d *Deployment) error {
	if prefix := d.outputURI(b.ID); b.Deployment != d.ID || b.OutputPrefix != prefix {
		b.Deployment, b.OutputPrefix, b.UpdatedAt = d.ID, prefix, g.now()
		return g.Store.UpdateBatch(context.WithoutCancel(ctx), b)
	}
	return nil
}

// started reports whether any job of a split batch has been created.
func started(jobs []batchgate.BatchJob) bool {
	for _, j := range jobs {
		if j.JobARN != "" {
			return true
		}
	}
	return false
}

// otherDeploymentFree reports whether d's model group has another
// deployment that is not set aside.
func (g *Gateway) otherDeploymentFree(d *Deployment) bool {
	for _, o := range g.Group(d.Name()) {
		if o.ID != d.ID && g.asideUntil(o).IsZero() {
			return true
		}
	}
	return false
}

// refreshJobs is Refresh for a batch split over several jobs: it submits
// the jobs not created yet, reads the others, and settles the batch once
// every job has ended, with their counts, tokens and outputs merged.
func (g *Gateway) refreshJobs(ctx context.Context, d *Deployment, b *batchgate.Batch, jobs []batchgate.BatchJob) error {
	cancelling := b.Status == batchgate.StatusCancelling
	var (
		submitErr error
		changed   []batchgate.BatchJob
	)
	created, pending := 0, 0
	for _, j := range jobs {
		if j.JobARN != "" {
			created++
		} else if !bedrock.Terminal(j.JobStatus) {
			pending++
		}
	}
	// endPending ends the jobs that can no longer be submitted: they count
	// as ended (their records failed), so the batch settles when the jobs
	// that run end, rather than waiting for ever.
	endPending := func(status, msg string) {
		for i := range jobs {
			if j := &jobs[i]; j.JobARN == "" && !bedrock.Terminal(j.JobStatus) {
				j.JobStatus, j.Message = status, msg
				changed = append(changed, *j)
			}
		}
	}
	if pending > 0 && !cancelling {
		if g.queueExpired(b) {
			endPending("Expired", errQueueExpired)
		} else {
			f, err := g.Store.FindFileByID(ctx, b.InputFileID)
			switch {
			case batchgate.IsNotFound(err) && created == 0:
				g.fail(b, errInputDeleted)
				return g.Store.UpdateBatch(ctx, b)
			case batchgate.IsNotFound(err):
				endPending("Failed", errInputDeleted)
			case err != nil:
				return err // a transient store error: the reconciler retries
			default:
				hours, _ := completionHours(b.CompletionWindow)
				submitErr = g.submitJobs(ctx, d, b, f, hours, jobs)
				if bedrock.Permanent(submitErr) {
					return nil // the batch is failed and stored
				}
				d = g.deploymentOf(g.Group(d.Name())[0], b.Deployment) // placeJobs may have moved it
			}
		}
	}
	now := g.now()
	var (
		counts batchgate.RequestCounts
		ended  = 0
		anyRun = false
		stale  error
	)
	for i := range jobs {
		j := &jobs[i]
		if j.JobARN == "" {
			if cancelling && !bedrock.Terminal(j.JobStatus) {
				j.JobStatus = "Stopped" // never reached Bedrock: nothing to stop
				changed = append(changed, *j)
			}
			if bedrock.Terminal(j.JobStatus) { // stopped, or ended unsubmitted (endPending)
				ended++
			}
			continue
		}
		if !bedrock.Terminal(j.JobStatus) {
			job, err := d.Jobs.Get(ctx, j.JobARN)
			if g.jobLost(j.JobARN, err) {
				// Bedrock no longer knows it: it ends, its records failed
				// (or stopped, in a cancel).
				g.Log.ErrorContext(ctx, "bedrock job not found: the job ends", "batch_id", b.ID, "job_arn", j.JobARN, "err", err)
				job, err = &bedrock.Job{Status: "Failed", Message: g.lostJobMessage(j.JobARN)}, nil
				if cancelling {
					job.Status = "Stopped"
				}
			}
			if batchgate.IsNotFound(err) {
				// Within the grace period: the other jobs are read on, so
				// that each one's period starts now.
				stale = err
				continue
			}
			if err != nil {
				stale = err
				break
			}
			if cancelling && !bedrock.Terminal(job.Status) && job.Status != "Stopping" {
				if err := d.Jobs.Stop(ctx, j.JobARN); err != nil {
					g.Log.Warn("stop bedrock job", "batch_id", b.ID, "job_arn", j.JobARN, "err", err)
				}
			}
			if job.Status != j.JobStatus || job.Total != j.RequestCounts.Total || job.Success != j.RequestCounts.Completed || job.Errors != j.RequestCounts.Failed {
				j.JobStatus, j.Message = job.Status, job.Message
				if job.Total > 0 {
					j.RequestCounts = batchgate.RequestCounts{Total: job.Total, Completed: job.Success, Failed: job.Errors}
				}
				changed = append(changed, *j)
			}
		}
		if bedrock.Terminal(j.JobStatus) {
			ended++
		}
		if st := bedrock.OpenAIStatus(j.JobStatus); st != batchgate.StatusValidating {
			anyRun = true
		}
	}
	if len(changed) > 0 {
		if err := g.Store.SaveBatchJobs(ctx, b.ID, changed); err != nil {
			return err
		}
	}
	if stale != nil {
		return stale
	}
	for _, j := range jobs {
		counts.Completed += j.RequestCounts.Completed
		counts.Failed += j.RequestCounts.Failed
	}
	counts.Total = b.RequestCounts.Total
	b.RequestCounts, b.UpdatedAt = counts, now
	b.JobStatus = jobs[0].JobStatus
	if ended < len(jobs) {
		switch {
		case cancelling:
		case anyRun:
			b.Status = batchgate.StatusInProgress
			if b.InProgressAt == nil {
				b.InProgressAt = &now
			}
		default:
			b.Status = batchgate.StatusValidating
		}
		if err := g.Store.UpdateBatch(ctx, b); err != nil {
			return err
		}
		return submitErr
	}
	status, job := mergedStatus(jobs, cancelling)
	return g.settle(ctx, d, b, job, status)
}

// mergedStatus is the OpenAI status of a batch whose jobs all ended, and a
// Bedrock job standing for them: completed if any job completed (the
// records of failed jobs count as failed), else the first job's end.
func mergedStatus(jobs []batchgate.BatchJob, cancelling bool) (string, *bedrock.Job) {
	job := &bedrock.Job{ARN: jobs[0].JobARN, Status: jobs[0].JobStatus}
	var msgs []string
	completed := false
	for i, j := range jobs {
		if j.Message != "" {
			msgs = append(msgs, fmt.Sprintf("job %d of %d: %s", i+1, len(jobs), j.Message))
		}
		if bedrock.OpenAIStatus(j.JobStatus) == batchgate.StatusCompleted {
			completed, job.Status = true, j.JobStatus
		}
	}
	job.Message = strings.Join(msgs, "; ")
	switch {
	case cancelling:
		return batchgate.StatusCancelled, job
	case completed:
		return batchgate.StatusCompleted, job
	}
	return bedrock.OpenAIStatus(jobs[0].JobStatus), job
}

// mergedManifest sums the manifests of a split batch's jobs. A job without
// a manifest counts what its output holds (outputManifest) or, without
// output either (Failed, Expired, never submitted), its records as Bedrock
// reported them, or all as failed; nil when no job wrote a manifest or output.
func (g *Gateway) mergedManifest(ctx context.Context, d *Deployment, b *batchgate.Batch, jobs []batchgate.BatchJob) (*manifest, error) {
	var (
		sum   manifest
		found bool
	)
	for _, j := range jobs {
		var m *manifest
		if j.JobARN != "" {
			total := j.RequestCounts.Total
			if total == 0 {
				total = int64(j.Records)
			}
			var err error
			if m, err = g.jobCounts(ctx, d, b, j.JobARN, total); err != nil && !batchgate.IsNotFound(err) {
				return nil, err
			}
		}
		if m == nil {
			c := j.RequestCounts
			if c.Total == 0 {
				c = batchgate.RequestCounts{Total: int64(j.Records), Failed: int64(j.Records)}
			}
			m = &manifest{TotalRecordCount: c.Total, SuccessRecordCount: c.Completed, ErrorRecordCount: c.Total - c.Completed}
		} else {
			found = true
		}
		sum.TotalRecordCount += m.TotalRecordCount
		sum.ProcessedRecordCount += m.ProcessedRecordCount
		sum.SuccessRecordCount += m.SuccessRecordCount
		sum.ErrorRecordCount += m.ErrorRecordCount
		sum.InputTokenCount += m.InputTokenCount
		sum.OutputTokenCount += m.OutputTokenCount
	}
	if !found {
		return nil, nil
	}
	return &sum, nil
}
