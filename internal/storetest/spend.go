package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// spendKey creates the key with ID id (and token keyToken(id)).
func spendKey(t *testing.T, s batchgate.Store, id string, spend float64) {
	t.Helper()
	must(t, s.CreateKey(t.Context(), &batchgate.Key{ID: id, Token: keyToken(id), Budget: batchgate.Budget{Spend: spend}, CreatedAt: base, UpdatedAt: base}))
}

func checkSpend(t *testing.T, s batchgate.Store, id string, want float64) {
	t.Helper()
	k, err := s.FindKeyByToken(t.Context(), keyToken(id))
	must(t, err)
	if k.Spend != want {
		t.Errorf("key %s: Spend = %v, want %v", id, k.Spend, want)
	}
}

func testRecordSpend(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var log batchgate.SpendLog
	fill(t, &log, 1)
	spendKey(t, s, log.Owner.KeyID, 1.25)
	spendKey(t, s, "bystander", 0.5)

	ok, err := s.RecordSpend(ctx, &log)
	must(t, err)
	if !ok {
		t.Errorf("first RecordSpend = false, want true")
	}
	checkSpend(t, s, log.Owner.KeyID, 1.25+log.Cost)

	again := log
	again.Cost = 100
	again.Model = "other"
	ok, err = s.RecordSpend(ctx, &again)
	must(t, err)
	if ok {
		t.Errorf("second RecordSpend of batch %s = true, want false", log.BatchID)
	}
	checkSpend(t, s, log.Owner.KeyID, 1.25+log.Cost)
	checkSpend(t, s, "bystander", 0.5)

	logs, err := s.FindSpendLogs(ctx, batchgate.Scope{All: true})
	must(t, err)
	if len(logs) != 1 {
		t.Fatalf("FindSpendLogs: got %d logs, want 1", len(logs))
	}
	checkEqual(t, "spend log", logs[0], &log)
}

// testRecordSpendNoKey bills batches of the master key (no key ID) and of
// keys that are gone: the log is kept, no key changes.
func testRecordSpendNoKey(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	spendKey(t, s, "bystander", 0.5)
	spendKey(t, s, "deleted", 0)
	must(t, s.DeleteKey(ctx, keyToken("deleted")))
	for i, o := range []batchgate.Owner{ownerMaster, {KeyID: "deleted"}, {KeyID: "never-existed"}} {
		log := batchgate.SpendLog{BatchID: fmt.Sprintf("batch-%d", i), Owner: o, Cost: 2, CreatedAt: base}
		ok, err := s.RecordSpend(ctx, &log)
		if err != nil || !ok {
			t.Errorf("RecordSpend for owner %+v = %v, %v; want true, nil", o, ok, err)
		}
	}
	checkSpend(t, s, "bystander", 0.5)
	logs, err := s.FindSpendLogs(ctx, batchgate.Scope{All: true})
	must(t, err)
	if len(logs) != 3 {
		t.Errorf("FindSpendLogs: got %d logs, want 3", len(logs))
	}
}

func testRecordSpendConcurrentSameBatch(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	spendKey(t, s, "k", 0)
	const n = 16
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			ok, err := s.RecordSpend(ctx, &batchgate.SpendLog{BatchID: "batch-once", Owner: batchgate.Owner{KeyID: "k"}, Cost: 1.5, CreatedAt: base})
			if err != nil {
				t.Errorf("RecordSpend: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Errorf("%d of %d concurrent RecordSpend calls reported true, want 1", got, n)
	}
	checkSpend(t, s, "k", 1.5)
}

func testRecordSpendConcurrentManyBatches(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	spendKey(t, s, "k", 1)
	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Each batch is billed twice, concurrently.
			for range 2 {
				_, err := s.RecordSpend(ctx, &batchgate.SpendLog{BatchID: fmt.Sprintf("batch-%d", i),
					Owner: batchgate.Owner{KeyID: "k"}, Cost: 0.25, CreatedAt: base})
				if err != nil {
					t.Errorf("RecordSpend: %v", err)
				}
			}
		})
	}
	wg.Wait()
	checkSpend(t, s, "k", 1+n*0.25)
	logs, err := s.FindSpendLogs(ctx, batchgate.Scope{KeyID: "k"})
	must(t, err)
	if len(logs) != n {
		t.Errorf("FindSpendLogs: got %d logs, want %d", len(logs), n)
	}
}

func testSpendScope(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var objects []owned // newest first
	for i, o := range owners {
		log := batchgate.SpendLog{BatchID: fmt.Sprintf("batch-%d", i), Owner: o, Cost: 1,
			CreatedAt: base.Add(time.Duration(i) * time.Second)}
		ok, err := s.RecordSpend(ctx, &log)
		must(t, err)
		if !ok {
			t.Fatalf("RecordSpend %s = false", log.BatchID)
		}
		objects = slices.Insert(objects, 0, owned{log.BatchID, o})
	}
	checkScope(t, objects, func(sc batchgate.Scope) ([]string, error) {
		logs, err := s.FindSpendLogs(ctx, sc)
		var ids []string
		for _, l := range logs {
			ids = append(ids, l.BatchID)
		}
		return ids, err
	})
}

// testQuerySpendLogs filters by owner, batch and a CreatedAt range
// [From, Until), within the scope, newest first.
func testQuerySpendLogs(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	for i, o := range owners {
		log := batchgate.SpendLog{BatchID: fmt.Sprintf("batch-%d", i), Owner: o, Cost: 1,
			CreatedAt: base.Add(time.Duration(i) * time.Hour)}
		if _, err := s.RecordSpend(ctx, &log); err != nil {
			t.Fatal(err)
		}
	}
	str := func(v string) *string { return &v }
	hour := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	for _, c := range []struct {
		name string
		f    batchgate.SpendFilter
		want []string
	}{
		{"all", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}}, []string{"batch-4", "batch-3", "batch-2", "batch-1", "batch-0"}},
		{"zero scope", batchgate.SpendFilter{From: hour(0)}, nil},
		{"from", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, From: hour(3)}, []string{"batch-4", "batch-3"}},
		{"until", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, Until: hour(1)}, []string{"batch-0"}},
		{"range", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, From: hour(1), Until: hour(3)}, []string{"batch-2", "batch-1"}},
		{"master key", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, KeyID: str("")}, []string{"batch-4"}},
		{"key", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, KeyID: str("ka")}, []string{"batch-0"}},
		{"user", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, UserID: "ub"}, []string{"batch-1"}},
		{"team", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, TeamID: "t1"}, []string{"batch-1", "batch-0"}},
		{"team and range", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, TeamID: "t1", From: hour(1)}, []string{"batch-1"}},
		{"batch", batchgate.SpendFilter{Scope: batchgate.Scope{All: true}, BatchID: "batch-2"}, []string{"batch-2"}},
		{"batch out of scope", batchgate.SpendFilter{Scope: batchgate.Scope{KeyID: "ka"}, BatchID: "batch-2"}, nil},
	} {
		logs, err := s.QuerySpendLogs(ctx, c.f)
		must(t, err)
		var got []string
		for _, l := range logs {
			got = append(got, l.BatchID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: QuerySpendLogs = %v, want %v", c.name, got, c.want)
		}
	}
}
