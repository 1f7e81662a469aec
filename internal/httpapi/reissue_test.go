package httpapi_test

import (
	"strings"
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
)

// A custom secret issued again after its key was deleted makes a new key:
// it must not inherit anything of the old one. Files, batches and spend
// belong to the key's identity, not to its secret (whose hash is the same
// both times). Every route answers the old objects exactly as missing ones,
// and the old key's batch settling later bills nobody's new key.
func TestReissuedSecretOwnsNothingOfTheDeletedKey(t *testing.T) {
	g := newGovEnv(t, govOptions{faults: bedrocksim.Faults{PartialFraction: 0.25}})
	const secret = "sk-custom-reissued-0123456789"
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-old"}, nil)
	g.ok(master, "POST", "/team/new", map[string]any{"team_id": "t-new"}, nil)
	type keyResp struct {
		Key, Token string
		KeyID      string `json:"key_id"`
	}
	var oldKey keyResp
	g.ok(master, "POST", "/key/generate", map[string]any{"key": secret, "team_id": "t-old", "key_alias": "old"}, &oldKey)

	// The old key's objects: a finished batch with its three files, and a
	// batch still running (reserved, not yet billed).
	in := g.uploadOK(secret, chatLines(4, model, 50))
	done := g.createBatch(secret, in).ID
	g.runJob(done)
	b := g.settle(done)
	if b.Status != batchgate.StatusCompleted || b.OutputFileID == "" || b.ErrorFileID == "" {
		t.Fatalf("old key's batch: %+v", b)
	}
	runningIn := g.uploadOK(secret, chatLines(2, model, 50))
	running := g.createBatch(secret, runningIn).ID
	files := []string{in, b.OutputFileID, b.ErrorFileID, runningIn}
	batches := []string{done, running}

	// While the old key exists, its secret cannot be issued again.
	if r := g.json(master, "POST", "/key/generate", map[string]any{"key": secret, "team_id": "t-new"}); r.status != 409 {
		t.Fatalf("re-issuing a live key's secret: %d %s", r.status, r.body)
	}
	if r := g.json(secret, "GET", "/v1/files/"+in, nil); r.status != 200 {
		t.Fatalf("the old key after a refused re-issue: %d %s", r.status, r.body)
	}

	g.ok(master, "POST", "/key/delete", map[string]any{"keys": []string{secret}}, nil)
	var newKey keyResp
	g.ok(master, "POST", "/key/generate", map[string]any{"key": secret, "team_id": "t-new", "key_alias": "new"}, &newKey)
	if newKey.Token != oldKey.Token || newKey.KeyID == oldKey.KeyID || !strings.HasPrefix(newKey.KeyID, "key-") {
		t.Fatalf("the same secret issued twice: token %s, then %s; key_id %q, then %q", oldKey.Token, newKey.Token, oldKey.KeyID, newKey.KeyID)
	}

	type probe struct {
		method, path string
		body         any
		hdr          []string
	}
	probesOf := func(id string, isFile bool) []probe {
		var ps []probe
		for _, pre := range []string{"/v1", ""} {
			if isFile {
				ps = append(ps,
					probe{"GET", pre + "/files/" + id, nil, nil},
					probe{"GET", pre + "/files/" + id + "/content", nil, nil},
					probe{"GET", pre + "/files/" + id + "/content", nil, []string{"custom-llm-provider", "bedrock"}},
					probe{"DELETE", pre + "/files/" + id, nil, nil},
					probe{"POST", pre + "/batches", map[string]any{"input_file_id": id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}, nil},
				)
			} else {
				ps = append(ps, probe{"GET", pre + "/batches/" + id, nil, nil}, probe{"POST", pre + "/batches/" + id + "/cancel", nil, nil})
			}
		}
		return ps
	}
	do := func(p probe) response {
		if p.body != nil {
			return g.json(secret, p.method, p.path, p.body)
		}
		return g.do(secret, p.method, p.path, "", nil, p.hdr...)
	}
	for _, id := range append(append([]string{}, files...), batches...) {
		missing := id[:len(id)-6] + "000000"
		isFile := strings.HasPrefix(id, "file")
		want := probesOf(missing, isFile)
		for i, p := range probesOf(id, isFile) {
			got, ref := do(p), do(want[i])
			if got.status != 404 || ref.status != 404 || normalize(got.body, id) != normalize(ref.body, missing) {
				t.Errorf("new key → old %s %s: %d %s\n  a missing id answers %d %s", p.method, p.path, got.status, got.body, ref.status, ref.body)
			}
		}
	}
	for _, path := range []string{"/v1/files", "/files", "/v1/batches", "/batches"} {
		var list struct{ Data []struct{ ID string } }
		g.ok(secret, "GET", path, nil, &list)
		if len(list.Data) != 0 {
			t.Errorf("new key lists %s: %+v", path, list.Data)
		}
	}

	// The old key's running batch settles after the re-issue: it is billed
	// to nobody's live key, and the new key's spend and logs stay empty.
	g.runJob(running)
	g.settle(running)
	var info struct {
		Info struct{ Spend float64 } `json:"info"`
	}
	g.ok(secret, "GET", "/key/info", nil, &info)
	if info.Info.Spend != 0 {
		t.Errorf("the new key's spend after the old key's batch settled: %v", info.Info.Spend)
	}
	if r := g.json(secret, "GET", "/spend/logs", nil); r.status != 200 || strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("new key's /spend/logs: %d %s", r.status, r.body)
	}

	// The master key finds the old key's logs under its key_id; the secret
	// (or its token) names the new key, which has none.
	var logs []struct {
		RequestID string `json:"request_id"`
		APIKey    string `json:"api_key"`
	}
	g.ok(master, "GET", "/spend/logs?api_key="+oldKey.KeyID, nil, &logs)
	if len(logs) != 2 || logs[0].APIKey != oldKey.KeyID {
		t.Errorf("master's /spend/logs?api_key=<old key_id>: %+v", logs)
	}
	for _, k := range []string{secret, newKey.Token} {
		if r := g.json(master, "GET", "/spend/logs?api_key="+k, nil); r.status != 200 || strings.TrimSpace(string(r.body)) != "[]" {
			t.Errorf("master's /spend/logs?api_key=%s: %d %s", k, r.status, r.body)
		}
	}

	// Nothing was lost or changed: the master key still reads every old
	// object, and neither batch was cancelled by the new key's probes.
	for _, id := range files {
		if r := g.json(master, "GET", "/v1/files/"+id, nil); r.status != 200 {
			t.Errorf("master reads old file %s: %d %s", id, r.status, r.body)
		}
	}
	for _, id := range batches {
		var ob batchObj
		g.ok(master, "GET", "/v1/batches/"+id, nil, &ob)
		if ob.Status != batchgate.StatusCompleted {
			t.Errorf("old batch %s: %s", id, ob.Status)
		}
	}
}
