package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// newAdminEnv is a gateway without models on an in-memory store: enough for
// the admin routes and request decoding, and fast.
func newAdminEnv(t *testing.T) *env {
	t.Helper()
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gw := gateway.New(store, nil, log)
	srv := httptest.NewServer((&httpapi.Server{Gateway: gw, MasterKey: master, Log: log, Version: "test", MaxUploadBytes: 1 << 20}).Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, gw: gw}
}

// wantError checks a response is the error envelope with status and param.
func wantError(t *testing.T, what string, r response, status int, param string) apiError {
	t.Helper()
	var ae apiError
	r.json(t, &ae)
	got := ""
	if ae.Error.Param != nil {
		got = *ae.Error.Param
	}
	if r.status != status || got != param || ae.Error.Message == "" {
		t.Errorf("%s: %d param=%q %s; want %d param=%q", what, r.status, got, r.body, status, param)
	}
	return ae
}

// TestKeyListPaging: a page past the end is empty (a huge page number used
// to overflow (page-1)*size and panic on keys[lo:hi]); page and size are
// checked separately.
func TestKeyListPaging(t *testing.T) {
	e := newAdminEnv(t)
	var tokens []string
	for range 3 {
		var k struct{ Token string }
		e.ok(master, "POST", "/key/generate", map[string]any{}, &k)
		tokens = append(tokens, k.Token)
	}
	type page struct {
		Keys        []string
		TotalCount  int `json:"total_count"`
		CurrentPage int `json:"current_page"`
		TotalPages  int `json:"total_pages"`
	}
	for _, tc := range []struct {
		query string
		n     int
	}{
		{"page=9223372036854775807&size=100", 0}, {"page=4611686018427387904&size=2", 0}, {"page=3&size=1", 1},
		{"page=2&size=2", 1}, {"page=3&size=2", 0}, {"", 3},
	} {
		var p page
		e.ok(master, "GET", "/key/list?"+tc.query, nil, &p)
		if len(p.Keys) != tc.n || p.TotalCount != 3 || p.Keys == nil {
			t.Errorf("%s: %+v, want %d keys of 3", tc.query, p, tc.n)
		}
		for _, k := range p.Keys {
			if !slices.Contains(tokens, k) {
				t.Errorf("%s: unknown token %s", tc.query, k)
			}
		}
	}
	for _, tc := range []struct{ query, param string }{
		{"page=0", "page"}, {"page=-1", "page"}, {"page=x", "page"}, {"page=99999999999999999999", "page"},
		{"size=0", "size"}, {"size=101", "size"}, {"page=2&size=-5", "size"},
	} {
		wantError(t, tc.query, e.json(master, "GET", "/key/list?"+tc.query, nil), 400, tc.param)
	}
}

// TestDurationsMustBePositiveAndFit: a duration that overflows (it used to
// wrap around and answer 200) or is zero is refused, naming the field.
func TestDurationsMustBePositiveAndFit(t *testing.T) {
	e := newAdminEnv(t)
	for _, field := range []string{"duration", "budget_duration"} {
		for _, v := range []string{"99999999999d", "293y", "99999999999999999999s", "0d", "0s", "30 days"} {
			wantError(t, field+"="+v, e.json(master, "POST", "/key/generate", map[string]any{field: v}), 400, field)
		}
		var k keyInfo
		e.ok(master, "POST", "/key/generate", map[string]any{field: "30d"}, &k)
		wantError(t, "update "+field, e.json(master, "POST", "/key/update", map[string]any{"key": k.Key, field: "99999999999d"}), 400, field)
	}
	var list struct {
		TotalCount int `json:"total_count"`
	}
	e.ok(master, "GET", "/key/list", nil, &list)
	if list.TotalCount != 2 {
		t.Errorf("%d keys, want the 2 with valid durations", list.TotalCount)
	}
	wantError(t, "user budget_duration", e.json(master, "POST", "/user/new", map[string]any{"budget_duration": "99999999999d"}), 400, "budget_duration")
	wantError(t, "team budget_duration", e.json(master, "POST", "/team/new", map[string]any{"budget_duration": "0d"}), 400, "budget_duration")
}

