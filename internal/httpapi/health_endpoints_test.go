package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/local"
)

// liteLLMHealthFields are the fields of LiteLLM's GET /health
// (litellm/proxy/health_endpoints/_health_endpoints.py, health_endpoint),
// and liteLLMEndpointFields those of each endpoint: the litellm_params
// LiteLLM displays (litellm/proxy/health_check.py, HEALTH_DISPLAY_PARAMS
// that apply to Bedrock, api_base only for admins) plus model_id and, when
// unhealthy, error.
var (
	liteLLMHealthFields   = []string{"healthy_endpoints", "unhealthy_endpoints", "healthy_count", "unhealthy_count"}
	liteLLMEndpointFields = []string{"model", "custom_llm_provider", "mode", "aws_region_name", "model_id"}
)

type healthEndpoint struct {
	Model             string `json:"model"`
	ModelName         string `json:"model_name"`
	ModelID           string `json:"model_id"`
	CustomLLMProvider string `json:"custom_llm_provider"`
	Mode              string `json:"mode"`
	AWSRegionName     string `json:"aws_region_name"`
	APIBase           string `json:"api_base"`
	Error             string `json:"error"`
}

type healthResp struct {
	Healthy   []healthEndpoint `json:"healthy_endpoints"`
	Unhealthy []healthEndpoint `json:"unhealthy_endpoints"`
	HCount    int              `json:"healthy_count"`
	UCount    int              `json:"unhealthy_count"`
}

// deniedBedrock answers every Bedrock control-plane call with
// AccessDeniedException (403, not retried).
func deniedBedrock(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
	w.WriteHeader(http.StatusForbidden)
	w.Write([]byte(`{"message":"User is not authorized to perform: bedrock:ListModelInvocationJobs"}`))
}

// rebuildDeployment replaces the deployment of model name by one built
// from its configuration changed by edit.
func rebuildDeployment(t *testing.T, e *env, le *local.Env, name string, edit func(*config.LiteLLMParams)) {
	t.Helper()
	for _, m := range le.Config.ModelList {
		if m.ModelName != name {
			continue
		}
		edit(&m.LiteLLMParams)
		d, err := deploy.New(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		// In place: the gateway's model group holds the same deployment.
		*e.gw.Deployments[name] = *d
		return
	}
	t.Fatalf("no model %s", name)
}

// GET /health checks each deployment as LiteLLM's does, in its shape: a
// deployment on the embedded stack is healthy; one whose bucket does not
// exist, and one that Bedrock refuses, are unhealthy and say what failed.
// No secret is shown.
func TestHealthEndpoints(t *testing.T) {
	denied := httptest.NewServer(http.HandlerFunc(deniedBedrock))
	t.Cleanup(denied.Close)
	// The embedded S3 makes any bucket on demand; this one answers as S3
	// does for a bucket that does not exist (HeadBucket: 404, no body).
	noBuckets := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	t.Cleanup(noBuckets.Close)
	e, le := startEnv(t, envOptions{local: local.Options{MinRecordsPerJob: 1, Models: []config.Model{
		{ModelName: "no-bucket", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.amazon.nova-lite-v1:0"}, ModelInfo: config.ModelInfo{ID: "dep-no-bucket"}},
		{ModelName: "no-bedrock", LiteLLMParams: config.LiteLLMParams{Model: "bedrock/us.amazon.nova-pro-v1:0"}},
	}}})
	// The models' litellm_params are the embedded stack's; point two of them
	// at what fails.
	rebuildDeployment(t, e, le, "no-bucket", func(p *config.LiteLLMParams) {
		p.S3BucketName, p.S3EndpointURL = "no-such-bucket", noBuckets.URL
	})
	rebuildDeployment(t, e, le, "no-bedrock", func(p *config.LiteLLMParams) { p.BedrockEndpointURL = denied.URL })

	r := e.json(master, "GET", "/health", nil)
	if r.status != http.StatusOK {
		t.Fatalf("/health: %d %s", r.status, r.body)
	}
	var raw map[string]any
	r.json(t, &raw)
	for _, f := range liteLLMHealthFields {
		if _, ok := raw[f]; !ok {
			t.Errorf("LiteLLM's %q is missing: %s", f, r.body)
		}
	}
	var h healthResp
	r.json(t, &h)
	if h.HCount != 1 || h.UCount != 2 || len(h.Healthy) != 1 || len(h.Unhealthy) != 2 {
		t.Fatalf("counts %d/%d, endpoints %d/%d; want 1 healthy, 2 unhealthy: %s", h.HCount, h.UCount, len(h.Healthy), len(h.Unhealthy), r.body)
	}
	ok := h.Healthy[0]
	if ok.Model != "bedrock/"+local.ModelID || ok.ModelName != model || ok.CustomLLMProvider != "bedrock" || ok.Mode != "batch" ||
		ok.AWSRegionName != local.Region || ok.Error != "" {
		t.Errorf("healthy endpoint = %+v", ok)
	}
	bad := map[string]healthEndpoint{}
	for _, u := range h.Unhealthy {
		bad[u.ModelName] = u
	}
	if u := bad["no-bucket"]; !strings.Contains(u.Error, "no-such-bucket") || !strings.Contains(u.Error, "does not exist") || u.ModelID != "dep-no-bucket" {
		t.Errorf("no-bucket: %+v; want an error naming the missing bucket", u)
	}
	if u := bad["no-bedrock"]; !strings.Contains(u.Error, "Bedrock") || !strings.Contains(u.Error, "bedrock:ListModelInvocationJobs") || u.APIBase != denied.URL {
		t.Errorf("no-bedrock: %+v; want an error naming Bedrock's refusal", u)
	}
	var first map[string]any
	for _, l := range raw["unhealthy_endpoints"].([]any) {
		first = l.(map[string]any)
		for _, f := range append(liteLLMEndpointFields, "error") {
			if _, ok := first[f]; !ok {
				t.Errorf("endpoint field %q is missing: %v", f, first)
			}
		}
	}
	creds := le.Credentials()
	for _, secret := range []string{creds.SecretAccessKey, creds.AccessKeyID, master} {
		if strings.Contains(string(r.body), secret) {
			t.Errorf("/health shows a secret: %s", r.body)
		}
	}

	// ?model= checks one model group.
	var one healthResp
	e.ok(master, "GET", "/health?model=no-bucket", nil, &one)
	if one.HCount != 0 || one.UCount != 1 || one.Unhealthy[0].ModelName != "no-bucket" {
		t.Errorf("/health?model=no-bucket = %+v", one)
	}
	// A virtual key sees its own models, without api_base, and not what
	// failed: that names endpoints and AWS's messages.
	key := e.key("no-bedrock")
	var own healthResp
	r = e.json(key, "GET", "/health", nil)
	r.json(t, &own)
	if own.UCount != 1 || own.HCount != 0 || own.Unhealthy[0].ModelName != "no-bedrock" || strings.Contains(string(r.body), "api_base") ||
		own.Unhealthy[0].Error == "" || strings.Contains(string(r.body), denied.URL) || strings.Contains(string(r.body), "ListModelInvocationJobs") {
		t.Errorf("key's /health = %s", r.body)
	}
	var names []string
	for _, l := range append(h.Healthy, h.Unhealthy...) {
		names = append(names, l.ModelName)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{model, "no-bedrock", "no-bucket"}) {
		t.Errorf("checked %v", names)
	}
}
