package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/postgres"
	"github.com/batchgate/batchgate/internal/testenv"
)

// slowCheck widens the budget check: ReservedSpend, its first read, takes a
// while, so that checks not excluded from each other overlap and each misses
// the other's reservation.
type slowCheck struct{ batchgate.Store }

func (s slowCheck) ReservedSpend(ctx context.Context, o batchgate.Owner) (float64, float64, float64, error) {
	time.Sleep(20 * time.Millisecond)
	return s.Store.ReservedSpend(ctx, o)
}

// TestBudgetReplicasPostgres: two gateways, each with its own PostgreSQL
// store (its own pools, as two replicas have) on one database, create
// batches at once against one key whose budget holds one, or two, batches'
// worst case. Exactly as many as fit are accepted, the rest refused with
// budget_exceeded: the budget lock excludes the replicas from each other, not
// only goroutines of one replica (a budget of one batch catches a lock that
// only does the latter: each replica's first check would pass).
func TestBudgetReplicasPostgres(t *testing.T) {
	dsn := testenv.FreshPostgres(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	le, err := local.Start(ctx, local.Options{DataDir: t.TempDir(), MinRecordsPerJob: 1, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	m := le.Config.ModelList[0]
	in, out := 0.000001, 0.000005
	m.ModelInfo.InputCostPerTokenBatches, m.ModelInfo.OutputCostPerTokenBatches = &in, &out
	var gws [2]*gateway.Gateway
	for i := range gws {
		store, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		d, err := deploy.New(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		gws[i] = gateway.New(slowCheck{store}, []*gateway.Deployment{d}, log) // no reconciler: nothing settles
		gws[i].ReplicaID = fmt.Sprintf("replica-%d", i)
	}

	for round, fit := range []int{1, 2, 1} {
		key := &batchgate.Key{ID: fmt.Sprintf("key-%d", round), Token: fmt.Sprintf("budget-key-%d", round), KeyName: fmt.Sprintf("sk-...%04d", round)}
		c := gateway.Caller{Key: key, Scope: batchgate.Scope{KeyID: key.ID}, Owner: batchgate.Owner{KeyID: key.ID}}
		const perReplica = 4
		var files [2][]*batchgate.File
		for i, gw := range gws {
			for j := range perReplica {
				f, err := gw.UploadFile(ctx, c, gateway.Upload{Filename: "b.jsonl", Target: local.ModelName}, bytes.NewReader(lines(2, fmt.Sprintf("r%d-%d-%d", round, i, j))))
				if err != nil {
					t.Fatal(err)
				}
				files[i] = append(files[i], f)
			}
		}
		f := files[0][0]
		reserve := gws[0].Deployments[f.Model].Price.Of(batchgate.Usage{InputTokens: f.EstimatedInputTokens, OutputTokens: f.MaxOutputTokens})
		if reserve <= 0 {
			t.Fatalf("reserve %v: the model needs prices", reserve)
		}
		key.MaxBudget = new((float64(fit) + 0.5) * reserve) // fit batches fit, one more doesn't
		if err := gws[0].Store.CreateKey(ctx, key); err != nil {
			t.Fatal(err)
		}

		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			accepted []string
			start    = make(chan struct{})
		)
		for i, gw := range gws {
			for _, f := range files[i] {
				wg.Go(func() {
					<-start
					b, err := gw.CreateBatch(ctx, c, gateway.CreateBatchRequest{InputFileID: f.ID, Endpoint: "/v1/chat/completions"})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						accepted = append(accepted, fmt.Sprintf("%s on replica %d", b.ID, i))
					case batchgate.ErrorCode(err) != batchgate.EBUDGET:
						t.Errorf("create on replica %d: %v", i, err)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		if len(accepted) != fit {
			t.Errorf("round %d: %d batches accepted, want the %d that fit: %v", round, len(accepted), fit, accepted)
		}
		reserved, _, _, err := gws[1].Store.ReservedSpend(ctx, c.Owner)
		if err != nil {
			t.Fatal(err)
		}
		if reserved > *key.MaxBudget {
			t.Errorf("round %d: $%v reserved, over the budget of $%v", round, reserved, *key.MaxBudget)
		}
	}
}
