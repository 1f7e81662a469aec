package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/cost"
)

func costPtr(v float64) *float64 { return &v }

// spendOf reads the spend of a key, a user and a team as the API shows it.
func (e *env) spendOf(key, userID, teamID string) (k, u, t float64) {
	e.t.Helper()
	var ki struct{ Info struct{ Spend float64 } }
	e.ok(master, "GET", "/key/info?key="+key, nil, &ki)
	var ui struct {
		UserInfo struct{ Spend float64 } `json:"user_info"`
	}
	e.ok(master, "GET", "/user/info?user_id="+userID, nil, &ui)
	var ti struct {
		TeamInfo struct{ Spend float64 } `json:"team_info"`
	}
	e.ok(master, "GET", "/team/info?team_id="+teamID, nil, &ti)
	return ki.Info.Spend, ui.UserInfo.Spend, ti.TeamInfo.Spend
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

// A batch costs its tokens (as the emulator counted them in the output
// lines and the manifest) times the configured batch prices, and is billed
// exactly once, to its key, user and team, while clients poll it on two
// replicas, both replicas reconcile, and each replica also settles a copy
// of the batch read before the job ended (a replica that lost its lease, or
// restarted with an old view).
func TestBatchCostBilledOnce(t *testing.T) {
	info := config.ModelInfo{InputCostPerTokenBatches: costPtr(0.000003), OutputCostPerTokenBatches: costPtr(0.000011)}
	g := newGovEnv(t, govOptions{info: info, replicas: 2})
	price := g.gw.Deployments[model].Price
	if price.Input != 0.000003 || price.Output != 0.000011 || price.InputSource != cost.SourceBatches || price.OutputSource != cost.SourceBatches {
		t.Fatalf("price = %+v, want model_info's batch prices", price)
	}
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-cost"}, nil)
	g.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-cost", "auto_create_key": false}, nil)
	key := g.newKey(map[string]any{"user_id": "u-cost", "team_id": "t-cost"})

	// Created on replica 1; nothing reconciles yet.
	r1 := g.on(1)
	b := r1.createBatch(key, r1.uploadOK(key, chatLines(7, model, 200)))
	g.runJob(b.ID)
	stale, err := g.gw.Store.FindBatchByID(context.Background(), b.ID)
	if err != nil || batchgate.Terminal(stale.Status) {
		t.Fatalf("batch before reconciling: %+v, %v", stale, err)
	}

	ctx := context.Background()
	stop := make(chan struct{})
	var pollers, workers sync.WaitGroup
	for i := range 8 {
		pollers.Go(func() {
			e := g.on(i % 2)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r := e.json(key, "GET", "/v1/batches/"+b.ID, nil); r.status != 200 {
					t.Errorf("GET batch: %d %s", r.status, r.body)
					return
				}
			}
		})
	}
	for i := range 2 {
		gw := g.gws[i]
		workers.Go(func() {
			for range 5 {
				if _, err := gw.Reconcile(ctx); err != nil {
					t.Errorf("replica %d: Reconcile: %v", i, err)
				}
			}
		})
		workers.Go(func() {
			old := *stale
			if err := gw.Refresh(ctx, &old); err != nil && batchgate.ErrorCode(err) != batchgate.ECONFLICT {
				t.Errorf("replica %d: Refresh of a stale copy: %v", i, err)
			}
		})
	}
	workers.Wait()
	final := g.settle(b.ID)
	close(stop)
	pollers.Wait()
	// Once more, after the end: a late replica changes nothing.
	old := *stale
	if err := g.gws[1].Refresh(ctx, &old); err != nil && batchgate.ErrorCode(err) != batchgate.ECONFLICT {
		t.Errorf("late Refresh: %v", err)
	}
	if final.Status != batchgate.StatusCompleted {
		t.Fatalf("batch ended %s: %s", final.Status, final.Message)
	}

	// The tokens: the output lines' usage, summed, and the manifest agree.
	var got batchObj
	g.ok(key, "GET", "/v1/batches/"+b.ID, nil, &got)
	if got.OutputFileID == nil || got.Usage == nil {
		t.Fatalf("completed batch = %+v", got)
	}
	out := g.json(key, "GET", "/v1/files/"+*got.OutputFileID+"/content", nil)
	var lineIn, lineOut int64
	sc := bufio.NewScanner(bytes.NewReader(out.body))
	for sc.Scan() {
		var l struct {
			Response struct {
				Body struct {
					Usage struct {
						PromptTokens     int64 `json:"prompt_tokens"`
						CompletionTokens int64 `json:"completion_tokens"`
					}
				}
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("output line %s: %v", sc.Bytes(), err)
		}
		lineIn += l.Response.Body.Usage.PromptTokens
		lineOut += l.Response.Body.Usage.CompletionTokens
	}
	mIn, mOut := g.manifest(final)
	if lineIn == 0 || lineOut == 0 || lineIn != mIn || lineOut != mOut {
		t.Fatalf("tokens: output lines %d/%d, manifest %d/%d", lineIn, lineOut, mIn, mOut)
	}
	if got.Usage.InputTokens != mIn || got.Usage.OutputTokens != mOut || got.Usage.TotalTokens != mIn+mOut {
		t.Errorf("batch usage = %+v, want %d in, %d out", got.Usage, mIn, mOut)
	}
	want := float64(mIn)*0.000003 + float64(mOut)*0.000011

	// Billed once, attributed to key, user and team, visible everywhere.
	if !near(final.Cost, want) || final.Reserved != 0 {
		t.Errorf("stored batch: cost %v, reserved %v; want %v, 0", final.Cost, final.Reserved, want)
	}
	k, u, tm := g.spendOf(key, "u-cost", "t-cost")
	if !near(k, want) || !near(u, want) || !near(tm, want) {
		t.Errorf("spend: key %v, user %v, team %v; want %v each", k, u, tm, want)
	}
	var logs []struct {
		RequestID        string  `json:"request_id"`
		Spend            float64 `json:"spend"`
		PromptTokens     int64   `json:"prompt_tokens"`
		CompletionTokens int64   `json:"completion_tokens"`
		User             string  `json:"user"`
		TeamID           string  `json:"team_id"`
		Metadata         struct {
			PriceSource        string  `json:"price_source"`
			InputCostPerToken  float64 `json:"input_cost_per_token"`
			OutputCostPerToken float64 `json:"output_cost_per_token"`
		} `json:"metadata"`
	}
	g.ok(master, "GET", "/spend/logs", nil, &logs)
	if len(logs) != 1 || logs[0].RequestID != b.ID || !near(logs[0].Spend, want) || logs[0].PromptTokens != mIn ||
		logs[0].CompletionTokens != mOut || logs[0].User != "u-cost" || logs[0].TeamID != "t-cost" {
		t.Errorf("spend logs = %+v, want one of $%v for %s", logs, want, b.ID)
	}
	// The row keeps the prices it was billed at, and their source.
	if m := logs[0].Metadata; m.PriceSource != cost.SourceBatches || !near(m.InputCostPerToken, 0.000003) || !near(m.OutputCostPerToken, 0.000011) {
		t.Errorf("spend log metadata = %+v; want the model_info batch prices", m)
	}
	var own []struct{ Spend float64 }
	g.ok(key, "GET", "/spend/logs", nil, &own)
	if len(own) != 1 || !near(own[0].Spend, want) {
		t.Errorf("the key's spend logs = %+v", own)
	}
}

// Without batch prices, on-demand prices are halved; without either, the
// built-in table's on-demand price is halved. The bill follows the price.
func TestBatchCostFromOnDemandPrices(t *testing.T) {
	info := config.ModelInfo{InputCostPerToken: costPtr(0.00002), OutputCostPerToken: costPtr(0.00006)}
	g := newGovEnv(t, govOptions{info: info, reconciler: true})
	if p := g.gw.Deployments[model].Price; p.Input != 0.00001 || p.Output != 0.00003 || p.InputSource != cost.SourceOnDemand {
		t.Fatalf("price = %+v, want on-demand halved", p)
	}
	if p := g.gw.Deployments[novaModel].Price; p.Input != 0.06/2/1e6 || p.Output != 0.24/2/1e6 || p.InputSource != cost.SourceTable {
		t.Fatalf("nova price = %+v, want the table's halved", p)
	}
	key := g.newKey(map[string]any{})
	b := g.createBatch(key, g.uploadOK(key, chatLines(3, model, 100)))
	b = g.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status == "completed" })
	want := float64(b.Usage.InputTokens)*0.00001 + float64(b.Usage.OutputTokens)*0.00003
	var ki struct{ Info struct{ Spend float64 } }
	waitUntil(t, func() bool {
		g.ok(master, "GET", "/key/info?key="+key, nil, &ki)
		return ki.Info.Spend > 0
	})
	if !near(ki.Info.Spend, want) {
		t.Errorf("key spend %v, want %v", ki.Info.Spend, want)
	}
}

