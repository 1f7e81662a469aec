package httpapi

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/batchgate/batchgate/internal/gateway"
)

// healthTimeout bounds GET /health's checks of one deployment.
const healthTimeout = 10 * time.Second

// handleHealth answers LiteLLM's GET /health[?model=NAME&model_id=ID]:
// {"healthy_endpoints", "unhealthy_endpoints", "healthy_count",
// "unhealthy_count"}, always 200 as LiteLLM does. LiteLLM sends each
// deployment a completion; a batch deployment is healthy when its buckets
// and Bedrock's control plane answer its credentials (Deployment.Health,
// the checks of `batchgate check`). Every deployment of a model group is
// checked. A virtual key sees its models only, and, as in LiteLLM, no
// api_base.
func (s *Server) handleHealth() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c := caller(r)
		q := r.URL.Query()
		var deps []*gateway.Deployment
		for _, first := range s.Gateway.Models(c) {
			for _, d := range s.Gateway.Group(first.Name()) {
				if m := q.Get("model"); m != "" && d.Name() != m && d.Model != m {
					continue
				}
				if id := q.Get("model_id"); id != "" && d.Info.ID != id {
					continue
				}
				deps = append(deps, d)
			}
		}
		// Not the request's context: a client that hangs up must not turn
		// the checks into failures in the log.
		ctx := context.WithoutCancel(r.Context())
		failed := make([][]string, len(deps))
		var wg sync.WaitGroup
		for i, d := range deps {
			if d.Health == nil {
				continue
			}
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(ctx, healthTimeout)
				defer cancel()
				failed[i] = d.Health(ctx)
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
			detail := strings.Join(failed[i], "; ")
			logger(ctx).Warn("health", "model", d.Name(), "deployment", d.ID, "error", detail)
			e["error"] = detail
			if !c.Admin() {
				// The detail names endpoints, buckets and AWS's own messages
				// (which may name the role or account): for admins only.
				e["error"] = "the deployment's S3 buckets or Bedrock endpoint did not answer; the gateway's admin sees why in GET /health with the master key"
			}
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
	e := map[string]any{
		"model": d.Model, "model_name": d.Name(), "custom_llm_provider": "bedrock",
		"mode": deploymentMode(d), "aws_region_name": d.Region, "model_id": nil,
	}
	if d.Info.ID != "" {
		e["model_id"] = d.Info.ID
	}
	if admin && d.BedrockEndpointURL != "" {
		e["api_base"] = d.BedrockEndpointURL
	}
	return e
}

// deploymentMode is model_info.mode as configured, "batch" when unset.
func deploymentMode(d *gateway.Deployment) string {
	if d.Info.Mode != "" {
		return d.Info.Mode
	}
	return "batch"
}
