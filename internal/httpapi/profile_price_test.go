package httpapi_test

import (
	"context"
	"testing"

	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/cost"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/local"
)

// profileRunner stands in for what AWS does server-side with an application
// inference profile: it runs the profile's model. The emulator, like any
// offline stand-in, cannot know what an application profile points to.
type profileRunner struct {
	gateway.JobRunner
	profile, model string
}

func (r profileRunner) Create(ctx context.Context, s bedrock.JobSpec) (string, error) {
	if s.ModelID == r.profile {
		s.ModelID = r.model
	}
	return r.JobRunner.Create(ctx, s)
}

// A deployment whose model is an application inference profile ARN is
// priced from model_info.base_model, however base_model is written (here
// as the foundation-model ARN that GetInferenceProfile lists): its batches
// cost more than $0, at the built-in price, and budgets apply to them.
func TestApplicationProfileIsPricedFromBaseModel(t *testing.T) {
	const (
		name    = "claude-profile"
		profile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456"
		base    = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"
	)
	e, le := startEnv(t, envOptions{
		local: local.Options{MinRecordsPerJob: 1, Models: []config.Model{{
			ModelName:     name,
			LiteLLMParams: config.LiteLLMParams{Model: "bedrock/" + profile},
			ModelInfo:     config.ModelInfo{BaseModel: base},
		}}},
		configure: func(gw *gateway.Gateway) {
			d := gw.Deployments[name]
			d.Jobs = profileRunner{JobRunner: d.Jobs, profile: profile, model: "anthropic.claude-3-5-haiku-20241022-v1:0"}
		},
	})
	g := &govEnv{env: e, le: le, gws: []*gateway.Gateway{e.gw}, urls: []string{e.url}}

	var info struct {
		Data []struct {
			In  float64 `json:"input_cost_per_token_batches"`
			Out float64 `json:"output_cost_per_token_batches"`
		}
	}
	g.ok(master, "GET", "/model_group/info?model_group="+name, nil, &info)
	// Claude 3.5 Haiku: $0.80 / $4 per million on demand, half for batch.
	if len(info.Data) != 1 || !near(info.Data[0].In, 0.4e-6) || !near(info.Data[0].Out, 2e-6) {
		t.Fatalf("model_group/info = %+v; want Claude 3.5 Haiku's batch prices", info.Data)
	}

	file := chatLines(3, name, 200)
	tight := g.newKey(map[string]any{"max_budget": 1e-9})
	status, ae, _ := g.createBatchErr(tight, g.uploadOK(tight, file))
	checkBudgetError(t, "a batch over the key's budget", status, ae, "key")

	key := g.newKey(map[string]any{})
	b := g.createBatch(key, g.uploadOK(key, file))
	g.runJob(b.ID)
	settled := g.settle(b.ID)
	if settled.Status != "completed" || settled.Cost <= 0 {
		t.Fatalf("settled batch: %s, cost %v; want completed at more than $0", settled.Status, settled.Cost)
	}
	var logs []struct {
		Spend    float64 `json:"spend"`
		Metadata struct {
			PriceSource string `json:"price_source"`
		} `json:"metadata"`
	}
	g.ok(master, "GET", "/spend/logs?request_id="+b.ID, nil, &logs)
	if len(logs) != 1 || logs[0].Metadata.PriceSource != cost.SourceTable || !near(logs[0].Spend, settled.Cost) {
		t.Errorf("spend logs = %+v; want one at the built-in price", logs)
	}
}
