// Package deploy builds the gateway's deployments from the configured batch
// models: each gets its S3 and Bedrock clients (aws-sdk-go-v2), its object
// store, its job runner and its prices. serve and the tests share it.
package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/batchgate/batchgate/internal/awsconf"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/bedrockmodel"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/cost"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/s3store"
)

// New returns the deployment of one model, or an error when batchgate
// cannot translate batches for it or AWS's batch inference table says it
// cannot run batch jobs in its region. All also returns the warnings.
func New(ctx context.Context, m config.Model) (*gateway.Deployment, error) {
	d, _, err := build(ctx, m)
	return d, err
}

// build is New with its warning: a model the batch table does not list.
func build(ctx context.Context, m config.Model) (*gateway.Deployment, string, error) {
	s3c, err := awsconf.S3(ctx, m.LiteLLMParams)
	if err != nil {
		return nil, "", fmt.Errorf("model %s: %w", m.ModelName, err)
	}
	br, err := awsconf.Bedrock(ctx, m.LiteLLMParams)
	if err != nil {
		return nil, "", fmt.Errorf("model %s: %w", m.ModelName, err)
	}
	d := &gateway.Deployment{Model: m, Objects: s3store.New(s3c), Jobs: &bedrock.Runner{Client: br}, Price: cost.For(m)}
	if m.OnDemand() {
		rt, err := awsconf.BedrockRuntime(ctx, m.LiteLLMParams)
		if err != nil {
			return nil, "", fmt.Errorf("model %s: %w", m.ModelName, err)
		}
		d.Runtime = &bedrock.Runtime{Client: rt}
	}
	if err := d.Check(); err != nil {
		return nil, "", &UnsupportedError{Model: m.ModelName, Err: err}
	}
	verdict, msg := bedrockmodel.BatchSupport(m.LiteLLMParams.Model, m.ModelInfo.BaseModel, JobRegion(m.LiteLLMParams, br.Options().Region))
	switch verdict {
	case bedrockmodel.Unsupported:
		return nil, "", &UnsupportedError{Model: m.ModelName, Err: errors.New(msg)}
	case bedrockmodel.Unlisted:
		return d, fmt.Sprintf("model %s: %s", m.ModelName, msg), nil
	}
	return d, "", nil
}

// JobRegion is where the deployment's batch jobs run, for the batch table:
// aws_region_name, else the model ARN's region, else the Bedrock client's
// (s3_region_name, AWS_REGION, the profile's, us-east-1).
func JobRegion(p config.LiteLLMParams, client string) string {
	if p.AWSRegionName != "" {
		return p.AWSRegionName
	}
	if r := bedrockmodel.Parse(p.Model).Region; r != "" {
		return r
	}
	return client
}

// UnsupportedError is New's error for a model batchgate cannot translate
// batches for.
type UnsupportedError struct {
	Model string
	Err   error
}

func (e *UnsupportedError) Error() string { return fmt.Sprintf("model %s: %v", e.Model, e.Err) }
func (e *UnsupportedError) Unwrap() error { return e.Err }

// All returns the deployments of the models, in order. A model batchgate
// cannot translate for, or that cannot run batch jobs in its region, is an
// error when its model_info says mode: batch; otherwise (a LiteLLM config's
// chat deployment, say) it is left out, with a warning. A model the batch
// table does not list is served, with a warning.
func All(ctx context.Context, models []config.Model) (deps []*gateway.Deployment, warnings []string, err error) {
	for _, m := range models {
		d, warning, err := build(ctx, m)
		var ue *UnsupportedError
		if errors.As(err, &ue) && m.ModelInfo.Mode != "batch" {
			warnings = append(warnings, ue.Error()+": not served (it is not mode: batch)")
			continue
		}
		if err != nil {
			return nil, warnings, err
		}
		if warning != "" {
			warnings = append(warnings, warning)
		}
		deps = append(deps, d)
	}
	if len(deps) == 0 {
		return nil, warnings, errors.New("no model batchgate can run batches for: see the warnings")
	}
	return deps, warnings, nil
}
