package httpapi

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/preflight"
	"github.com/batchgate/batchgate/internal/s3store"
)

// healthTimeout bounds GET /health's checks of one deployment.
const healthTimeout = 10 * time.Second

// handleHealth answers LiteLLM's GET /health[?model=NAME&model_id=ID]:
// {"healthy_endpoints", "unhealthy_endpoints", "healthy_count",
// "unhealthy_count"}, always 200 as LiteLLM does. LiteLLM sends each
// deployment a completion; a batch deployment is healthy when its buckets
// answer HeadBucket in their region and Bedrock's control plane answers
// ListModelInvocationJobs (maxResults 1) to its credentials: the checks of
// `batchgate check` (internal/preflight), on the gateway's own clients. A
// virtual key sees its models only, and, as in LiteLLM, no api_base.
func (s *Server) handleHealth() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c := caller(r)
		q := r.URL.Query()
		var deps []*gateway.Deployment
		for _, d := range s.Gateway.Models(c) {
			if m := q.Get("model"); m != "" && d.Name() != m && d.LiteLLMParams.Model != m {
				continue
			}
			if id := q.Get("model_id"); id != "" && d.ModelInfo.ID != id {
				continue
			}
			deps = append(deps, d)
		}
		// Not the request's context: a client that hangs up must not turn
		// the checks into failures in the log.
		ctx := context.WithoutCancel(r.Context())
		failed := make([][]string, len(deps))
		var wg sync.WaitGroup
		for i, d := range deps {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(ctx, healthTimeout)
				defer cancel()
				failed[i] = checkDeployment(ctx, d)
			})
		}
		wg.Wait()
		healthy, unhealthy := []map[string]any{}, []map[string]any{}
		for i, d := range deps {
			e := healthEndpoint(d, c.Admin())
			if len(failed[i]) == 0 {
				healthy = append(healthy, e)
				continue
			}
			e["error"] = strings.Join(failed[i], "; ")
			logger(ctx).Warn("health", "model", d.Name(), "error", e["error"])
			unhealthy = append(unhealthy, e)
		}
		return encode(w, http.StatusOK, map[string]any{
			"healthy_endpoints": healthy, "unhealthy_endpoints": unhealthy,
			"healthy_count": len(healthy), "unhealthy_count": len(unhealthy),
		})
	})
}

// healthEndpoint is a deployment as LiteLLM's /health shows it: the
// litellm_params it displays (health_check.py's HEALTH_DISPLAY_PARAMS:
// model, custom_llm_provider, mode, aws_region_name, api_base for admins
// only), model_id (model_info.id, null when not configured) and
// batchgate's model_name. Never credentials.
func healthEndpoint(d *gateway.Deployment, admin bool) map[string]any {
	p := d.LiteLLMParams
	region := p.AWSRegionName
	if r, ok := d.Jobs.(*bedrock.Runner); ok && r.Client != nil {
		region = r.Client.Options().Region // where the jobs run
	}
	e := map[string]any{
		"model": p.Model, "model_name": d.Name(), "custom_llm_provider": "bedrock",
		"mode": deploymentMode(d), "aws_region_name": region, "model_id": nil,
	}
	if d.ModelInfo.ID != "" {
		e["model_id"] = d.ModelInfo.ID
	}
	if admin && p.BedrockEndpointURL != "" {
		e["api_base"] = p.BedrockEndpointURL
	}
	return e
}

// checkDeployment returns what failed for the deployment, each as "what
// was checked: why it failed and how to fix it".
func checkDeployment(ctx context.Context, d *gateway.Deployment) []string {
	objects, _ := d.Objects.(*s3store.Store)
	runner, _ := d.Jobs.(*bedrock.Runner)
	if objects == nil || runner == nil {
		// Not the AWS clients (a test's fakes): the bucket check alone, if the
		// object store can tell.
		var failed []string
		if bc, ok := d.Objects.(bucketChecker); ok {
			for _, b := range deploymentBuckets(d.LiteLLMParams) {
				if err := bc.CheckBucket(ctx, b); err != nil {
					failed = append(failed, "S3 bucket "+b+": "+err.Error())
				}
			}
		}
		return failed
	}
	m := config.Model{ModelName: d.Name(), LiteLLMParams: d.LiteLLMParams, ModelInfo: d.ModelInfo}
	t := preflight.ClientsTarget(m, objects.Client, runner.Client)
	var failed []string
	for _, r := range append(preflight.Buckets(ctx, t), preflight.BedrockEndpoint(ctx, t)...) {
		if r.Status == preflight.Fail {
			failed = append(failed, r.What+" — failed: "+r.Detail)
		}
	}
	return failed
}

// deploymentBuckets are the deployment's distinct buckets, input first.
func deploymentBuckets(p config.LiteLLMParams) []string {
	if out := p.OutputBucket(); out != p.S3BucketName {
		return []string{p.S3BucketName, out}
	}
	return []string{p.S3BucketName}
}

// deploymentMode is model_info.mode as configured, "batch" when unset.
func deploymentMode(d *gateway.Deployment) string {
	if d.ModelInfo.Mode != "" {
		return d.ModelInfo.Mode
	}
	return "batch"
}
