package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
)

// finder is a JobRunner that lists the jobs it is given.
type finder struct {
	JobRunner
	jobs []bedrock.Job
	err  error
}

func (f *finder) FindJobs(context.Context, string) ([]bedrock.Job, error) { return f.jobs, f.err }

// adoptJob adopts only a job that proves to be the batch's: same name,
// input, output (and token when reported).
func TestAdoptJob(t *testing.T) {
	g := &Gateway{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	spec := bedrock.JobSpec{Name: "batchgate-abc", ClientToken: "batch-abc", InputURI: "s3://in/batchgate/input/f.jsonl", OutputURI: "s3://out/batchgate/output/batch_abc/"}
	inUse := &batchgate.Error{Code: batchgate.EINVALID, Message: "Bedrock rejected the job: The provided job name is currently in use."}
	ours := bedrock.Job{ARN: "arn:ours", Name: spec.Name, ClientToken: spec.ClientToken, InputURI: spec.InputURI, OutputURI: "s3://out/batchgate/output/batch_abc"}
	other := func(f func(*bedrock.Job)) bedrock.Job { j := ours; j.ARN = "arn:other"; f(&j); return j }
	for _, tc := range []struct {
		name    string
		err     error
		f       *finder
		arn     string
		queued  bool
		refused bool
	}{
		{"Ours", inUse, &finder{jobs: []bedrock.Job{ours}}, "arn:ours", false, false},
		{"OursWithoutToken", inUse, &finder{jobs: []bedrock.Job{other(func(j *bedrock.Job) { j.ClientToken = "" })}}, "arn:other", false, false},
		{"Conflict", &batchgate.Error{Code: batchgate.ECONFLICT, Message: "c"}, &finder{jobs: []bedrock.Job{ours}}, "arn:ours", false, false},
		{"OtherInput", inUse, &finder{jobs: []bedrock.Job{other(func(j *bedrock.Job) { j.InputURI = "s3://in/x.jsonl" })}}, "", false, true},
		{"OtherOutput", inUse, &finder{jobs: []bedrock.Job{other(func(j *bedrock.Job) { j.OutputURI = "s3://out/elsewhere/" })}}, "", false, true},
		{"OtherToken", inUse, &finder{jobs: []bedrock.Job{other(func(j *bedrock.Job) { j.ClientToken = "t2" })}}, "", false, true},
		{"NotFound", inUse, &finder{}, "", false, true},
		{"ListFails", inUse, &finder{err: errors.New("connection reset")}, "", true, false},
		{"ListDenied", inUse, &finder{err: &batchgate.Error{Code: batchgate.EFORBIDDEN, Message: "denied"}}, "", false, true},
		{"OtherRefusal", &batchgate.Error{Code: batchgate.EINVALID, Message: "Bedrock rejected the job: bad role"}, &finder{jobs: []bedrock.Job{ours}}, "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arn, err := g.adoptJob(context.Background(), &Deployment{Jobs: tc.f}, "batch_abc", spec, tc.err)
			if arn != tc.arn || isQueued(err) != tc.queued || (err == tc.err) != tc.refused {
				t.Errorf("adoptJob = %q, %v; want %q (queued %v, refused %v)", arn, err, tc.arn, tc.queued, tc.refused)
			}
		})
	}
}
