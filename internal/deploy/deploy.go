// Package deploy builds the gateway's deployments from the configured batch
// models: each gets its S3 and Bedrock clients (aws-sdk-go-v2), its object
// store, its job runner and its prices. serve and the tests share it.
package deploy

import (
	"context"
	"fmt"

	"github.com/batchgate/batchgate/internal/awsconf"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/cost"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/s3store"
)

// New returns the deployment of one model.
func New(ctx context.Context, m config.Model) (*gateway.Deployment, error) {
	s3c, err := awsconf.S3(ctx, m.LiteLLMParams)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.ModelName, err)
	}
	br, err := awsconf.Bedrock(ctx, m.LiteLLMParams)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.ModelName, err)
	}
	return &gateway.Deployment{Model: m, Objects: s3store.New(s3c), Jobs: &bedrock.Runner{Client: br}, Price: cost.For(m)}, nil
}

// All returns the deployments of the models, in order.
func All(ctx context.Context, models []config.Model) ([]*gateway.Deployment, error) {
	out := make([]*gateway.Deployment, 0, len(models))
	for _, m := range models {
		d, err := New(ctx, m)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}