// A cancel that lands while the reconciler works from an older copy of the
// batch: the reconciler submits the job it had not submitted yet, and its
// write must neither undo the cancel nor lose the job. The job is stopped,
// the batch ends cancelled, and it is billed once for what ran.
func TestCancelRacesTheReconciler(t *testing.T) {
	g := newGovEnv(t, govOptions{stepDelay: 100 * time.Millisecond})
	ctx := context.Background()
	key := g.newKey(map[string]any{})
	fileID := g.uploadOK(key, chatLines(3, model, 50))

	// Bedrock is down: the batch is stored, its job not created yet.
	g.le.Sim().SetFaults(bedrocksim.Faults{ServerErrorFraction: 1})
	b := g.createBatch(key, fileID)
	g.le.Sim().SetFaults(bedrocksim.Faults{})
	stale, err := g.gw.Store.FindBatchByID(ctx, b.ID)
	if err != nil || stale.JobARN != "" || stale.Status != batchgate.StatusValidating {
		t.Fatalf("queued batch: %+v, %v", stale, err)
	}

	// The client cancels; then the reconciler, with its copy from before the
	// cancel, submits the job.
	var c batchObj
	g.ok(key, "POST", "/v1/batches/"+b.ID+"/cancel", nil, &c)
	if c.Status != "cancelling" {
		t.Fatalf("cancel answered %s", c.Status)
	}
	if err := g.gw.Refresh(ctx, stale); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	mid, err := g.gw.Store.FindBatchByID(ctx, b.ID)
	if err != nil || mid.JobARN == "" || mid.Status != batchgate.StatusCancelling {
		t.Fatalf("after the reconciler's write: status %s, job %q (%v); want cancelling with the job", mid.Status, mid.JobARN, err)
	}

	final := g.settle(b.ID)
	if final.Status != batchgate.StatusCancelled || final.CancelledAt == nil {
		t.Errorf("batch ended %s", final.Status)
	}
	job, err := g.gw.Deployments[model].Jobs.Get(ctx, mid.JobARN)
	if err != nil || job.Status != "Stopped" {
		t.Errorf("the job: %+v, %v; want Stopped", job, err)
	}
	var logs []struct {
		RequestID string `json:"request_id"`
	}
	g.ok(master, "GET", "/spend/logs?request_id="+b.ID, nil, &logs)
	if len(logs) != 1 {
		t.Errorf("spend logs of the cancelled batch: %d, want 1", len(logs))
	}
}
