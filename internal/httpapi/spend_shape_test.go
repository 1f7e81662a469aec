package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

// liteLLMSpendLogFields are the columns of LiteLLM's LiteLLM_SpendLogs
// table that GET /spend/logs returns for each row (BerriAI/litellm
// schema.prisma, model LiteLLM_SpendLogs; litellm/proxy/_types.py
// LiteLLM_SpendLogs). Left out, as they have no meaning for a batch:
// request_duration_ms, completionStartTime, messages, response, session_id,
// mcp_namespaced_tool_name, agent_id, proxy_server_request.
var liteLLMSpendLogFields = []string{
	"request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens", "completion_tokens",
	"startTime", "endTime", "model", "model_id", "model_group", "custom_llm_provider", "api_base", "user",
	"metadata", "cache_hit", "cache_key", "request_tags", "team_id", "organization_id", "end_user",
	"requester_ip_address", "status",
}

// spendRow is a /spend/logs row as a client decodes it.
type spendRow struct {
	RequestID string    `json:"request_id"`
	APIKey    string    `json:"api_key"`
	Spend     float64   `json:"spend"`
	StartTime time.Time `json:"startTime"`
	Model     string    `json:"model"`
	User      string    `json:"user"`
}

// spendDay is a summarized /spend/logs entry: LiteLLM's view_spend_logs
// with start_date, end_date and summarize=true (its default) groups the
// rows by day into {"startTime": date, "spend", "users": {user: spend},
// "models": {model: spend}, <api_key>: spend}
// (litellm/proxy/spend_tracking/spend_management_endpoints.py).
type spendDay map[string]any

// spendEnv records spend logs at given times, as the reconciler would have
// billed them, for two keys and the master key.
type spendEnv struct {
	*env
	keyA, keyB     string // secrets
	keyAID, keyBID string
}

func newSpendEnv(t *testing.T) *spendEnv {
	e := newEnv(t, 1)
	s := &spendEnv{env: e}
	s.ok(master, "POST", "/user/new", map[string]any{"user_id": "u-a", "auto_create_key": false}, nil)
	s.keyA = s.newKey(map[string]any{"user_id": "u-a"})
	s.keyB = s.newKey(map[string]any{})
	ctx := context.Background()
	for _, k := range []struct {
		secret string
		id     *string
	}{{s.keyA, &s.keyAID}, {s.keyB, &s.keyBID}} {
		key, err := e.gw.Store.FindKeyByToken(ctx, gateway.HashKey(k.secret))
		if err != nil {
			t.Fatal(err)
		}
		*k.id = key.ID
	}
	day := func(d, h int) time.Time { return time.Date(2026, 1, d, h, 0, 0, 0, time.UTC) }
	for _, l := range []batchgate.SpendLog{
		{BatchID: "batch_a1", Owner: batchgate.Owner{KeyID: s.keyAID, UserID: "u-a"}, Model: model, ModelID: "claude-id", Cost: 1, CreatedAt: day(1, 10)},
		{BatchID: "batch_m1", Owner: batchgate.Owner{}, Model: model, ModelID: "claude-id", Cost: 2, CreatedAt: day(1, 15)},
		{BatchID: "batch_b1", Owner: batchgate.Owner{KeyID: s.keyBID}, Model: "nova", ModelID: "nova-id", Cost: 4, CreatedAt: day(2, 23)},
		{BatchID: "batch_a2", Owner: batchgate.Owner{KeyID: s.keyAID, UserID: "u-a"}, Model: model, ModelID: "claude-id", Cost: 8, CreatedAt: day(5, 0)},
	} {
		if ok, err := e.gw.Store.RecordSpend(ctx, &l); err != nil || !ok {
			t.Fatalf("RecordSpend %s: %v %v", l.BatchID, ok, err)
		}
	}
	return s
}

func (s *spendEnv) rows(key, query string) []string {
	s.t.Helper()
	var rows []spendRow
	s.ok(key, "GET", "/spend/logs"+query, nil, &rows)
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.RequestID)
	}
	return ids
}

