package preflight

import (
	"context"

	"github.com/batchgate/batchgate/internal/bedrockmodel"
)

// ModelRegion checks AWS's table of the models that can run batch jobs in
// each region (bedrockmodel.BatchSupport), with the region serve uses. A
// model the table rules out never becomes a target (deploy.New refuses it,
// and check reports that as a failure), so this says OK or, for a model the
// table does not list, WARN.
func ModelRegion(_ context.Context, t *Target) []Result {
	m := t.Model
	region := m.LiteLLMParams.JobRegion(t.jobRegion())
	verdict, msg := bedrockmodel.BatchSupport(m.LiteLLMParams.Model, m.ModelInfo.BaseModel, region)
	what := "model can run batch jobs in " + region
	switch verdict {
	case bedrockmodel.Supported:
		return []Result{t.result(OK, what, "")}
	case bedrockmodel.Unsupported:
		return []Result{t.result(Fail, what, msg)}
	}
	return []Result{t.result(Warn, what, msg)}
}
