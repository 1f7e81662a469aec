package gateway

import (
	"context"
	"strings"

	"github.com/batchgate/batchgate/internal/bedrock"
)

// JobFinder lists Bedrock jobs by name; *bedrock.Runner implements it. A
// JobRunner without it cannot adopt a job whose create response was lost.
type JobFinder interface {
	FindJobs(ctx context.Context, name string) ([]bedrock.Job, error)
}

// adoptJob handles a Create that Bedrock refused because the job name is
// in use. Job names derive from the batch id, so the job is this batch's:
// its create went through but the response was lost, and the retry (the
// SDK's, or the reconciler's) met the name before the token. It returns that
// job's ARN when Bedrock has a job of the name created from the same input
// and output (and the same token, when Bedrock reports it), so it is tracked,
// billed and stoppable rather than left running. Otherwise it returns err;
// a transient failure to list leaves the batch queued (the reconciler tries
// again).
func (g *Gateway) adoptJob(ctx context.Context, d *Deployment, batchID string, spec bedrock.JobSpec, err error) (string, error) {
	f, ok := d.Jobs.(JobFinder)
	if !ok || !bedrock.NameInUse(err) {
		return "", err
	}
	jobs, lerr := f.FindJobs(ctx, spec.Name)
	if bedrock.Permanent(lerr) {
		// Denied (no bedrock:ListModelInvocationJobs): the job, if it is
		// this batch's, runs on unseen; the administrator must stop it.
		g.Log.ErrorContext(ctx, "job name in use, and the jobs could not be listed: a job of this name may run untracked",
			"batch_id", batchID, "job_name", spec.Name, "err", lerr)
		return "", err
	}
	if lerr != nil {
		g.Log.WarnContext(ctx, "job name in use: list jobs", "batch_id", batchID, "job_name", spec.Name, "err", lerr)
		return "", &queuedError{lerr}
	}
	for _, j := range jobs {
		if j.Name == spec.Name && j.InputURI == spec.InputURI && sameS3Prefix(j.OutputURI, spec.OutputURI) &&
			(j.ClientToken == "" || j.ClientToken == spec.ClientToken) {
			g.Log.InfoContext(ctx, "bedrock job adopted: its create response was lost", "batch_id", batchID, "job_arn", j.ARN, "job_name", spec.Name)
			return j.ARN, nil
		}
	}
	g.Log.WarnContext(ctx, "job name in use by a job that is not this batch's", "batch_id", batchID, "job_name", spec.Name, "jobs", len(jobs))
	return "", err
}

// sameS3Prefix compares two s3:// folder URIs, with or without the final slash.
func sameS3Prefix(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}
