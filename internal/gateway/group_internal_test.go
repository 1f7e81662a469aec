package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// lossyJobs is a deployment's Bedrock whose first create makes the job
// but loses the answer (a timeout); it lists the jobs it made by name.
type lossyJobs struct {
	lose    bool
	created []bedrock.JobSpec
}

func (l *lossyJobs) Create(_ context.Context, s bedrock.JobSpec) (string, error) {
	l.created = append(l.created, s)
	if l.lose {
		l.lose = false
		return "", errors.New("read tcp: i/o timeout")
	}
	return "arn:aws:bedrock:us-east-1:1:model-invocation-job/" + s.Name, nil
}
func (l *lossyJobs) Get(context.Context, string) (*bedrock.Job, error) {
	return nil, errors.New("unused")
}
func (l *lossyJobs) Stop(context.Context, string) error { return nil }
func (l *lossyJobs) FindJobs(_ context.Context, name string) ([]bedrock.Job, error) {
	var out []bedrock.Job
	for _, s := range l.created {
		if s.Name == name {
			out = append(out, bedrock.Job{ARN: "arn:aws:bedrock:us-east-1:1:model-invocation-job/" + s.Name, Name: s.Name, ClientToken: s.ClientToken})
		}
	}
	return out, nil
}

// A batch whose create on its deployment timed out (the job was made, the
// answer lost) and which is then moved to another deployment of its group
// (the first was set aside meanwhile, by another batch's refusal) adopts
// the job it already has rather than making a second one.
func TestGroupMoveAdoptsLostJob(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	east, west := &lossyJobs{lose: true}, &lossyJobs{}
	d1 := &Deployment{ID: "east", ModelName: "m", BedrockModelID: "x", InputBucket: "b", OutputBucket: "b", Jobs: east}
	d2 := &Deployment{ID: "west", ModelName: "m", BedrockModelID: "x", InputBucket: "b", OutputBucket: "b", Jobs: west}
	g := New(st, []*Deployment{d1, d2}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	g.Retry = RetryPolicy{Base: time.Hour, Max: time.Hour}
	now := time.Now()
	f := &batchgate.File{ID: "file-1", Bucket: "b", Key: "k", Records: 200}
	b := &batchgate.Batch{ID: "batch_1", Model: "m", Status: batchgate.StatusValidating, CreatedAt: now, UpdatedAt: now,
		ClientToken: "batch-1", JobName: "batchgate-1", Deployment: "east", OutputPrefix: d1.outputURI("batch_1"), CompletionWindow: "24h"}
	if err := st.CreateBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := g.submit(ctx, d1, b, f, 24); err == nil {
		t.Fatal("the lost create succeeded")
	}
	g.setAside(d1, errors.New("another batch's refusal"))
	b, _ = st.FindBatchByID(ctx, b.ID)
	if err := g.submit(ctx, d1, b, f, 24); err != nil {
		t.Fatal(err)
	}
	b, _ = st.FindBatchByID(ctx, b.ID)
	if len(east.created) != 1 || len(west.created) != 0 || b.JobARN == "" || b.Deployment != "east" {
		t.Errorf("creates east %d, west %d; batch on %q with job %q: want the lost job on east adopted, none on west",
			len(east.created), len(west.created), b.Deployment, b.JobARN)
	}
}
