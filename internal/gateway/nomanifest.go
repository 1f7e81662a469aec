package gateway

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/translate"
)

// AWS does not document manifest.json.out for every end state of a job
// (Stopped, PartiallyCompleted, Failed with partial output): a job that
// ended without one still settles, with the counts its .out files give.

// outputManifest derives what manifest.json.out would say from the .out
// files of job arn, total records aside (the output does not tell them: the
// caller sets them). Each line counts as the result files will show it: a
// success when it converts to an output line, else a failure; the tokens are
// the lines' own usage (Mistral's InvokeModel lines carry none). It is nil
// when the job wrote no .out file.
func (g *Gateway) outputManifest(ctx context.Context, d *Deployment, b *batchgate.Batch, arn string) (*manifest, error) {
	objs, err := g.jobOutputObjects(ctx, d, b, arn)
	if err != nil || len(objs) == 0 {
		return nil, err
	}
	opts := d.translateOptions()
	opts.Endpoint = b.Endpoint
	var success, failed, in, out atomic.Int64
	for _, o := range objs {
		err := g.eachOutputLine(ctx, d, o.Key, nil, func(line []byte, _ [][]byte) error {
			_, ok, u, err := translate.OutputLine(opts, line, b.Model, 0)
			if err != nil {
				return fmt.Errorf("count output line of %s: %w", b.ID, err)
			}
			if ok {
				success.Add(1)
			} else {
				failed.Add(1)
			}
			in.Add(u.InputTokens)
			out.Add(u.OutputTokens)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	g.Log.Warn("bedrock job ended without a manifest: counts taken from its output", "batch_id", b.ID, "job_arn", arn,
		"succeeded", success.Load(), "failed", failed.Load())
	return &manifest{
		ProcessedRecordCount: success.Load() + failed.Load(), SuccessRecordCount: success.Load(), ErrorRecordCount: failed.Load(),
		InputTokenCount: in.Load(), OutputTokenCount: out.Load(),
	}, nil
}

// jobCounts is job arn's manifest or, when it wrote none, the counts of its
// output (outputManifest) with total records; nil when it wrote neither.
func (g *Gateway) jobCounts(ctx context.Context, d *Deployment, b *batchgate.Batch, arn string, total int64) (*manifest, error) {
	m, err := g.jobManifest(ctx, d, b, arn)
	if err == nil || !batchgate.IsNotFound(err) {
		return m, err
	}
	if m, err = g.outputManifest(ctx, d, b, arn); m != nil {
		m.TotalRecordCount = max(total, m.ProcessedRecordCount)
	}
	return m, err
}
