package httpapi

import (
	"net/http"
	"time"

	"github.com/batchgate/batchgate"
)

// spendLog is LiteLLM's spend log row, one per billed batch.
type spendLog struct {
	RequestID         string    `json:"request_id"`
	CallType          string    `json:"call_type"`
	APIKey            string    `json:"api_key"`
	Spend             float64   `json:"spend"`
	TotalTokens       int64     `json:"total_tokens"`
	PromptTokens      int64     `json:"prompt_tokens"`
	CompletionTokens  int64     `json:"completion_tokens"`
	StartTime         time.Time `json:"startTime"`
	EndTime           time.Time `json:"endTime"`
	Model             string    `json:"model"`
	ModelGroup        string    `json:"model_group"`
	CustomLLMProvider string    `json:"custom_llm_provider"`
	User              string    `json:"user"`
	TeamID            string    `json:"team_id"`
	// Metadata carries what the batch was billed at: price_source,
	// input_cost_per_token and output_cost_per_token (USD).
	Metadata map[string]any `json:"metadata"`
}

// handleSpendLogs answers GET /spend/logs[?api_key=&user_id=&team_id=&request_id=].
// The master key sees every log; a virtual key sees its own. A log's
// api_key is its key's ID; the filter takes the ID, the secret or its token.
func (s *Server) handleSpendLogs() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		logs, err := s.Gateway.Store.FindSpendLogs(r.Context(), caller(r).Scope)
		if err != nil {
			return err
		}
		q := r.URL.Query()
		apiKey, err := s.keyIDOf(r, q.Get("api_key"))
		if err != nil {
			return err
		}
		out := []spendLog{}
		for _, l := range logs {
			if (apiKey != "" && l.Owner.KeyID != apiKey) || (q.Get("user_id") != "" && l.Owner.UserID != q.Get("user_id")) ||
				(q.Get("team_id") != "" && l.Owner.TeamID != q.Get("team_id")) || (q.Get("request_id") != "" && l.BatchID != q.Get("request_id")) {
				continue
			}
			out = append(out, newSpendLog(l))
		}
		return encode(w, http.StatusOK, out)
	})
}

// keyIDOf returns the ID of the key given as a secret or token, or the
// value itself when no such key exists (an ID, or a deleted key's token).
func (s *Server) keyIDOf(r *http.Request, key string) (string, error) {
	if key == "" {
		return "", nil
	}
	k, err := s.Gateway.Store.FindKeyByToken(r.Context(), tokenOf(key))
	switch {
	case err == nil:
		return k.ID, nil
	case batchgate.IsNotFound(err):
		return tokenOf(key), nil
	}
	return "", err
}

func newSpendLog(l *batchgate.SpendLog) spendLog {
	out := spendLog{
		RequestID: l.BatchID, CallType: "batch", APIKey: l.Owner.KeyID, Spend: l.Cost,
		TotalTokens: l.Usage.InputTokens + l.Usage.OutputTokens, PromptTokens: l.Usage.InputTokens, CompletionTokens: l.Usage.OutputTokens,
		StartTime: l.CreatedAt, EndTime: l.CreatedAt, Model: l.ModelID, ModelGroup: l.Model, CustomLLMProvider: "bedrock",
		User: l.Owner.UserID, TeamID: l.Owner.TeamID,
		Metadata: map[string]any{
			"price_source": l.PriceSource, "input_cost_per_token": l.InputCostPerToken, "output_cost_per_token": l.OutputCostPerToken,
		},
	}
	if l.Mode != "" { // "on_demand": billed at on-demand prices
		out.Metadata["mode"] = l.Mode
	}
	return out
}
