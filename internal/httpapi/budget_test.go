package httpapi_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/config"
)

// reserveOf is the worst-case cost batchgate reserves for a batch of the
// input file: its estimated input tokens plus every request's max_tokens,
// at the deployment's batch prices.
func (g *govEnv) reserveOf(fileID string) float64 {
	g.t.Helper()
	f, err := g.gw.Store.FindFileByID(context.Background(), fileID)
	if err != nil {
		g.t.Fatal(err)
	}
	if f.EstimatedInputTokens <= 0 || f.MaxOutputTokens <= 0 {
		g.t.Fatalf("file estimate: %d in, %d out", f.EstimatedInputTokens, f.MaxOutputTokens)
	}
	return g.gw.Deployments[f.Model].Price.Of(batchgate.Usage{InputTokens: f.EstimatedInputTokens, OutputTokens: f.MaxOutputTokens})
}

// createBatchErr creates a batch and returns the status and error envelope.
func (e *env) createBatchErr(key, fileID string) (int, apiError, batchObj) {
	e.t.Helper()
	r := e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": fileID, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
	var ae apiError
	var b batchObj
	if r.status == 200 {
		r.json(e.t, &b)
	} else {
		r.json(e.t, &ae)
	}
	return r.status, ae, b
}

func checkBudgetError(t *testing.T, what string, status int, ae apiError, mention string) {
	t.Helper()
	if status != 400 || ae.Error.Type != "budget_exceeded" || ae.Error.Code == nil || *ae.Error.Code != "budget_exceeded" ||
		!strings.Contains(ae.Error.Message, mention) || !strings.Contains(ae.Error.Message, "max_budget") {
		t.Errorf("%s: %d %+v, want 400 budget_exceeded naming %s", what, status, ae.Error, mention)
	}
}

// A key's budget holds one batch's worst case but not two: the second is
// refused while the first runs (its reservation counts), and accepted once
// the first has settled, its reservation replaced by its (much smaller)
// actual cost.
func TestBudgetRefusesTheBatchThatWouldExceed(t *testing.T) {
	info := config.ModelInfo{InputCostPerTokenBatches: costPtr(0.000001), OutputCostPerTokenBatches: costPtr(0.000005)}
	g := newGovEnv(t, govOptions{info: info})
	file := chatLines(4, model, 4000) // the worst case is mostly output
	probe := g.newKey(map[string]any{})
	reserve := g.reserveOf(g.uploadOK(probe, file))

	key := g.newKey(map[string]any{"max_budget": 1.5 * reserve})
	first := g.uploadOK(key, file)
	second := g.uploadOK(key, file)
	status, _, b1 := g.createBatchErr(key, first)
	if status != 200 {
		t.Fatalf("the batch that fits was refused: %d", status)
	}
	status, ae, _ := g.createBatchErr(key, second)
	checkBudgetError(t, "second batch while the first runs", status, ae, "key")
	var list struct{ Data []batchObj }
	g.ok(key, "GET", "/v1/batches", nil, &list)
	if len(list.Data) != 1 {
		t.Errorf("a refused batch was stored: %d batches", len(list.Data))
	}

	g.runJob(b1.ID)
	settled := g.settle(b1.ID)
	if settled.Cost <= 0 || settled.Cost > 0.5*reserve || settled.Reserved != 0 {
		t.Fatalf("settled batch: cost %v, reserved %v (reserve was %v)", settled.Cost, settled.Reserved, reserve)
	}
	owner := batchgate.Owner{KeyID: settled.Owner.KeyID}
	if k, _, _, err := g.gw.Store.ReservedSpend(context.Background(), owner); err != nil || k != 0 {
		t.Errorf("reservations after settlement: %v, %v", k, err)
	}
	var ki struct {
		Info struct {
			Spend     float64
			MaxBudget float64 `json:"max_budget"`
		}
	}
	g.ok(key, "GET", "/key/info", nil, &ki)
	if !near(ki.Info.Spend, settled.Cost) {
		t.Errorf("key spend %v, want the batch's cost %v", ki.Info.Spend, settled.Cost)
	}
	if status, ae, _ := g.createBatchErr(key, second); status != 200 {
		t.Errorf("the batch that fits after settlement was refused: %d %+v", status, ae.Error)
	}
}

