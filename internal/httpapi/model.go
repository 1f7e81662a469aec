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

// modelGroupInfo is LiteLLM's ModelGroupInfo (litellm-analysis §6).
type modelGroupInfo struct {
	ModelGroup                 string           `json:"model_group"`
	Providers                  []string         `json:"providers"`
	MaxInputTokens             *int             `json:"max_input_tokens"`
	MaxOutputTokens            *int             `json:"max_output_tokens"`
	InputCostPerToken          float64          `json:"input_cost_per_token"`
	OutputCostPerToken         float64          `json:"output_cost_per_token"`
	InputCostPerTokenBatches   float64          `json:"input_cost_per_token_batches"`
	OutputCostPerTokenBatches  float64          `json:"output_cost_per_token_batches"`
	Mode                       string           `json:"mode"`
	TPM                        *int             `json:"tpm"`
	RPM                        *int             `json:"rpm"`
	SupportsParallelFunctions  bool             `json:"supports_parallel_function_calling"`
	SupportsVision             bool             `json:"supports_vision"`
	SupportsFunctionCalling    bool             `json:"supports_function_calling"`
	SupportsReasoning          bool             `json:"supports_reasoning"`
	SupportedOpenAIParams      []string         `json:"supported_openai_params"`
	IsPublicModelGroup         bool             `json:"is_public_model_group"`
	ConfigurableClientsideAuth []string         `json:"configurable_clientside_auth_params"`
	Deployments                []deploymentInfo `json:"deployments"` // batchgate: job slots per deployment (groups.go)
}

// handleModelGroupInfo answers LiteLLM's GET /model_group/info[?model_group=NAME],
// filtered to the caller's models, with mode "batch".
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

func newModelGroupInfo(d *gateway.Deployment) modelGroupInfo {
	mi := d.Info
	info := modelGroupInfo{
		ModelGroup: d.Name(), Providers: []string{"bedrock"}, Mode: "batch",
		MaxInputTokens: mi.MaxInputTokens, MaxOutputTokens: mi.MaxOutputTokens,
		InputCostPerTokenBatches: d.Price.Input, OutputCostPerTokenBatches: d.Price.Output,
		InputCostPerToken: d.Price.Input * 2, OutputCostPerToken: d.Price.Output * 2,
		SupportedOpenAIParams: d.SupportedParams(),
	}
	if mi.InputCostPerToken != nil {
		info.InputCostPerToken = *mi.InputCostPerToken
	}
	if mi.OutputCostPerToken != nil {
		info.OutputCostPerToken = *mi.OutputCostPerToken
	}
	caps := d.Capabilities()
	info.SupportsVision, info.SupportsFunctionCalling, info.SupportsReasoning = caps.Vision, caps.Tools, caps.Reasoning
	info.SupportsParallelFunctions = caps.Tools
	if mi.SupportsVision != nil {
		info.SupportsVision = *mi.SupportsVision
	}
	if mi.SupportsFunctionCalling != nil {
		info.SupportsFunctionCalling = *mi.SupportsFunctionCalling
	}
	if mi.SupportsReasoning != nil {
		info.SupportsReasoning = *mi.SupportsReasoning
	}
	return info
}
