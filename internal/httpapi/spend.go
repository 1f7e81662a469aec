package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

// spendLog is a row of LiteLLM's LiteLLM_SpendLogs table (schema.prisma),
// one per billed batch. The columns that mean nothing for a batch
// (messages, response, session_id, request_duration_ms, ...) are left out.
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
	ModelID           string    `json:"model_id"`
	ModelGroup        string    `json:"model_group"`
	CustomLLMProvider string    `json:"custom_llm_provider"`
	APIBase           string    `json:"api_base"`
	User              string    `json:"user"`
	// Metadata carries what the batch was billed at: price_source,
	// input_cost_per_token and output_cost_per_token (USD).
	Metadata           map[string]any `json:"metadata"`
	CacheHit           string         `json:"cache_hit"`
	CacheKey           string         `json:"cache_key"`
	RequestTags        []string       `json:"request_tags"`
	TeamID             string         `json:"team_id"`
	OrganizationID     *string        `json:"organization_id"`
	EndUser            string         `json:"end_user"`
	RequesterIPAddress *string        `json:"requester_ip_address"`
	Status             string         `json:"status"`
}

// handleSpendLogs answers LiteLLM's GET /spend/logs
// [?api_key=&user_id=&team_id=&request_id=&start_date=&end_date=&summarize=].
// The master key sees every log; a virtual key sees its own. A log's
// api_key is its key's ID (the master key's: its SHA-256, as LiteLLM
// shows it); the filter takes the ID, the secret or its token.
//
// As in LiteLLM, start_date and end_date (YYYY-MM-DD) with summarize (true
// by default) give one entry per day; summarize=false gives the rows.
// Unlike LiteLLM, which compares startTime with end_date at midnight and
// so drops the end date's own rows, the end date is included (whole UTC
// days); every filter given applies (LiteLLM applies only the first of
// api_key, request_id, user_id when dates are given); a single date bounds
// the rows (LiteLLM ignores it); and every day of the range without spend
// has its zero entry (LiteLLM adds them only after the last day with
// spend).
func (s *Server) handleSpendLogs() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		f := batchgate.SpendFilter{UserID: q.Get("user_id"), TeamID: q.Get("team_id"), BatchID: q.Get("request_id")}
		if k := q.Get("api_key"); k != "" {
			id, err := s.Gateway.SpendKeyID(r.Context(), s.MasterKey, k)
			if err != nil {
				return err
			}
			f.KeyID = &id
		}
		from, err := spendDate(q, "start_date")
		if err != nil {
			return err
		}
		until, err := spendDate(q, "end_date")
		if err != nil {
			return err
		}
		if !from.IsZero() && !until.IsZero() && until.Before(from) {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "end_date", Message: fmt.Sprintf("end_date %s is before start_date %s.", q.Get("end_date"), q.Get("start_date"))}
		}
		f.From = from
		if !until.IsZero() {
			f.Until = until.AddDate(0, 0, 1) // the whole end date
		}
		summarize := true
		if v := q.Get("summarize"); v != "" {
			if summarize, err = parseBool(v); err != nil {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "summarize", Message: fmt.Sprintf("summarize must be true or false, not %q.", v)}
			}
		}
		days := summarize && !from.IsZero() && !until.IsZero()
		if days && until.Sub(from) > maxSpendDays*24*time.Hour {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "end_date", Message: fmt.Sprintf("a summary covers at most %d days; narrow start_date and end_date, or pass summarize=false.", maxSpendDays)}
		}
		logs, err := s.Gateway.SpendLogs(r.Context(), caller(r), f)
		if err != nil {
			return err
		}
		if days {
			return encode(w, http.StatusOK, s.spendDays(logs, from, until))
		}
		out := make([]spendLog, 0, len(logs))
		for _, l := range logs {
			out = append(out, s.newSpendLog(l))
		}
		return encode(w, http.StatusOK, out)
	})
}

// maxSpendDays bounds a summarized range: each day has an entry.
const maxSpendDays = 3660

// spendDays sums the logs per UTC day from from to until (both included),
// in LiteLLM's shape: {"startTime": "YYYY-MM-DD", "spend", "users": {user:
// spend}, "models": {model: spend}, <api_key>: spend}, oldest first.
func (s *Server) spendDays(logs []*batchgate.SpendLog, from, until time.Time) []map[string]any {
	byDay := map[string]map[string]any{}
	for _, l := range logs {
		day := l.CreatedAt.UTC().Format(time.DateOnly)
		e := byDay[day]
		if e == nil {
			e = map[string]any{"spend": 0.0, "users": map[string]float64{}, "models": map[string]float64{}}
			byDay[day] = e
		}
		row := s.newSpendLog(l)
		e["spend"] = e["spend"].(float64) + l.Cost
		e["users"].(map[string]float64)[row.User] += l.Cost
		e["models"].(map[string]float64)[row.Model] += l.Cost
		prev, _ := e[row.APIKey].(float64)
		e[row.APIKey] = prev + l.Cost
	}
	var out []map[string]any
	for d := from; !d.After(until); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		e := byDay[day]
		if e == nil {
			e = map[string]any{"spend": 0.0, "users": map[string]float64{}, "models": map[string]float64{}}
		}
		e["startTime"] = day
		out = append(out, e)
	}
	return out
}

// spendDate parses a LiteLLM date parameter (YYYY-MM-DD, UTC); zero when absent.
func spendDate(q map[string][]string, name string) (time.Time, error) {
	v := ""
	if vs := q[name]; len(vs) > 0 {
		v = vs[0]
	}
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, &batchgate.Error{Code: batchgate.EINVALID, Param: name, Message: fmt.Sprintf("%s must be a date as YYYY-MM-DD, not %q.", name, v)}
	}
	return t, nil
}

// parseBool takes what FastAPI takes for a bool query parameter.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "on":
		return true, nil
	case "no", "off":
		return false, nil
	}
	return strconv.ParseBool(v)
}

func (s *Server) newSpendLog(l *batchgate.SpendLog) spendLog {
	apiKey := l.Owner.KeyID
	if apiKey == "" && s.MasterKey != "" {
		// The master key's batches: LiteLLM logs its hashed token.
		apiKey = gateway.HashKey(s.MasterKey)
	}
	out := spendLog{
		RequestID: l.BatchID, CallType: "batch", APIKey: apiKey, Spend: l.Cost,
		TotalTokens: l.Usage.InputTokens + l.Usage.OutputTokens, PromptTokens: l.Usage.InputTokens, CompletionTokens: l.Usage.OutputTokens,
		StartTime: l.CreatedAt, EndTime: l.CreatedAt, Model: l.ModelID, ModelGroup: l.Model, CustomLLMProvider: "bedrock",
		User: l.Owner.UserID, TeamID: l.Owner.TeamID,
		Metadata: map[string]any{
			"price_source": l.PriceSource, "input_cost_per_token": l.InputCostPerToken, "output_cost_per_token": l.OutputCostPerToken,
		},
		CacheHit: "False", RequestTags: []string{}, Status: "success",
	}
	if l.Mode != "" { // "on_demand": billed at on-demand prices
		out.Metadata["mode"] = l.Mode
	}
	return out
}
