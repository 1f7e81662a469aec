package metrics

import (
	"context"
	"time"

	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/gateway"
)

// Jobs wraps a gateway.JobRunner, counting each Bedrock call by operation
// and outcome and timing it.
type Jobs struct {
	Next    gateway.JobRunner
	Metrics *Metrics
}

var _ gateway.JobRunner = (*Jobs)(nil)

// WrapJobs returns r instrumented; with nil metrics it returns r.
func (m *Metrics) WrapJobs(r gateway.JobRunner) gateway.JobRunner {
	if m == nil {
		return r
	}
	return &Jobs{Next: r, Metrics: m}
}

func (j *Jobs) observe(op string, start time.Time, err error) {
	code := "ok"
	if err != nil {
		code = ErrorCode(err)
	}
	j.Metrics.bedrockCalls.WithLabelValues(op, code).Inc()
	j.Metrics.bedrockDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

// Create calls CreateModelInvocationJob.
func (j *Jobs) Create(ctx context.Context, s bedrock.JobSpec) (string, error) {
	start := time.Now()
	arn, err := j.Next.Create(ctx, s)
	j.observe("CreateModelInvocationJob", start, err)
	return arn, err
}

// Get calls GetModelInvocationJob.
func (j *Jobs) Get(ctx context.Context, arn string) (*bedrock.Job, error) {
	start := time.Now()
	job, err := j.Next.Get(ctx, arn)
	j.observe("GetModelInvocationJob", start, err)
	return job, err
}

// Stop calls StopModelInvocationJob.
func (j *Jobs) Stop(ctx context.Context, arn string) error {
	start := time.Now()
	err := j.Next.Stop(ctx, arn)
	j.observe("StopModelInvocationJob", start, err)
	return err
}