// The user's and the team's budgets apply to every key of theirs, and so
// do reservations of other keys of the same user or team.
func TestBudgetOfUserAndTeam(t *testing.T) {
	info := config.ModelInfo{InputCostPerTokenBatches: costPtr(0.000001), OutputCostPerTokenBatches: costPtr(0.000005)}
	g := newGovEnv(t, govOptions{info: info})
	file := chatLines(3, model, 4000)
	reserve := g.reserveOf(g.uploadOK(g.newKey(map[string]any{}), file))

	g.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-budget", "max_budget": 1.5 * reserve, "auto_create_key": false}, nil)
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-budget", "max_budget": 1.5 * reserve}, nil)
	for _, tc := range []struct{ kind, field, id string }{{"user", "user_id", "u-budget"}, {"team", "team_id", "t-budget"}} {
		k1 := g.newKey(map[string]any{tc.field: tc.id})
		k2 := g.newKey(map[string]any{tc.field: tc.id})
		if status, ae, _ := g.createBatchErr(k1, g.uploadOK(k1, file)); status != 200 {
			t.Fatalf("%s: first batch refused: %d %+v", tc.kind, status, ae.Error)
		}
		status, ae, _ := g.createBatchErr(k2, g.uploadOK(k2, file))
		checkBudgetError(t, tc.kind+": a second key's batch", status, ae, tc.kind+" "+tc.id)
	}
	// A key of neither is not limited by them.
	free := g.newKey(map[string]any{})
	if status, ae, _ := g.createBatchErr(free, g.uploadOK(free, file)); status != 200 {
		t.Errorf("a key without budget was refused: %d %+v", status, ae.Error)
	}
}

// Batches created at once cannot together overrun a budget that holds two.
func TestBudgetConcurrentCreations(t *testing.T) {
	info := config.ModelInfo{InputCostPerTokenBatches: costPtr(0.000001), OutputCostPerTokenBatches: costPtr(0.000005)}
	g := newGovEnv(t, govOptions{info: info})
	file := chatLines(2, model, 4000)
	reserve := g.reserveOf(g.uploadOK(g.newKey(map[string]any{}), file))
	key := g.newKey(map[string]any{"max_budget": 2.5 * reserve})
	const n = 6
	ids := make([]string, n)
	for i := range ids {
		ids[i] = g.uploadOK(key, file)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
	)
	for _, id := range ids {
		wg.Go(func() {
			status, ae, _ := g.createBatchErr(key, id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status == 200:
				accepted++
			case ae.Error.Type != "budget_exceeded":
				t.Errorf("create: %d %+v", status, ae.Error)
			}
		})
	}
	wg.Wait()
	if accepted != 2 {
		t.Errorf("%d batches accepted, want 2", accepted)
	}
}

// budget_duration resets the spend when the period ends, and moves the
// reset time on by one period.
func TestBudgetDurationResets(t *testing.T) {
	info := config.ModelInfo{InputCostPerTokenBatches: costPtr(0.000001), OutputCostPerTokenBatches: costPtr(0.000005)}
	g := newGovEnv(t, govOptions{info: info})
	file := chatLines(2, model, 100)
	key := g.newKey(map[string]any{"max_budget": 100, "budget_duration": "1h"})
	var before struct {
		Info struct {
			BudgetDuration *string    `json:"budget_duration"`
			BudgetResetAt  *time.Time `json:"budget_reset_at"`
		}
	}
	g.ok(master, "GET", "/key/info?key="+key, nil, &before)
	if before.Info.BudgetDuration == nil || *before.Info.BudgetDuration != "1h" || before.Info.BudgetResetAt == nil ||
		before.Info.BudgetResetAt.Before(time.Now().Add(59*time.Minute)) {
		t.Fatalf("key info = %+v", before.Info)
	}
	_, _, b := g.createBatchErr(key, g.uploadOK(key, file))
	g.runJob(b.ID)
	settled := g.settle(b.ID)
	var ki struct {
		Info struct {
			Spend         float64
			BudgetResetAt *time.Time `json:"budget_reset_at"`
		}
	}
	g.ok(key, "GET", "/key/info", nil, &ki)
	if ki.Info.Spend <= 0 || !near(ki.Info.Spend, settled.Cost) {
		t.Fatalf("spend before the reset: %v, batch cost %v", ki.Info.Spend, settled.Cost)
	}
	// An admin update that resends the same duration keeps the period.
	g.ok(master, "POST", "/key/update", map[string]any{"key": key, "budget_duration": "1h", "max_budget": 50}, nil)
	n, err := g.gw.Store.ResetBudgets(context.Background(), before.Info.BudgetResetAt.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("ResetBudgets = %d, %v; want 1", n, err)
	}
	g.ok(key, "GET", "/key/info", nil, &ki)
	if ki.Info.Spend != 0 || ki.Info.BudgetResetAt == nil || !ki.Info.BudgetResetAt.Equal(before.Info.BudgetResetAt.Add(time.Hour)) {
		t.Errorf("after the reset: spend %v, reset at %v; want 0, %v", ki.Info.Spend, ki.Info.BudgetResetAt, before.Info.BudgetResetAt.Add(time.Hour))
	}
}