// With start_date and end_date, summarize=false lists the rows of those
// days (the end date included, UTC), newest first; today the dates are
// ignored and every row comes back.
func TestSpendLogsDateRangeList(t *testing.T) {
	s := newSpendEnv(t)
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"?start_date=2026-01-01&end_date=2026-01-01&summarize=false", []string{"batch_m1", "batch_a1"}},
		{"?start_date=2026-01-02&end_date=2026-01-05&summarize=false", []string{"batch_a2", "batch_b1"}},
		{"?start_date=2026-01-03&end_date=2026-01-04&summarize=false", nil},
		// A single bound still bounds (LiteLLM ignores a lone date).
		{"?start_date=2026-01-02", []string{"batch_a2", "batch_b1"}},
		{"?end_date=2026-01-01", []string{"batch_m1", "batch_a1"}},
		// Filters combine with the dates, and with each other.
		{"?start_date=2026-01-01&end_date=2026-01-31&summarize=false&api_key=" + s.keyA, []string{"batch_a2", "batch_a1"}},
		{"?start_date=2026-01-01&end_date=2026-01-01&summarize=false&user_id=u-a", []string{"batch_a1"}},
		{"?start_date=2026-01-02&end_date=2026-01-31&summarize=false&request_id=batch_a1", nil},
		{"?api_key=" + s.keyAID + "&user_id=u-a&request_id=batch_a2", []string{"batch_a2"}},
	} {
		if got := s.rows(master, c.query); !slices.Equal(got, c.want) {
			t.Errorf("/spend/logs%s = %v, want %v", c.query, got, c.want)
		}
	}
	// A virtual key sees only its own rows within the dates.
	if got := s.rows(s.keyB, "?start_date=2026-01-01&end_date=2026-01-31&summarize=false"); !slices.Equal(got, []string{"batch_b1"}) {
		t.Errorf("key B's rows = %v", got)
	}
	for _, q := range []string{"?start_date=2026-13-01&end_date=2026-01-02", "?start_date=yesterday&end_date=2026-01-02",
		"?start_date=2026-01-05&end_date=2026-01-01", "?start_date=2026-01-01&end_date=2026-01-02&summarize=maybe",
		"?start_date=1970-01-01&end_date=2026-01-02"} {
		r := s.json(master, "GET", "/spend/logs"+q, nil)
		var e apiError
		r.json(t, &e)
		if r.status != http.StatusBadRequest || e.Error.Param == nil || e.Error.Type != "invalid_request_error" {
			t.Errorf("/spend/logs%s: %d %s; want 400 naming the parameter", q, r.status, r.body)
		}
	}
}

// With both dates and summarize (true by default, as in LiteLLM), the
// answer is one entry per day: the day's spend, per user, per model and
// per api_key, and a zero entry for each day without spend.
func TestSpendLogsDateRangeSummary(t *testing.T) {
	s := newSpendEnv(t)
	masterID := gateway.HashKey(master)
	for _, q := range []string{"?start_date=2026-01-01&end_date=2026-01-03", "?start_date=2026-01-01&end_date=2026-01-03&summarize=true"} {
		var days []spendDay
		s.ok(master, "GET", "/spend/logs"+q, nil, &days)
		if len(days) != 3 {
			t.Fatalf("%s: %d entries, want one per day (3): %v", q, len(days), days)
		}
		want := []spendDay{
			{"startTime": "2026-01-01", "spend": 3.0, "users": map[string]any{"u-a": 1.0, "": 2.0},
				"models": map[string]any{"claude-id": 3.0}, s.keyAID: 1.0, masterID: 2.0},
			{"startTime": "2026-01-02", "spend": 4.0, "users": map[string]any{"": 4.0}, "models": map[string]any{"nova-id": 4.0}, s.keyBID: 4.0},
			{"startTime": "2026-01-03", "spend": 0.0, "users": map[string]any{}, "models": map[string]any{}},
		}
		for i := range want {
			g, _ := json.Marshal(days[i])
			w, _ := json.Marshal(want[i])
			if string(g) != string(w) {
				t.Errorf("%s day %d = %s, want %s", q, i, g, w)
			}
		}
	}
	// Filters apply before the sums.
	var days []spendDay
	s.ok(master, "GET", "/spend/logs?start_date=2026-01-01&end_date=2026-01-01&api_key="+s.keyA, nil, &days)
	if len(days) != 1 || days[0]["spend"] != 1.0 || days[0][s.keyAID] != 1.0 || days[0][masterID] != nil {
		t.Errorf("key A's summary = %v", days)
	}
}

// The rows carry LiteLLM's LiteLLM_SpendLogs fields; the master key's
// batches name it in api_key (LiteLLM's value: the SHA-256 of the key),
// not with "", and api_key= takes the master key or that hash.
func TestSpendLogsRowShape(t *testing.T) {
	s := newSpendEnv(t)
	r := s.json(master, "GET", "/spend/logs?request_id=batch_m1", nil)
	var rows []map[string]any
	r.json(t, &rows)
	if len(rows) != 1 {
		t.Fatalf("rows = %s", r.body)
	}
	for _, f := range liteLLMSpendLogFields {
		if _, ok := rows[0][f]; !ok {
			t.Errorf("LiteLLM's %q is missing: %s", f, r.body)
		}
	}
	checks := map[string]any{"request_id": "batch_m1", "call_type": "batch", "api_key": gateway.HashKey(master), "spend": 2.0,
		"model": "claude-id", "model_id": "", "model_group": model, "custom_llm_provider": "bedrock", "status": "success",
		"startTime": "2026-01-01T15:00:00Z"}
	for f, want := range checks {
		if got := rows[0][f]; got != want {
			t.Errorf("%s = %v, want %v", f, got, want)
		}
	}
	if strings.Contains(string(r.body), master) {
		t.Errorf("the master key itself is shown: %s", r.body)
	}
	for _, k := range []string{master, gateway.HashKey(master)} {
		if got := s.rows(master, "?api_key="+k); !slices.Equal(got, []string{"batch_m1"}) {
			t.Errorf("api_key=%s… gives %v, want the master key's batch", k[:8], got)
		}
	}
	// A virtual key's own view never shows the master key's rows.
	if got := s.rows(s.keyB, "?api_key="+gateway.HashKey(master)); len(got) != 0 {
		t.Errorf("key B sees %v", got)
	}
	if got := fmt.Sprint(s.rows(master, "?api_key="+s.keyB)); got != "[batch_b1]" {
		t.Errorf("api_key=<key B's secret> = %s", got)
	}
}
