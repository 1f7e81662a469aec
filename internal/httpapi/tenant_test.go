package httpapi_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/gateway"
)

// tenant is a caller of the probe suite and the objects it created.
type tenant struct {
	name, key, token, user, team string
	sharesTeam                   bool // its team lets the team's keys see each other's objects
	in, out, errFile, batch      string
}

func (tn *tenant) files() []string { return []string{tn.in, tn.out, tn.errFile} }

// sees reports whether caller c may see the objects of owner o.
func sees(c, o *tenant) bool {
	return c.name == "master" || c == o || (c.team != "" && c.team == o.team && c.sharesTeam)
}

// normalize replaces ids in a response body so that the answers for a
// foreign id and for a missing one can be compared byte for byte.
func normalize(body []byte, ids ...string) string {
	s := string(body)
	for _, id := range ids {
		s = strings.ReplaceAll(s, id, "<ID>")
	}
	return s
}

// The cross-tenant probe suite: two teams (one sharing its objects among
// its keys, one not), a user with two keys, a key with a user and no team,
// two service-account keys with neither, and the master key. Every caller
// probes every object of every other through every route and id form, the
// list routes and their cursors, and the governance routes. A foreign id
// answers exactly what a missing one does; the master key sees everything.
func TestCrossTenantProbes(t *testing.T) {
	g := newGovEnv(t, govOptions{faults: bedrocksim.Faults{PartialFraction: 0.25}, reconciler: true})
	ctx := context.Background()
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-a", "metadata": map[string]any{batchgate.TeamShareKey: true},
		"members_with_roles": []map[string]any{{"user_id": "ua1"}, {"user_id": "ua2"}}}, nil)
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-b", "members_with_roles": []map[string]any{{"user_id": "ub1"}}}, nil)
	for _, u := range []string{"ua1", "ua2", "ub1", "ux"} {
		g.ok(master, "POST", "/user/new", map[string]any{"user_id": u, "auto_create_key": false}, nil)
	}
	tenants := []*tenant{
		{name: "a1", user: "ua1", team: "t-a", sharesTeam: true},
		{name: "a2", user: "ua2", team: "t-a", sharesTeam: true},
		{name: "b1", user: "ub1", team: "t-b"},
		{name: "b2", user: "ub1", team: "t-b"}, // the same user, another key: the team does not share
		{name: "x", user: "ux"},                // a user, no team
		{name: "n1"},                           // service accounts: no user, no team
		{name: "n2"},
		{name: "master", key: master},
	}
	for _, tn := range tenants {
		if tn.key == "" {
			fields := map[string]any{"key_alias": tn.name}
			if tn.user != "" {
				fields["user_id"] = tn.user
			}
			if tn.team != "" {
				fields["team_id"] = tn.team
			}
			tn.key = g.newKey(fields)
			tn.token = gateway.HashKey(tn.key)
		}
		tn.in = g.uploadOK(tn.key, chatLines(4, model, 50))
		tn.batch = g.createBatch(tn.key, tn.in).ID
	}
	for _, tn := range tenants {
		b := g.waitBatch(tn.key, tn.batch, func(b batchObj) bool { return batchgate.Terminal(b.Status) })
		if b.Status != "completed" || b.OutputFileID == nil || b.ErrorFileID == nil {
			t.Fatalf("%s's batch: %+v", tn.name, b)
		}
		tn.out, tn.errFile = *b.OutputFileID, *b.ErrorFileID
	}
	// A second batch of a1's, still running, to probe cancel on a live batch.
	live := g.createBatch(tenants[0].key, g.uploadOK(tenants[0].key, chatLines(2, model, 50)))

	type probe struct {
		method, path string
		body         any
		hdr          []string
	}
	do := func(key string, p probe) response {
		t.Helper()
		if p.body != nil {
			return g.json(key, p.method, p.path, p.body)
		}
		return g.do(key, p.method, p.path, "", nil, p.hdr...)
	}
	// probesOf are the requests that read or change an object by id; miss
	// builds the same requests for an id that does not exist.
	probesOf := func(id string, isFile, isInput bool) []probe {
		var ps []probe
		if isFile {
			for _, pre := range []string{"/v1", ""} {
				ps = append(ps,
					probe{"GET", pre + "/files/" + id, nil, nil},
					probe{"GET", pre + "/files/" + id + "/content", nil, nil},
					probe{"GET", pre + "/files/" + id + "/content", nil, []string{"custom-llm-provider", "bedrock"}},
					probe{"DELETE", pre + "/files/" + id, nil, nil},
					probe{"POST", pre + "/batches", map[string]any{"input_file_id": id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}, nil},
				)
			}
		} else {
			for _, pre := range []string{"/v1", ""} {
				ps = append(ps, probe{"GET", pre + "/batches/" + id, nil, nil}, probe{"POST", pre + "/batches/" + id + "/cancel", nil, nil})
			}
		}
		return ps
	}

	probed := 0
	for _, c := range tenants {
		for _, o := range tenants {
			if sees(c, o) {
				continue
			}
			ids := append(o.files(), o.batch)
			if o == tenants[0] {
				ids = append(ids, live.ID, live.InputFileID)
			}
			for i, id := range ids {
				isFile := strings.HasPrefix(id, "file")
				missing := id[:len(id)-6] + "000000"
				if id == missing {
					missing = id[:len(id)-6] + "111111"
				}
				want := probesOf(missing, isFile, i == 0)
				for j, p := range probesOf(id, isFile, i == 0) {
					got := do(c.key, p)
					ref := do(c.key, want[j])
					probed++
					if got.status != 404 || ref.status != 404 || normalize(got.body, id) != normalize(ref.body, missing) {
						t.Errorf("%s → %s's %s %s: %d %s\n  a missing id answers %d %s", c.name, o.name, p.method, p.path, got.status, got.body, ref.status, ref.body)
					}
				}
			}
		}
	}

	// Nothing foreign was deleted or cancelled, and owners, team mates (when
	// the team shares) and the master key read everything they may.
	for _, c := range tenants {
		for _, o := range tenants {
			if !sees(c, o) {
				continue
			}
			for _, id := range o.files() {
				if r := g.json(c.key, "GET", "/v1/files/"+id, nil); r.status != 200 {
					t.Errorf("%s cannot read %s's file %s: %d %s", c.name, o.name, id, r.status, r.body)
				}
			}
			if r := g.json(c.key, "GET", "/v1/files/"+o.out+"/content", nil); r.status != 200 || len(r.body) == 0 {
				t.Errorf("%s cannot read %s's output: %d", c.name, o.name, r.status)
			}
			if r := g.json(c.key, "GET", "/batches/"+o.batch, nil); r.status != 200 {
				t.Errorf("%s cannot read %s's batch: %d", c.name, o.name, r.status)
			}
		}
	}
	if b, err := g.gw.Store.FindBatchByID(ctx, live.ID); err != nil || b.Status == batchgate.StatusCancelling || b.Status == batchgate.StatusCancelled {
		t.Errorf("a1's live batch after foreign cancels: %+v, %v", b, err)
	}

	// Lists and cursors: exactly what the caller may see, whole, in pages of
	// one; a foreign cursor answers as a missing one.
	liveFiles := []string{live.InputFileID}
	if b := g.waitBatch(master, live.ID, func(b batchObj) bool { return batchgate.Terminal(b.Status) }); b.OutputFileID != nil {
		liveFiles = append(liveFiles, *b.OutputFileID)
		if b.ErrorFileID != nil {
			liveFiles = append(liveFiles, *b.ErrorFileID)
		}
	}
	for _, c := range tenants {
		var wantFiles, wantBatches, foreign []string
		for _, o := range tenants {
			if sees(c, o) {
				wantFiles = append(wantFiles, o.files()...)
				wantBatches = append(wantBatches, o.batch)
				if o == tenants[0] {
					wantFiles, wantBatches = append(wantFiles, liveFiles...), append(wantBatches, live.ID)
				}
			} else {
				foreign = append(foreign, append(o.files(), o.batch)...)
			}
		}
		for _, l := range []struct {
			path string
			want []string
		}{{"/v1/files", wantFiles}, {"/files", wantFiles}, {"/v1/batches", wantBatches}, {"/batches", wantBatches}} {
			var all []string
			after := ""
			for range 100 {
				var page struct {
					Data    []struct{ ID string }
					HasMore bool    `json:"has_more"`
					LastID  *string `json:"last_id"`
				}
				g.ok(c.key, "GET", l.path+"?limit=1"+after, nil, &page)
				for _, d := range page.Data {
					all = append(all, d.ID)
				}
				if !page.HasMore {
					break
				}
				after = "&after=" + *page.LastID
			}
			var whole struct{ Data []struct{ ID string } }
			g.ok(c.key, "GET", l.path+"?limit=100", nil, &whole)
			var wholeIDs []string
			for _, d := range whole.Data {
				wholeIDs = append(wholeIDs, d.ID)
			}
			slices.Sort(all)
			slices.Sort(wholeIDs)
			want := slices.Clone(l.want)
			slices.Sort(want)
			if !slices.Equal(all, want) || !slices.Equal(wholeIDs, want) {
				t.Errorf("%s lists %s:\n paged %q\n whole %q\n want  %q", c.name, l.path, all, wholeIDs, want)
			}
			for _, f := range foreign {
				got := g.json(c.key, "GET", l.path+"?limit=5&after="+f, nil)
				ref := g.json(c.key, "GET", l.path+"?limit=5&after="+f[:len(f)-6]+"000000", nil)
				if got.status != ref.status || string(got.body) != string(ref.body) || strings.Contains(string(got.body), `"id"`) {
					t.Errorf("%s %s?after=%s: %d %s; a missing cursor: %d %s", c.name, l.path, f, got.status, got.body, ref.status, ref.body)
				}
			}
		}
	}

	// Governance routes: a virtual key reads its own key, user and team only;
	// anything else answers as missing.
	missingKey := "sk-" + strings.Repeat("0", 32)
	refKey := g.json(tenants[0].key, "GET", "/key/info?key="+missingKey, nil)
	if refKey.status != 404 {
		t.Fatalf("/key/info of a missing key: %d %s", refKey.status, refKey.body)
	}
	for _, c := range tenants[:7] {
		for _, o := range tenants {
			if o == c {
				continue
			}
			for _, k := range []string{o.key, o.token} {
				if k == "" {
					continue
				}
				if r := g.json(c.key, "GET", "/key/info?key="+k, nil); r.status != 404 || string(r.body) != string(refKey.body) {
					t.Errorf("%s → /key/info of %s's key: %d %s", c.name, o.name, r.status, r.body)
				}
			}
			for _, q := range []struct{ route, param, id string }{{"/user/info", "user_id", o.user}, {"/team/info", "team_id", o.team}} {
				if q.id == "" || (q.param == "user_id" && q.id == c.user) || (q.param == "team_id" && q.id == c.team) {
					continue
				}
				got := g.json(c.key, "GET", q.route+"?"+q.param+"="+q.id, nil)
				ref := g.json(c.key, "GET", q.route+"?"+q.param+"=nobody-"+q.id, nil)
				if got.status != 404 || normalize(got.body, q.id) != normalize(ref.body, "nobody-"+q.id) {
					t.Errorf("%s → %s?%s=%s: %d %s; missing: %s", c.name, q.route, q.param, q.id, got.status, got.body, ref.body)
				}
			}
		}
		var self struct{ Key string }
		g.ok(c.key, "GET", "/key/info", nil, &self)
		if self.Key != c.token {
			t.Errorf("%s's own key info: %q", c.name, self.Key)
		}
	}

	// Spend logs: a key sees its own (and its sharing team's); a filter on
	// anything foreign finds nothing, like a filter on nothing.
	for _, c := range tenants {
		var logs []struct {
			RequestID string `json:"request_id"`
		}
		waitUntil(t, func() bool {
			g.ok(c.key, "GET", "/spend/logs", nil, &logs)
			n := 0
			for _, o := range tenants {
				if sees(c, o) {
					n++
				}
			}
			return len(logs) >= n
		})
		for _, l := range logs {
			ok := false
			for _, o := range tenants {
				ok = ok || (sees(c, o) && (l.RequestID == o.batch || (o == tenants[0] && l.RequestID == live.ID)))
			}
			if !ok {
				t.Errorf("%s's /spend/logs shows %s", c.name, l.RequestID)
			}
		}
		if c.name == "master" {
			continue
		}
		empty := string(g.json(c.key, "GET", "/spend/logs?request_id=batch_missing", nil).body)
		for _, o := range tenants {
			if sees(c, o) {
				continue
			}
			for _, q := range []string{"request_id=" + o.batch, "api_key=" + o.key, "api_key=" + o.token, "user_id=" + o.user, "team_id=" + o.team} {
				if strings.HasSuffix(q, "=") || (strings.HasPrefix(q, "team_id=") && o.team == c.team) || (strings.HasPrefix(q, "user_id=") && o.user == c.user) {
					continue
				}
				if r := g.json(c.key, "GET", "/spend/logs?"+q, nil); r.status != 200 || string(r.body) != empty {
					t.Errorf("%s → /spend/logs?%s: %d %s", c.name, q, r.status, r.body)
				}
			}
		}
	}
	t.Logf("%d foreign probes", probed)
	if probed < 500 {
		t.Errorf("only %d foreign probes ran", probed)
	}
}