// TestJSONBodyErrors: the request body is one JSON object of at most 1 MiB;
// messages speak JSON and the API's field names, never Go's.
func TestJSONBodyErrors(t *testing.T) {
	e := newAdminEnv(t)
	raw := func(path, body string) response {
		return e.do(master, "POST", path, "application/json", strings.NewReader(body))
	}
	big := `{"metadata":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`
	ae := wantError(t, "2 MiB body", raw("/key/generate", big), 413, "")
	if !strings.Contains(ae.Error.Message, "request body") {
		t.Errorf("413 message %q does not speak of the request body", ae.Error.Message)
	}
	for _, body := range []string{`{"models":[]} {"x":1}`, `{} x`, `{}{}`, `{}]`} {
		wantError(t, "trailing "+body, raw("/key/generate", body), 400, "")
	}
	for _, body := range []string{`[1,2]`, `"key"`, `42`, `null`, `true`} {
		ae := wantError(t, "non-object "+body, raw("/key/generate", body), 400, "")
		if ae.Error.Message != "The request body must be a JSON object." {
			t.Errorf("non-object %s: message %q", body, ae.Error.Message)
		}
	}
	for _, tc := range []struct{ path, body, param string }{
		{"/key/generate", `{"max_budget":"ten"}`, "max_budget"},
		{"/key/generate", `{"budget_duration":30}`, "budget_duration"},
		{"/key/generate", `{"models":"m"}`, "models"},
		{"/key/generate", `{"models":[1]}`, "models"},
		{"/user/new", `{"max_budget":true}`, "max_budget"},
		{"/team/new", `{"members_with_roles":[{"user_id":5}]}`, "members_with_roles.user_id"},
		{"/team/new", `{"members_with_roles":{"user_id":"u"}}`, "members_with_roles"},
	} {
		r := raw(tc.path, tc.body)
		wantError(t, tc.body, r, 400, tc.param)
		for _, leak := range []string{"httpapi", "budgetRequest", "keyRequest", "float64", "[]string", "struct"} {
			if bytes.Contains(r.body, []byte(leak)) {
				t.Errorf("%s: the error names Go's %q: %s", tc.body, leak, r.body)
			}
		}
	}
	if r := raw("/key/generate", "{\"key_alias\":\"ws\"} \r\n\t "); r.status != 200 {
		t.Errorf("trailing white space: %d %s", r.status, r.body)
	}
	wantError(t, "empty body", raw("/key/generate", ""), 400, "")
}

// TestMemberAddNeedsAMember: "member": null, [] or missing did nothing and
// answered 200.
func TestMemberAddNeedsAMember(t *testing.T) {
	e := newAdminEnv(t)
	e.ok(master, "POST", "/team/new", map[string]any{"team_id": "t1"}, nil)
	for _, body := range []string{`{"team_id":"t1","member":null}`, `{"team_id":"t1"}`, `{"team_id":"t1","member":[]}`} {
		wantError(t, body, e.do(master, "POST", "/team/member_add", "application/json", strings.NewReader(body)), 400, "member")
	}
	var team struct {
		MembersWithRoles []member `json:"members_with_roles"`
	}
	e.ok(master, "POST", "/team/member_add", map[string]any{"team_id": "t1", "member": map[string]any{"user_id": "u1"}}, &team)
	if len(team.MembersWithRoles) != 1 {
		t.Errorf("members %+v", team.MembersWithRoles)
	}
}

type member struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// TestUserNewDedupesTeams: ["t", "t"] is one team: one membership, echoed
// once, and the user's key belongs to it (it got no team before: two teams).
func TestUserNewDedupesTeams(t *testing.T) {
	e := newAdminEnv(t)
	e.ok(master, "POST", "/team/new", map[string]any{"team_id": "t1"}, nil)
	var u struct {
		Teams []string
		Key   string
	}
	e.ok(master, "POST", "/user/new", map[string]any{"user_id": "u1", "teams": []string{"t1", "t1"}}, &u)
	if !slices.Equal(u.Teams, []string{"t1"}) {
		t.Errorf("teams %v, want [t1]", u.Teams)
	}
	var info struct{ Info keyInfo }
	e.ok(master, "GET", "/key/info?key="+u.Key, nil, &info)
	if info.Info.TeamID == nil || *info.Info.TeamID != "t1" {
		t.Errorf("the user's key has team %v, want t1", info.Info.TeamID)
	}
	var team struct {
		TeamInfo struct {
			MembersWithRoles []member `json:"members_with_roles"`
		} `json:"team_info"`
	}
	e.ok(master, "GET", "/team/info?team_id=t1", nil, &team)
	if len(team.TeamInfo.MembersWithRoles) != 1 {
		t.Errorf("members %+v, want u1 once", team.TeamInfo.MembersWithRoles)
	}
}

