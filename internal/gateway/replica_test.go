package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/postgres"
	"github.com/batchgate/batchgate/internal/testenv"
)

// pollLog records, per job ARN, which replicas are in GetModelInvocationJob
// right now and which ever polled it.
type pollLog struct {
	mu       sync.Mutex
	active   map[string]map[int]int // arn -> replica -> calls in flight
	pollers  map[string]map[int]bool
	overlaps []string
	calls    [2]int
}

func (p *pollLog) enter(replica int, arn string) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active[arn] == nil {
		p.active[arn] = map[int]int{}
		p.pollers[arn] = map[int]bool{}
	}
	for r, n := range p.active[arn] {
		if n > 0 {
			p.overlaps = append(p.overlaps, fmt.Sprintf("%s: replica %d polls while replica %d does", arn, replica, r))
		}
	}
	p.active[arn][replica]++
	p.pollers[arn][replica] = true
	p.calls[replica]++
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.active[arn][replica]--
	}
}

// TestReplicasPostgres: two gateways with different replica ids share one
// PostgreSQL store and one emulator and run 200 batches to completion. No
// job is polled by both at once (nor, with leases held, ever by both), and
// every batch has one job and one bill.
func TestReplicasPostgres(t *testing.T) {
	dsn := testenv.FreshPostgres(t)
	ctx := context.Background()
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })

	polls := &pollLog{active: map[string]map[int]int{}, pollers: map[string]map[int]bool{}}
	e := newOpsEnv(t, opsOptions{
		store: store, replicas: 2, step: 2 * time.Millisecond,
		sim: func(c *bedrocksim.Config) { c.MaxConcurrentJobsPerModel = 1000 },
		wrap: func(replica int, r gateway.JobRunner) gateway.JobRunner {
			return &observer{JobRunner: r, get: func(arn string) func() { return polls.enter(replica, arn) }}
		},
	})

	const n = 200
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				gw := e.gws[i%2]
				f, err := gw.UploadFile(ctx, admin, gateway.Upload{Filename: "r.jsonl", Target: "bedrock-batch-claude"}, strings.NewReader(string(lines(2, fmt.Sprintf("r%d", i)))))
				if err != nil {
					errs <- err
					return
				}
				b, err := gw.CreateBatch(ctx, admin, gateway.CreateBatchRequest{InputFileID: f.ID})
				if err != nil {
					errs <- err
					return
				}
				ids[i] = b.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	done := e.wait(ids, 50*time.Second)

	polls.mu.Lock()
	defer polls.mu.Unlock()
	for _, o := range polls.overlaps {
		t.Error(o)
	}
	both := 0
	for _, rs := range polls.pollers {
		if len(rs) > 1 {
			both++
		}
	}
	if both > 0 {
		t.Errorf("%d jobs were polled by both replicas (leases should keep each with one)", both)
	}
	if polls.calls[0] == 0 || polls.calls[1] == 0 {
		t.Errorf("polls per replica = %v; both replicas should work", polls.calls)
	}

	names := e.jobs()
	if len(names) != n {
		t.Errorf("%d Bedrock jobs for %d batches", len(names), n)
	}
	logs, err := store.FindSpendLogs(ctx, batchgate.Scope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	billed := map[string]int{}
	for _, l := range logs {
		billed[l.BatchID]++
		if b := done[l.BatchID]; b == nil || l.Cost != b.Cost {
			t.Errorf("spend log %+v does not match its batch", l)
		}
	}
	if len(logs) != n || len(billed) != n {
		t.Errorf("%d spend logs for %d batches (%d distinct)", len(logs), n, len(billed))
	}
	for _, b := range done {
		if b.RequestCounts.Completed != 2 || !strings.HasPrefix(b.JobARN, "arn:") || bedrock.JobID(b.JobARN) == "" {
			t.Errorf("batch %s: %+v %s", b.ID, b.RequestCounts, b.JobARN)
		}
	}
}
