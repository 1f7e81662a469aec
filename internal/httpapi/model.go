package httpapi

import (
	"net/http"

	"github.com/batchgate/batchgate/internal/gateway"
)

// handleModels answers OpenAI's GET /v1/models with the caller's models.
func (s *Server) handleModels() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		type model struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		}
		data := []model{}
		for _, d := range s.Gateway.Models(caller(r)) {
			data = append(data, model{ID: d.Name(), Object: "model", Created: 1677610602, OwnedBy: "openai"})
		}
		return encode(w, http.StatusOK, map[string]any{"object": "list", "data": data})
	})
}

// modelGroupInfo is LiteLLM's ModelGroupInfo (litellm/types/router.py),
// plus batchgate's batch prices and LiteLLM's is_public_model_group.
type modelGroupInfo struct {
	ModelGroup                 string           `json:"model_group"`
	Providers                  []string         `json:"providers"`
	MaxInputTokens             *int             `json:"max_input_tokens"`
	MaxOutputTokens            *int             `json:"max_output_tokens"`
	InputCostPerToken          *float64         `json:"input_cost_per_token"`
	OutputCostPerToken         *float64         `json:"output_cost_per_token"`
	InputCostPerPixel          *float64         `json:"input_cost_per_pixel"`
	InputCostPerTokenBatches   float64          `json:"input_cost_per_token_batches"`
	OutputCostPerTokenBatches  float64          `json:"output_cost_per_token_batches"`
	Mode                       string           `json:"mode"`
	TPM                        *int             `json:"tpm"`
	RPM                        *int             `json:"rpm"`
	ITPM                       *int             `json:"itpm"`
	OTPM                       *int             `json:"otpm"`
	SupportsParallelFunctions  bool             `json:"supports_parallel_function_calling"`
	SupportsVision             bool             `json:"supports_vision"`
	SupportsWebSearch          bool             `json:"supports_web_search"`
	SupportsURLContext         bool             `json:"supports_url_context"`
	SupportsFunctionCalling    bool             `json:"supports_function_calling"`
	SupportsReasoning          bool             `json:"supports_reasoning"`
	SupportedReasoningEfforts  []string         `json:"supported_reasoning_efforts"`
	SupportedOpenAIParams      []string         `json:"supported_openai_params"`
	IsPublicModelGroup         bool             `json:"is_public_model_group"`
	ConfigurableClientsideAuth []string         `json:"configurable_clientside_auth_params"`
	Deployments                []deploymentInfo `json:"deployments"` // batchgate: job slots per deployment (groups.go)
}

// handleModelGroupInfo answers LiteLLM's GET /model_group/info[?model_group=NAME],
// filtered to the caller's models.
func (s *Server) handleModelGroupInfo() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		want := r.URL.Query().Get("model_group")
		data := []modelGroupInfo{}
		for _, d := range s.Gateway.Models(caller(r)) {
			if want != "" && d.Name() != want {
				continue
			}
			info := newModelGroupInfo(d)
			if err := s.addDeployments(r.Context(), &info); err != nil {
				return err
			}
			data = append(data, info)
		}
		return encode(w, http.StatusOK, map[string]any{"data": data})
	})
}

// newModelGroupInfo describes a deployment: the mode as configured ("batch"
// when unset), the capabilities an upload accepts (model_info may turn one
// off, not on), the token limits (model_info's, else the model table's;
// the translator's output limit caps model_info's) and the on-demand
// prices (model_info's, else the price table's, else null).
func newModelGroupInfo(d *gateway.Deployment) modelGroupInfo {
	mi := d.Info
	caps := d.Capabilities()
	info := modelGroupInfo{
		ModelGroup: d.Name(), Providers: []string{"bedrock"}, Mode: deploymentMode(d),
		MaxInputTokens: mi.MaxInputTokens, MaxOutputTokens: mi.MaxOutputTokens,
		InputCostPerTokenBatches: d.Price.Input, OutputCostPerTokenBatches: d.Price.Output,
		SupportedOpenAIParams: caps.Params,
	}
	info.InputCostPerToken, info.OutputCostPerToken = d.Price.ListedOnDemand()
	if n := int(caps.MaxInputTokens); info.MaxInputTokens == nil && n > 0 {
		info.MaxInputTokens = &n
	}
	// The translator's output limit is what an upload accepts: model_info
	// may lower it, not raise it.
	if n := int(caps.MaxOutputTokens); n > 0 && (info.MaxOutputTokens == nil || *info.MaxOutputTokens > n && caps.Support.MaxOutputTokens > 0) {
		info.MaxOutputTokens = &n
	}
	allowed := func(accepted bool, configured *bool) bool {
		return accepted && (configured == nil || *configured)
	}
	info.SupportsVision = allowed(caps.Images, mi.SupportsVision)
	info.SupportsFunctionCalling = allowed(caps.Tools, mi.SupportsFunctionCalling)
	info.SupportsParallelFunctions = info.SupportsFunctionCalling
	info.SupportsReasoning = allowed(caps.Reasoning, mi.SupportsReasoning)
	if info.SupportsReasoning {
		info.SupportedReasoningEfforts = caps.Efforts
	}
	return info
}
