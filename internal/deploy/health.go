package deploy

import (
	"context"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/preflight"
	"github.com/batchgate/batchgate/internal/s3store"
)

// health returns the deployment's GET /health check: its buckets answer
// HeadBucket in their region and Bedrock's control plane answers
// ListModelInvocationJobs to its credentials, the checks of `batchgate
// check` (internal/preflight) on the deployment's own clients. Each
// failure reads "what was checked — failed: why, and how to fix it".
func health(m config.Model, objects batchgate.ObjectStore, jobs gateway.JobRunner) func(context.Context) []string {
	return func(ctx context.Context) []string {
		s3s, _ := objects.(*s3store.Store)
		runner, _ := jobs.(*bedrock.Runner)
		if s3s == nil || runner == nil {
			// Not the AWS clients (a test's fakes): the bucket check alone,
			// if the object store can tell.
			return checkBuckets(ctx, m.LiteLLMParams, objects)
		}
		t := preflight.ClientsTarget(m, s3s.Client, runner.Client)
		var failed []string
		for _, r := range append(preflight.Buckets(ctx, t), preflight.BedrockEndpoint(ctx, t)...) {
			if r.Status == preflight.Fail {
				failed = append(failed, r.What+" — failed: "+r.Detail)
			}
		}
		return failed
	}
}

func checkBuckets(ctx context.Context, p config.LiteLLMParams, objects batchgate.ObjectStore) []string {
	bc, ok := objects.(interface {
		CheckBucket(ctx context.Context, bucket string) error
	})
	if !ok {
		return nil
	}
	buckets := []string{p.S3BucketName}
	if out := p.OutputBucket(); out != p.S3BucketName {
		buckets = append(buckets, out)
	}
	var failed []string
	for _, b := range buckets {
		if err := bc.CheckBucket(ctx, b); err != nil {
			failed = append(failed, "S3 bucket "+b+": "+err.Error())
		}
	}
	return failed
}
