package main

import (
	"context"

	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/metrics"
)

// deploymentSlots reads the job slots of gw's deployments for /metrics.
func deploymentSlots(gw *gateway.Gateway) metrics.DeploymentsFunc {
	return func(ctx context.Context) ([]metrics.DeploymentSlots, error) {
		sts, err := gw.AllDeploymentStatuses(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]metrics.DeploymentSlots, len(sts))
		for i, s := range sts {
			out[i] = metrics.DeploymentSlots{Model: s.Model, ID: s.ID, Region: s.Region, Running: s.JobsRunning, Max: s.MaxConcurrentJobs, Aside: s.AsideUntil != nil}
		}
		return out, nil
	}
}
