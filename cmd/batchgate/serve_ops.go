package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/metrics"
	"github.com/batchgate/batchgate/internal/webhook"
)

// The webhook sender's poll interval and first retry delay; tests shorten them.
var (
	webhookInterval   = time.Second
	webhookMinBackoff = 5 * time.Second
)

// ops wires observability and webhooks around the store and deployments:
// Prometheus metrics (batchgate_settings.metrics) and webhook events
// (batchgate_settings.webhooks).
type ops struct {
	cfg     config.BatchgateSettings
	metrics *metrics.Metrics
	store   batchgate.Store // what the gateway uses: counted, and recording batch events
	sender  *webhook.Sender // nil without webhooks
}

func newOps(cfg *config.Config, store batchgate.Store, deps []*gateway.Deployment, log *slog.Logger) *ops {
	o := &ops{cfg: cfg.BatchgateSettings, metrics: metrics.New()}
	for _, d := range deps {
		d.Jobs = o.metrics.WrapJobs(d.Jobs)
	}
	o.store = o.metrics.WrapStore(store)
	events, ok := store.(batchgate.EventStore)
	if !ok {
		log.Warn("the store keeps no batch events: webhooks and running-batch metrics are off")
		return o
	}
	o.metrics.WatchStore(events.RunningBatchStats, log)
	hooks := o.cfg.Webhooks
	if len(hooks) > 0 {
		o.sender = webhook.NewSender(events, store, hooks, log)
		o.sender.Interval, o.sender.MinBackoff = webhookInterval, webhookMinBackoff
		o.sender.Outcome = o.metrics.Webhook
		for _, w := range hooks {
			log.Info("webhook endpoint", "endpoint", webhook.Redact(w.URL), "events", w.Events)
		}
	}
	o.store = &webhook.Store{Store: o.store, Events: events, Endpoints: hooks, Added: func(e *batchgate.BatchEvent) {
		o.metrics.BatchFinished(e.Type[len("batch."):])
		if o.sender != nil {
			o.sender.Wake()
		}
	}}
	return o
}

// wire adds /metrics and the request metrics to the API.
func (o *ops) wire(api *httpapi.Server) {
	api.Instrument = o.metrics.Middleware
	if o.cfg.Metrics.On() {
		api.Metrics = o.metrics.Handler()
		if api.Gateway != nil {
			o.metrics.WatchDeployments(deploymentSlots(api.Gateway), nil)
		}
		api.MetricsNeedsAuth = o.cfg.Metrics.RequireAuth
	}
}

// run sends webhooks until ctx ends.
func (o *ops) run(ctx context.Context) {
	if o.sender != nil {
		o.sender.Run(ctx)
	}
}
