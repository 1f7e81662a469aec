package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DeploymentSlots is one deployment of a model group at scrape time.
type DeploymentSlots struct {
	Model, ID, Region string
	Running, Max      int  // jobs not ended; batch_max_concurrent_jobs (0: none)
	Aside             bool // set aside after a refusal
}

// DeploymentsFunc reads the deployments' slots (the gateway's DeploymentStatuses).
type DeploymentsFunc func(ctx context.Context) ([]DeploymentSlots, error)

// WatchDeployments adds batchgate_deployment_jobs_running,
// batchgate_deployment_max_concurrent_jobs and
// batchgate_deployment_set_aside, by model, deployment id and region, read
// at scrape time.
func (m *Metrics) WatchDeployments(read DeploymentsFunc, log *slog.Logger) {
	labels := []string{"model", "deployment", "region"}
	m.Registry.MustRegister(&deploymentCollector{read: read, log: log,
		running: prometheus.NewDesc("batchgate_deployment_jobs_running", "Bedrock jobs of a model group's deployment that have not ended.", labels, nil),
		max:     prometheus.NewDesc("batchgate_deployment_max_concurrent_jobs", "The deployment's batch_max_concurrent_jobs (0: no limit of batchgate's own).", labels, nil),
		aside:   prometheus.NewDesc("batchgate_deployment_set_aside", "1 while the deployment is set aside after a refusal (AccessDenied, unreachable).", labels, nil),
	})
}

type deploymentCollector struct {
	read                DeploymentsFunc
	log                 *slog.Logger
	running, max, aside *prometheus.Desc
}

func (c *deploymentCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.running
	ch <- c.max
	ch <- c.aside
}

func (c *deploymentCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	deps, err := c.read(ctx)
	if err != nil {
		if c.log != nil {
			c.log.Warn("metrics: read deployment slots", "err", err)
		}
		return
	}
	for _, d := range deps {
		aside := 0.0
		if d.Aside {
			aside = 1
		}
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(d.Running), d.Model, d.ID, d.Region)
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(d.Max), d.Model, d.ID, d.Region)
		ch <- prometheus.MustNewConstMetric(c.aside, prometheus.GaugeValue, aside, d.Model, d.ID, d.Region)
	}
}
