// Package deploy builds the gateway's deployments from the configured batch
// models: each gets its S3 and Bedrock clients (aws-sdk-go-v2), its object
// store, its job runner and its prices. serve and the tests share it.
package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/batchgate/batchgate"

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
	d := FromConfig(m, m.LiteLLMParams.JobRegion(br.Options().Region), s3store.New(s3c), &bedrock.Runner{Client: br})
	if m.OnDemand() {
		rt, err := awsconf.BedrockRuntime(ctx, m.LiteLLMParams)
		if err != nil {
			return nil, "", fmt.Errorf("model %s: %w", m.ModelName, err)
		}
		d.Runtime, d.OnDemandConcurrency = &bedrock.Runtime{Client: rt}, m.OnDemandConcurrency()
	}
	if err := d.Check(); err != nil {
		return nil, "", &UnsupportedError{Model: m.ModelName, Err: err}
	}
	verdict, msg := bedrockmodel.BatchSupport(m.LiteLLMParams.Model, m.ModelInfo.BaseModel, d.Region)
	switch verdict {
	case bedrockmodel.Unsupported:
		return nil, "", &UnsupportedError{Model: m.ModelName, Err: errors.New(msg)}
	case bedrockmodel.Unlisted:
		return d, fmt.Sprintf("model %s: %s", m.ModelName, msg), nil
	}
	return d, "", nil
}

// FromConfig returns the deployment of model_list entry m, whose jobs run
// in region, with its clients: the one place config shapes become the
// gateway's (serve, tests and benchmarks share it).
func FromConfig(m config.Model, region string, objects batchgate.ObjectStore, jobs gateway.JobRunner) *gateway.Deployment {
	p, mi := m.LiteLLMParams, m.ModelInfo
	return &gateway.Deployment{
		ID: deploymentID(m, region), ModelName: m.ModelName,
		Model: p.Model, BedrockModelID: p.BedrockModelID(), BaseModel: mi.BaseModel, InvocationType: p.Invocation(),
		Region: region, InputBucket: p.S3BucketName, OutputBucket: p.OutputBucket(), KMSKeyID: p.S3EncryptionKeyID,
		InputPrefix: p.KeyPrefix(), OutputPrefix: p.OutputKeyPrefix(),
		RoleARN: p.AWSBatchRoleARN, BedrockEndpointURL: p.BedrockEndpointURL,
		S3Account: strings.Join([]string{p.S3EndpointURL, p.S3RegionName, p.AWSRegionName, p.S3AccessKeyID, p.AWSAccessKeyID, p.AWSProfileName}, "\x00"),
		Quotas:    gateway.Quotas(m.Quotas()),
		Price:     cost.For(m),
		Info: gateway.ModelInfo{
			ID: mi.ID, Mode: mi.Mode,
			MaxInputTokens: mi.MaxInputTokens, MaxOutputTokens: mi.MaxOutputTokens,
			InputCostPerToken: mi.InputCostPerToken, OutputCostPerToken: mi.OutputCostPerToken,
			SupportsVision: mi.SupportsVision, SupportsFunctionCalling: mi.SupportsFunctionCalling, SupportsReasoning: mi.SupportsReasoning,
		},
		Objects: objects, Jobs: jobs, Health: health(m, objects, jobs),
	}
}

// deploymentID is model_info.id when set (as LiteLLM's), else a digest of
// where the deployment's jobs run and what they read and write: stable
// across restarts and reorderings of model_list, so that a stored job is
// polled where it runs.
func deploymentID(m config.Model, region string) string {
	if m.ModelInfo.ID != "" {
		return m.ModelInfo.ID
	}
	p := m.LiteLLMParams
	sum := sha256.Sum256([]byte(strings.Join([]string{m.ModelName, p.Model, region, p.BedrockEndpointURL, p.AWSBatchRoleARN,
		p.S3BucketName, p.OutputBucket(), p.S3EndpointURL, p.AWSAccessKeyID, p.AWSProfileName}, "\x00")))
	return "dep-" + hex.EncodeToString(sum[:6])
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