// TestKeyTeamMustExist: /key/generate and /key/update refuse a team_id that
// is not a team (a key on a phantom team escapes the team's budget and
// models). A user_id, as in LiteLLM's /key/generate, is a label: it need
// not name a user and creates none.
func TestKeyTeamMustExist(t *testing.T) {
	e := newAdminEnv(t)
	wantError(t, "generate", e.json(master, "POST", "/key/generate", map[string]any{"team_id": "t-nope"}), 400, "team_id")
	var list struct {
		TotalCount int `json:"total_count"`
	}
	e.ok(master, "GET", "/key/list", nil, &list)
	if list.TotalCount != 0 {
		t.Errorf("a refused key was stored: %d keys", list.TotalCount)
	}
	var k keyInfo
	e.ok(master, "POST", "/key/generate", map[string]any{"user_id": "u-label"}, &k)
	if r := e.json(master, "GET", "/user/info?user_id=u-label", nil); r.status != 404 {
		t.Errorf("/key/generate created its user: %d %s", r.status, r.body)
	}
	wantError(t, "update", e.json(master, "POST", "/key/update", map[string]any{"key": k.Key, "team_id": "t-nope"}), 400, "team_id")
	var info struct{ Info keyInfo }
	e.ok(master, "GET", "/key/info?key="+k.Key, nil, &info)
	if info.Info.TeamID != nil {
		t.Errorf("a refused update changed the team to %v", *info.Info.TeamID)
	}
	e.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-yes"}, nil)
	e.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "team_id": "t-yes"}, &k)
	if k.TeamID == nil || *k.TeamID != "t-yes" {
		t.Errorf("team %v, want t-yes", k.TeamID)
	}
	e.ok(master, "POST", "/key/update", map[string]any{"key": k.Key, "team_id": ""}, &k) // "" takes the key out of its team
	e.ok(master, "POST", "/key/generate", map[string]any{"team_id": "t-yes"}, nil)
}

// TestMultipartPartHeaderLimit: a part's headers are capped (64 KiB); a
// bigger header section is a 400 before anything is stored.
func TestMultipartPartHeaderLimit(t *testing.T) {
	e := newAdminEnv(t)
	key := e.newKey(map[string]any{})
	body := func(header string) string {
		return "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\nX-Pad: " + header + "\r\n\r\nbatch\r\n--b--\r\n"
	}
	r := e.do(key, "POST", "/v1/files", "multipart/form-data; boundary=b", strings.NewReader(body(strings.Repeat("a", 100<<10))))
	ae := wantError(t, "100 KiB header", r, 400, "file")
	if !strings.Contains(ae.Error.Message, "headers") {
		t.Errorf("message %q", ae.Error.Message)
	}
	// Under the limit the form is read (and refused for having no file).
	r = e.do(key, "POST", "/v1/files", "multipart/form-data; boundary=b", strings.NewReader(body(strings.Repeat("a", 60<<10))))
	if ae := wantError(t, "60 KiB header", r, 400, "file"); !strings.Contains(ae.Error.Message, "no file part") {
		t.Errorf("60 KiB header: %s", r.body)
	}
}

// TestTargetModelNames: target_model_names may be the model name or its
// Bedrock id with or without "bedrock/" (gateway.Deployment.Names, shared
// with the line check); anything else is refused.
func TestTargetModelNames(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	for _, target := range []string{model, local.ModelID, "bedrock/" + local.ModelID} {
		if r := e.upload(key, part{"file", lines(1, model)}, part{"purpose", "batch"}, part{"target_model_names", target}); r.status != 200 {
			t.Errorf("target %s: %d %s", target, r.status, r.body)
		}
	}
	r := e.upload(key, part{"file", lines(1, model)}, part{"purpose", "batch"}, part{"target_model_names", "bedrock/other-model"})
	wantError(t, "other target", r, 400, "target_model_names")
}

// TestBedrockRefusalIsNotShown: a permanent AWS error's message (which may
// name the IAM role, the account or a bucket) reaches neither the batch
// create answer nor the batch; the status stays, with a reference.
func TestBedrockRefusalIsNotShown(t *testing.T) {
	g := newGovEnv(t, govOptions{})
	secret := "User: arn:aws:sts::123456789012:assumed-role/gw-role is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/secret-batch-role (bucket private-bucket-42)"
	key := g.newKey(map[string]any{})
	fileID := g.uploadOK(key, chatLines(2, model, 50))
	for _, tc := range []struct {
		typ    bedrocksim.ErrorType
		status int
	}{{bedrocksim.AccessDeniedException, 403}, {bedrocksim.ValidationException, 400}} {
		if err := g.le.Sim().InjectError(bedrocksim.OpCreateModelInvocationJob, tc.typ, secret); err != nil {
			t.Fatal(err)
		}
		status, ae, _ := g.createBatchErr(key, fileID)
		if status != tc.status || !strings.Contains(ae.Error.Message, "Bedrock refused the job (request id ") {
			t.Errorf("%s: %d %+v", tc.typ, status, ae.Error)
		}
		var list struct{ Data []struct{ ID, Status string } }
		g.ok(key, "GET", "/v1/batches", nil, &list)
		for _, b := range list.Data {
			if b.Status != "failed" {
				t.Errorf("batch %s is %s, want failed", b.ID, b.Status)
			}
		}
		r := g.json(key, "GET", "/v1/batches", nil)
		for _, leak := range []string{"123456789012", "secret-batch-role", "private-bucket-42", "PassRole"} {
			if bytes.Contains(r.body, []byte(leak)) || strings.Contains(ae.Error.Message, leak) {
				t.Errorf("%s: %q reached the tenant: %s %s", tc.typ, leak, ae.Error.Message, r.body)
			}
		}
	}
}
