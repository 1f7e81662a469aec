package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/openai"
)

// fakeGateway serves batchgate's client routes in memory, with the same
// shapes (internal/openai's types, LiteLLM's key objects, OpenAI's error
// envelope), for the client's unit tests. A batch advances one state per
// poll: validating, in_progress (half done), then its final state.
type fakeGateway struct {
	t   *testing.T
	key string // the accepted API key

	mu        sync.Mutex
	files     map[string]*fakeFile
	batches   map[string]*fakeBatch
	order     []string // batch ids, oldest first
	keys      []map[string]any
	requests  []string // "METHOD path?query" of every request
	upload    *fakeUpload
	create    map[string]any // the last POST /v1/batches body
	keyReq    map[string]any // the last POST /key/generate body
	deleted   []string
	rawHeader bool // the last content request asked for Bedrock's lines
	final     string
	failPolls int // polls answered 503 before the next one succeeds
}

type fakeFile struct {
	f       openai.File
	content string
}

type fakeBatch struct {
	b     openai.Batch
	polls int
}

type fakeUpload struct {
	purpose, target, filename string
	content                   string
	contentLength             int64
	chunked                   bool
}

func newFakeGateway(t *testing.T) (*fakeGateway, *httptest.Server) {
	g := &fakeGateway{t: t, key: "sk-test-key", files: map[string]*fakeFile{}, batches: map[string]*fakeBatch{}, final: "completed"}
	srv := httptest.NewServer(g.handler())
	t.Cleanup(srv.Close)
	return g, srv
}

func fakeError(w http.ResponseWriter, status int, typ, msg string, extra map[string]any) {
	e := map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}
	for k, v := range extra {
		e[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func fakeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (g *fakeGateway) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/files", g.fileCreate)
	mux.HandleFunc("GET /v1/files", func(w http.ResponseWriter, r *http.Request) {
		var data []openai.File
		for _, f := range g.files {
			data = append(data, f.f)
		}
		slices.SortFunc(data, func(a, b openai.File) int { return strings.Compare(a.ID, b.ID) })
		fakeJSON(w, openai.NewList(data, func(f openai.File) string { return f.ID }, false))
	})
	mux.HandleFunc("GET /v1/files/{id}", func(w http.ResponseWriter, r *http.Request) {
		if f := g.files[r.PathValue("id")]; f != nil {
			fakeJSON(w, f.f)
			return
		}
		fakeError(w, 404, "not_found_error", "No file with id "+r.PathValue("id")+".", nil)
	})
	mux.HandleFunc("DELETE /v1/files/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if g.files[id] == nil {
			fakeError(w, 404, "not_found_error", "No file with id "+id+".", nil)
			return
		}
		delete(g.files, id)
		fakeJSON(w, openai.FileDeleted{ID: id, Object: "file", Deleted: true})
	})
	mux.HandleFunc("GET /v1/files/{id}/content", func(w http.ResponseWriter, r *http.Request) {
		f := g.files[r.PathValue("id")]
		if f == nil {
			fakeError(w, 404, "not_found_error", "No file with id "+r.PathValue("id")+".", nil)
			return
		}
		g.rawHeader = r.Header.Get("custom-llm-provider") == "bedrock"
		w.Header().Set("Content-Type", "application/octet-stream")
		if g.rawHeader {
			io.WriteString(w, strings.ReplaceAll(f.content, `"custom_id"`, `"recordId"`))
			return
		}
		io.WriteString(w, f.content)
	})
	mux.HandleFunc("POST /v1/batches", g.batchCreate)
	mux.HandleFunc("GET /v1/batches", func(w http.ResponseWriter, r *http.Request) {
		var data []openai.Batch
		for i := len(g.order) - 1; i >= 0; i-- {
			data = append(data, g.batches[g.order[i]].b)
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		more := limit > 0 && len(data) > limit
		if more {
			data = data[:limit]
		}
		fakeJSON(w, openai.NewList(data, func(b openai.Batch) string { return b.ID }, more))
	})
	mux.HandleFunc("GET /v1/batches/{id}", g.batchGet)
	mux.HandleFunc("POST /v1/batches/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		fb := g.batches[r.PathValue("id")]
		if fb == nil {
			fakeError(w, 404, "not_found_error", "No batch with id "+r.PathValue("id")+".", nil)
			return
		}
		fb.b.Status = "cancelling"
		fakeJSON(w, fb.b)
	})
	mux.HandleFunc("POST /key/generate", func(w http.ResponseWriter, r *http.Request) {
		g.keyReq = nil
		_ = json.NewDecoder(r.Body).Decode(&g.keyReq)
		k := map[string]any{"key": "sk-new-secret-1234", "key_name": "sk-...1234", "token": "tok1", "key_alias": g.keyReq["key_alias"],
			"models": g.keyReq["models"], "user_id": g.keyReq["user_id"], "team_id": nil, "metadata": map[string]any{},
			"max_budget": g.keyReq["max_budget"], "spend": 0.0, "budget_duration": nil, "budget_reset_at": nil,
			"expires": "2030-01-02T03:04:05Z", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
		if k["models"] == nil {
			k["models"] = []string{}
		}
		fakeJSON(w, k)
	})
	mux.HandleFunc("GET /key/list", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("size"))
		if page < 1 || size < 1 || size > 100 || q.Get("return_full_object") != "true" {
			fakeError(w, 400, "invalid_request_error", "bad paging", nil)
			return
		}
		lo, hi := min((page-1)*size, len(g.keys)), min(page*size, len(g.keys))
		fakeJSON(w, map[string]any{"keys": g.keys[lo:hi], "total_count": len(g.keys), "current_page": page, "total_pages": (len(g.keys) + size - 1) / size})
	})
	mux.HandleFunc("GET /key/info", func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("key")
		if key == "" {
			key = "tok-self"
		}
		fakeJSON(w, map[string]any{"key": key, "info": map[string]any{"key_name": "sk-...abcd", "token": key, "key_alias": "mine",
			"models": []string{"m1"}, "user_id": "u1", "team_id": nil, "metadata": map[string]any{}, "spend": 0.125, "max_budget": 10.0, "expires": nil}})
	})
	mux.HandleFunc("POST /key/delete", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Keys []string `json:"keys"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		g.deleted = req.Keys
		fakeJSON(w, map[string]any{"deleted_keys": req.Keys})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fakeError(w, 404, "not_found_error", r.Method+" "+r.URL.Path+" is not a batchgate route", nil)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.requests = append(g.requests, r.Method+" "+r.URL.RequestURI())
		if r.Header.Get("Authorization") != "Bearer "+g.key {
			fakeError(w, 401, "authentication_error", "Authentication Error: invalid key", nil)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// fileCreate reads the multipart stream like batchgate does, and refuses
// lines without a custom_id with the JSONL error envelope.
func (g *fakeGateway) fileCreate(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		fakeError(w, 400, "invalid_request_error", "The request must be multipart/form-data", nil)
		return
	}
	u := &fakeUpload{contentLength: r.ContentLength, chunked: slices.Contains(r.TransferEncoding, "chunked")}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			fakeError(w, 400, "invalid_request_error", err.Error(), nil)
			return
		}
		b, _ := io.ReadAll(p)
		switch p.FormName() {
		case "purpose":
			u.purpose = string(b)
		case "target_model_names":
			u.target = string(b)
		case "file":
			u.filename, u.content = p.FileName(), string(b)
		}
	}
	g.upload = u
	var problems []map[string]any
	for i, line := range strings.Split(strings.TrimSpace(u.content), "\n") {
		if !strings.Contains(line, `"custom_id"`) {
			problems = append(problems, map[string]any{"code": "missing_required_parameter", "message": "custom_id is required",
				"param": "custom_id", "line": i + 1})
		}
	}
	if len(problems) > 0 {
		msg := fmt.Sprintf("Line %d: custom_id is required", problems[0]["line"])
		if len(problems) > 1 {
			msg += fmt.Sprintf(" (%d lines have problems)", len(problems))
		}
		fakeError(w, 400, "invalid_request_error", msg, map[string]any{"code": "invalid_file", "param": "custom_id", "line": problems[0]["line"], "data": problems})
		return
	}
	if u.purpose != "batch" {
		fakeError(w, 400, "invalid_request_error", "purpose is required and must be \"batch\"", nil)
		return
	}
	id := fmt.Sprintf("file-%d", len(g.files)+1)
	f := &fakeFile{f: openai.File{ID: id, Object: "file", Bytes: int64(len(u.content)), CreatedAt: time.Now().Unix(), Filename: u.filename, Purpose: "batch", Status: "processed"}, content: u.content}
	g.files[id] = f
	fakeJSON(w, f.f)
}

func (g *fakeGateway) batchCreate(w http.ResponseWriter, r *http.Request) {
	g.create = nil
	_ = json.NewDecoder(r.Body).Decode(&g.create)
	in, _ := g.create["input_file_id"].(string)
	f := g.files[in]
	if f == nil {
		fakeError(w, 404, "not_found_error", "No file with id "+in+".", map[string]any{"param": "input_file_id"})
		return
	}
	id := fmt.Sprintf("batch_%d", len(g.batches)+1)
	meta := map[string]string{}
	if m, ok := g.create["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = fmt.Sprint(v)
		}
	}
	b := openai.Batch{ID: id, Object: "batch", Endpoint: g.create["endpoint"].(string), Model: g.upload.target, InputFileID: in,
		CompletionWindow: g.create["completion_window"].(string), Status: "validating", CreatedAt: time.Now().Unix(), Metadata: meta}
	g.batches[id] = &fakeBatch{b: b}
	g.order = append(g.order, id)
	fakeJSON(w, b)
}

func (g *fakeGateway) batchGet(w http.ResponseWriter, r *http.Request) {
	fb := g.batches[r.PathValue("id")]
	if fb == nil {
		fakeError(w, 404, "not_found_error", "No batch with id "+r.PathValue("id")+".", nil)
		return
	}
	if g.failPolls > 0 {
		g.failPolls--
		fakeError(w, 503, "service_unavailable", "restarting", nil)
		return
	}
	fb.polls++
	b := &fb.b
	lines := strings.Count(strings.TrimSpace(g.files[b.InputFileID].content), "\n") + 1
	now := time.Now().Unix()
	switch fb.polls {
	case 1:
	case 2:
		b.Status, b.InProgressAt = "in_progress", &now
		b.RequestCounts = openai.RequestCounts{Total: int64(lines), Completed: int64(lines / 2)}
	default:
		if batchEnded(b.Status) {
			break
		}
		b.Status = g.final
		switch g.final {
		case "completed":
			b.CompletedAt = &now
			b.RequestCounts = openai.RequestCounts{Total: int64(lines), Completed: int64(lines - 1), Failed: 1}
			b.Usage = &openai.BatchUsage{InputTokens: 100, OutputTokens: 50, TotalTokens: 150}
			out, errf := "file-output-"+b.ID, "file-error-"+b.ID
			b.OutputFileID, b.ErrorFileID = &out, &errf
			g.files[out] = &fakeFile{f: openai.File{ID: out, Object: "file", Purpose: "batch_output"}, content: `{"custom_id":"r1","response":{"status_code":200}}` + "\n"}
			g.files[errf] = &fakeFile{f: openai.File{ID: errf, Object: "file", Purpose: "batch_output"}, content: `{"custom_id":"r2","error":{"message":"bad"}}` + "\n"}
		case "failed":
			b.FailedAt = &now
			b.Errors = &openai.BatchErrors{Object: "list", Data: []openai.BatchError{{Code: "batch_failed", Message: "Bedrock job failed: access denied to the output bucket"}}}
		}
	}
	fakeJSON(w, fb.b)
}

// runCLI runs `batchgate ARGS...` in-process with env as the environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err = run(context.Background(), append([]string{"batchgate"}, args...), getenv, &out, &errb)
	return out.String(), errb.String(), err
}

func writeJSONL(t *testing.T, n int, model string) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"custom_id":"request-%d","method":"POST","url":"/v1/chat/completions","body":{"model":%q,"max_tokens":50,"messages":[{"role":"user","content":"Question %d?"}]}}`+"\n", i, model, i)
	}
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  string
		fmod string
		wait bool
	}{
		{[]string{"file.jsonl", "--model", "x"}, "file.jsonl", "x", false},
		{[]string{"--model", "x", "file.jsonl", "--wait"}, "file.jsonl", "x", true},
		{[]string{"a", "--wait", "b", "--model=y", "c"}, "a,b,c", "y", true},
		{[]string{"--model", "x", "--", "--wait", "-f"}, "--wait,-f", "x", false},
		{[]string{"-", "--model", "x"}, "-", "x", false},
		{nil, "", "", false},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		model := fs.String("model", "", "")
		wait := fs.Bool("wait", false, "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := strings.Join(pos, ","); got != tc.pos || *model != tc.fmod || *wait != tc.wait {
			t.Errorf("%v: pos=%q model=%q wait=%v; want %q %q %v", tc.args, got, *model, *wait, tc.pos, tc.fmod, tc.wait)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseInterspersed(fs, []string{"file", "--nope"}); err == nil {
		t.Error("an unknown flag after a positional argument was accepted")
	}
}

func TestClient_Usage(t *testing.T) {
	t.Run("MissingCommand", func(t *testing.T) {
		_, stderr, err := runCLI(t, nil, "batch")
		if err == nil || !strings.Contains(stderr, "submit") {
			t.Fatalf("err=%v stderr=%s", err, stderr)
		}
	})
	t.Run("UnknownCommand", func(t *testing.T) {
		if _, _, err := runCLI(t, nil, "files", "frobnicate"); err == nil || !strings.Contains(err.Error(), "frobnicate") {
			t.Fatalf("err=%v", err)
		}
	})
	t.Run("Help", func(t *testing.T) {
		stdout, _, err := runCLI(t, nil, "keys", "help")
		if err != nil || !strings.Contains(stdout, "create") || !strings.Contains(stdout, "--base-url") {
			t.Fatalf("err=%v stdout=%s", err, stdout)
		}
		_, stderr, err := runCLI(t, map[string]string{"BATCHGATE_API_KEY": "sk-secret-in-env"}, "batch", "submit", "-h")
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "--completion-window") {
			t.Fatalf("err=%v stderr=%s", err, stderr)
		}
		if strings.Contains(stderr, "sk-secret-in-env") {
			t.Fatal("-h shows the API key from the environment")
		}
	})
	t.Run("MissingArgument", func(t *testing.T) {
		if _, _, err := runCLI(t, nil, "batch", "status"); err == nil || !strings.Contains(err.Error(), "missing argument") {
			t.Fatalf("err=%v", err)
		}
		if _, _, err := runCLI(t, nil, "batch", "status", "a", "b"); err == nil || !strings.Contains(err.Error(), `"b"`) {
			t.Fatalf("err=%v", err)
		}
	})
}

func TestClient_Environment(t *testing.T) {
	g, srv := newFakeGateway(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"BatchgateEnv", map[string]string{"BATCHGATE_BASE_URL": srv.URL, "BATCHGATE_API_KEY": g.key, "OPENAI_BASE_URL": "http://127.0.0.1:1", "OPENAI_API_KEY": "sk-wrong"}, nil},
		{"OpenAIEnvWithV1", map[string]string{"OPENAI_BASE_URL": srv.URL + "/v1/", "OPENAI_API_KEY": g.key}, nil},
		{"FlagsWin", map[string]string{"BATCHGATE_BASE_URL": "http://127.0.0.1:1", "BATCHGATE_API_KEY": "sk-wrong"}, []string{"--base-url", srv.URL, "--api-key", g.key}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runCLI(t, tc.env, append([]string{"batch", "list"}, tc.args...)...)
			if err != nil || !strings.Contains(stderr, "no batches") {
				t.Fatalf("err=%v stderr=%s", err, stderr)
			}
		})
	}
	t.Run("NoKey", func(t *testing.T) {
		_, _, err := runCLI(t, map[string]string{"BATCHGATE_BASE_URL": srv.URL}, "files", "list")
		if err == nil || !strings.Contains(err.Error(), "Authentication Error") || !strings.Contains(err.Error(), "BATCHGATE_API_KEY") || !strings.Contains(err.Error(), "HTTP 401") {
			t.Fatalf("err=%v", err)
		}
	})
}

func TestClient_BatchSubmitWait(t *testing.T) {
	g, srv := newFakeGateway(t)
	env := map[string]string{"BATCHGATE_BASE_URL": srv.URL, "BATCHGATE_API_KEY": g.key}
	path := writeJSONL(t, 10, "claude")
	content, _ := os.ReadFile(path)

	stdout, stderr, err := runCLI(t, env, "batch", "submit", path, "--model", "bedrock-batch-claude", "--wait",
		"--metadata", "team=ml", "--metadata", "run=7", "--poll-interval", "5ms", "--progress")
	if err != nil {
		t.Fatalf("submit: %v\nstderr: %s", err, stderr)
	}
	u := g.upload
	if u.purpose != "batch" || u.target != "bedrock-batch-claude" || u.filename != "requests.jsonl" || u.content != string(content) {
		t.Fatalf("upload: purpose=%q target=%q filename=%q, content equal: %v", u.purpose, u.target, u.filename, u.content == string(content))
	}
	if u.chunked || u.contentLength <= int64(len(content)) {
		t.Errorf("upload: Content-Length=%d chunked=%v; want the exact length of a regular file", u.contentLength, u.chunked)
	}
	if got := g.create; got["input_file_id"] != "file-1" || got["endpoint"] != "/v1/chat/completions" || got["completion_window"] != "24h" ||
		fmt.Sprint(got["metadata"]) != "map[run:7 team:ml]" {
		t.Errorf("POST /v1/batches body: %v", got)
	}
	// The bars redraw at most every 100ms: the first and the last state show.
	for _, want := range []string{"uploading requests.jsonl", "created batch_1", "validating", "completed (1 failed)", "(10/10)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{
		"batch_1 completed after", "9 completed, 1 failed of 10 requests", "tokens: 100 input + 50 output = 150",
		"output: file-output-batch_1  (batchgate batch results batch_1)", "errors: file-error-batch_1  (batchgate batch results batch_1 --errors)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}

	t.Run("NoProgressBar", func(t *testing.T) {
		// Not a terminal and no --progress: one line per state, no bar.
		_, stderr, err := runCLI(t, env, "batch", "submit", path, "--model", "bedrock-batch-claude", "--wait", "--poll-interval", "5ms")
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("uploaded requests.jsonl as %s (1.6 KiB)\ncreated batch_2\nbatch_2: validating\nbatch_2: in_progress 5/10\nbatch_2: completed 10/10 (1 failed)\n", g.batches["batch_2"].b.InputFileID)
		if stderr != want {
			t.Fatalf("stderr:\n%s\nwant:\n%s", stderr, want)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		stdout, _, err := runCLI(t, env, "batch", "submit", path, "--wait", "--poll-interval", "5ms", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var b openai.Batch
		if err := json.Unmarshal([]byte(stdout), &b); err != nil || b.ID != "batch_3" || b.Status != "completed" || b.RequestCounts.Total != 10 {
			t.Fatalf("stdout is not the final batch: %v\n%s", err, stdout)
		}
		if g.upload.target != "claude" {
			t.Errorf("without --model the target is %q, want the first line's body.model", g.upload.target)
		}
	})
	t.Run("NoWait", func(t *testing.T) {
		stdout, stderr, err := runCLI(t, env, "batch", "submit", "--endpoint", "/v1/embeddings", path, "--completion-window", "48h", "--model", "m")
		if err != nil {
			t.Fatal(err)
		}
		if g.create["endpoint"] != "/v1/embeddings" || g.create["completion_window"] != "48h" {
			t.Errorf("POST /v1/batches body: %v", g.create)
		}
		if !regexp.MustCompile(`(?m)^status\s+validating$`).MatchString(stdout) || !strings.Contains(stderr, "batchgate batch status batch_4 --wait") {
			t.Fatalf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	})
	t.Run("PollRetries", func(t *testing.T) {
		g.mu.Lock()
		g.failPolls = 2
		g.mu.Unlock()
		_, stderr, err := runCLI(t, env, "batch", "submit", path, "--wait", "--poll-interval", "5ms")
		if err != nil || !strings.Contains(stderr, "restarting [HTTP 503") || !strings.Contains(stderr, "(retrying)") {
			t.Fatalf("err=%v stderr=%s", err, stderr)
		}
	})
}

func TestClient_BatchFailed(t *testing.T) {
	g, srv := newFakeGateway(t)
	g.final = "failed"
	env := map[string]string{"BATCHGATE_BASE_URL": srv.URL, "BATCHGATE_API_KEY": g.key}
	stdout, _, err := runCLI(t, env, "batch", "submit", writeJSONL(t, 4, "m"), "--wait", "--poll-interval", "5ms")
	if err == nil || err.Error() != "batch batch_1 ended failed: Bedrock job failed: access denied to the output bucket" {
		t.Fatalf("err=%v", err)
	}
	if !strings.Contains(stdout, "batch_1 failed after") || !strings.Contains(stdout, "error: Bedrock job failed") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	_, _, err = runCLI(t, env, "batch", "results", "batch_1")
	if err == nil || !strings.Contains(err.Error(), "has no output file") {
		t.Fatalf("results of a failed batch: %v", err)
	}
}

func TestClient_UploadErrors(t *testing.T) {
	g, srv := newFakeGateway(t)
	env := map[string]string{"BATCHGATE_BASE_URL": srv.URL, "BATCHGATE_API_KEY": g.key}
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	lines := []string{`{"custom_id":"a","url":"/v1/chat/completions","body":{"model":"m"}}`, `{"url":"/v1/chat/completions"}`, `{"custom_id":"c"}`, `{}`}
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	_, _, err := runCLI(t, env, "files", "upload", path)
	want := "upload bad.jsonl: Line 2: custom_id is required (2 lines have problems) [HTTP 400 invalid_file]\n" +
		"  line 2: custom_id: custom_id is required\n" +
		"  line 4: custom_id: custom_id is required"
	if err == nil || err.Error() != want {
		t.Fatalf("err:\n%v\nwant:\n%s", err, want)
	}
	if _, _, err := runCLI(t, env, "batch", "submit", filepath.Join(t.TempDir(), "missing.jsonl"), "--model", "m"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, _, err := runCLI(t, env, "files", "get", "file-nope"); err == nil || err.Error() != "No file with id file-nope. [HTTP 404 not_found_error]" {
		t.Fatalf("get: %v", err)
	}
}

func TestClient_Files(t *testing.T) {
	g, srv := newFakeGateway(t)
	env := map[string]string{"BATCHGATE_BASE_URL": srv.URL, "BATCHGATE_API_KEY": g.key}
	path := writeJSONL(t, 3, "m")
	stdout, _, err := runCLI(t, env, "files", "upload", path, "--model", "m", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var f openai.File
	if err := json.Unmarshal([]byte(stdout), &f); err != nil || f.ID != "file-1" || f.Purpose != "batch" {
		t.Fatalf("upload --json: %v: %s", err, stdout)
	}
	stdout, _, err = runCLI(t, env, "files", "list")
	if err != nil || !regexp.MustCompile(`(?m)^ID\s+FILENAME\s+PURPOSE\s+SIZE\s+CREATED\nfile-1\s+requests.jsonl\s+batch\s+\S+ B\s+\d+s ago$`).MatchString(stdout) {
		t.Fatalf("list: %v\n%s", err, stdout)
	}
	stdout, _, err = runCLI(t, env, "files", "get", "file-1")
	if err != nil || !regexp.MustCompile(`(?m)^filename\s+requests.jsonl$`).MatchString(stdout) {
		t.Fatalf("get: %v\n%s", err, stdout)
	}
	stdout, _, err = runCLI(t, env, "files", "content", "file-1")
	if want, _ := os.ReadFile(path); err != nil || stdout != string(want) {
		t.Fatalf("content: %v\n%s", err, stdout)
	}
	out := filepath.Join(t.TempDir(), "raw.jsonl")
	_, stderr, err := runCLI(t, env, "files", "content", "--raw", "file-1", "-o", out)
	got, _ := os.ReadFile(out)
	if err != nil || !g.rawHeader || !strings.Contains(string(got), `"recordId":"request-1"`) || !strings.Contains(stderr, "wrote") {
		t.Fatalf("content --raw -o: %v raw=%v\n%s\n%s", err, g.rawHeader, got, stderr)
	}
	if _, _, err := runCLI(t, env, "files", "content", "file-1", "--raw", "--openai"); err == nil {
		t.Fatal("--raw --openai accepted")
	}
	stdout, _, err = runCLI(t, env, "files", "delete", "file-1")
	if err != nil || stdout != "deleted file-1\n" {
		t.Fatalf("delete: %v %q", err, stdout)
	}
}

func TestClient_BatchCommands(t *testing.T) {
	g, srv := newFakeGateway(t)
	env := map[string]string{"BATCHGATE_BASE_URL": srv.URL, "BATCHGATE_API_KEY": g.key}
	path := writeJSONL(t, 4, "m")
	for range 3 {
		if _, _, err := runCLI(t, env, "batch", "submit", path); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := runCLI(t, env, "batch", "status", "batch_3", "--wait", "--poll-interval", "1ms"); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, err := runCLI(t, env, "batch", "list", "--limit", "2")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^ID\s+STATUS\s+MODEL\s+COMPLETED\s+FAILED\s+TOTAL\s+CREATED\nbatch_3\s+completed\s+m\s+3\s+1\s+4\s+\d+s ago\nbatch_2\s+validating\s+m\s+0\s+0\s+0\s+`).MatchString(stdout) ||
		!strings.Contains(stderr, "more: batchgate batch list --after batch_2") {
		t.Fatalf("list:\n%s\n%s", stdout, stderr)
	}
	if !slices.Contains(g.requests, "GET /v1/batches?limit=2") {
		t.Errorf("requests: %v", g.requests)
	}
	stdout, _, err = runCLI(t, env, "batch", "list", "--json")
	var list openai.List[openai.Batch]
	if err != nil || json.Unmarshal([]byte(stdout), &list) != nil || len(list.Data) != 3 || list.Object != "list" {
		t.Fatalf("list --json: %v\n%s", err, stdout)
	}

	stdout, _, err = runCLI(t, env, "batch", "status", "batch_3")
	for _, re := range []string{`(?m)^status\s+completed$`, `(?m)^requests\s+4 total, 3 completed, 1 failed$`, `(?m)^output_file_id\s+file-output-batch_3$`, `(?m)^completed_at\s+\d{4}-`} {
		if err != nil || !regexp.MustCompile(re).MatchString(stdout) {
			t.Fatalf("status: %v: no %s in\n%s", err, re, stdout)
		}
	}

	stdout, _, err = runCLI(t, env, "batch", "results", "batch_3")
	if err != nil || stdout != `{"custom_id":"r1","response":{"status_code":200}}`+"\n" {
		t.Fatalf("results: %v %q", err, stdout)
	}
	stdout, _, err = runCLI(t, env, "batch", "results", "--errors", "batch_3", "--raw")
	if err != nil || stdout != `{"recordId":"r2","error":{"message":"bad"}}`+"\n" || !g.rawHeader {
		t.Fatalf("results --errors --raw: %v %q", err, stdout)
	}
	if _, _, err := runCLI(t, env, "batch", "results", "batch_1"); err == nil || !strings.Contains(err.Error(), "batch batch_1 is validating and has no output file yet") {
		t.Fatalf("results of a running batch: %v", err)
	}

	stdout, _, err = runCLI(t, env, "batch", "cancel", "batch_1")
	if err != nil || stdout != "batch_1: cancelling\n" {
		t.Fatalf("cancel: %v %q", err, stdout)
	}
}

func TestClient_Keys(t *testing.T) {
	g, srv := newFakeGateway(t)
	env := map[string]string{"BATCHGATE_BASE_URL": srv.URL, "BATCHGATE_API_KEY": g.key}

	stdout, stderr, err := runCLI(t, env, "keys", "create", "--models", "a, b", "--user-id", "u1", "--alias", "ci", "--duration", "30d", "--max-budget", "10")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(g.keyReq); string(got) != `{"duration":"30d","key_alias":"ci","max_budget":10,"models":["a","b"],"user_id":"u1"}` {
		t.Errorf("POST /key/generate body: %s", got)
	}
	for _, re := range []string{`(?m)^key\s+sk-new-secret-1234$`, `(?m)^models\s+a,b$`, `(?m)^max_budget\s+\$10.00$`, `(?m)^expires\s+2030-01-0[12] `} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("create: no %s in\n%s", re, stdout)
		}
	}
	if !strings.Contains(stderr, "not shown again") {
		t.Errorf("stderr: %s", stderr)
	}
	if _, _, err := runCLI(t, env, "keys", "create"); err != nil || len(g.keyReq) != 0 {
		t.Errorf("create without flags sent %v (%v)", g.keyReq, err)
	}

	for i := range 150 {
		g.keys = append(g.keys, map[string]any{"token": fmt.Sprintf("tok%03d", i), "key_name": fmt.Sprintf("sk-...%04d", i), "key_alias": nil,
			"models": []string{}, "user_id": nil, "team_id": "t1", "spend": 0.5, "max_budget": nil, "expires": nil})
	}
	stdout, _, err = runCLI(t, env, "keys", "list")
	if err != nil || strings.Count(stdout, "\n") != 151 || !regexp.MustCompile(`(?m)^sk-...0149\s+-\s+all\s+-\s+t1\s+\$0.5000\s+-\s+never$`).MatchString(stdout) {
		t.Fatalf("list: %v\n%s", err, stdout)
	}
	if !slices.Contains(g.requests, "GET /key/list?page=2&return_full_object=true&size=100") {
		t.Errorf("requests: %v", g.requests)
	}
	stdout, _, err = runCLI(t, env, "keys", "list", "--json")
	var all struct {
		Keys       []map[string]any `json:"keys"`
		TotalCount int              `json:"total_count"`
	}
	if err != nil || json.Unmarshal([]byte(stdout), &all) != nil || len(all.Keys) != 150 || all.TotalCount != 150 {
		t.Fatalf("list --json: %v", err)
	}

	stdout, _, err = runCLI(t, env, "keys", "info")
	if err != nil || !regexp.MustCompile(`(?m)^token\s+tok-self$`).MatchString(stdout) || !regexp.MustCompile(`(?m)^spend\s+\$0.125000$`).MatchString(stdout) {
		t.Fatalf("info: %v\n%s", err, stdout)
	}
	if _, _, err := runCLI(t, env, "keys", "info", "sk-other key"); err != nil || !slices.Contains(g.requests, "GET /key/info?key=sk-other+key") {
		t.Fatalf("info KEY: %v %v", err, g.requests)
	}

	stdout, _, err = runCLI(t, env, "keys", "delete", "sk-abcdefghijklmnop", "tok007")
	if err != nil || !slices.Equal(g.deleted, []string{"sk-abcdefghijklmnop", "tok007"}) || stdout != "deleted sk-abcd...mnop\ndeleted tok007\n" {
		t.Fatalf("delete: %v %v %q", err, g.deleted, stdout)
	}
}

// TestClient_EndToEnd runs the client against the real gateway in local mode
// (SQLite, in-process S3 and the Bedrock emulator): key, submit --wait,
// results, list, raw content, and the direct S3 path.
func TestClient_EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local gateway")
	}
	ctx, cancel := context.WithCancel(context.Background())
	type ready struct{ url, key string }
	readyc := make(chan ready, 1)
	errc := make(chan error, 1)
	logs := &syncBuffer{}
	dataDir := t.TempDir()
	go func() {
		errc <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data", dataDir, "--reconcile-interval", "100ms", "--sim-step-delay", "20ms"},
			func(string) string { return "" }, io.Discard, logs, func(u, k string) { readyc <- ready{u, k} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	var gw ready
	select {
	case gw = <-readyc:
	case err := <-errc:
		t.Fatalf("serve: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not start")
	}
	admin := map[string]string{"BATCHGATE_BASE_URL": gw.url, "BATCHGATE_API_KEY": gw.key}

	stdout, stderr, err := runCLI(t, admin, "keys", "create", "--models", "bedrock-batch-claude", "--alias", "cli-e2e", "--json")
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, stderr)
	}
	var key struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal([]byte(stdout), &key); err != nil || !strings.HasPrefix(key.Key, "sk-") {
		t.Fatalf("keys create --json: %v\n%s", err, stdout)
	}
	dev := map[string]string{"OPENAI_BASE_URL": gw.url + "/v1", "BATCHGATE_API_KEY": key.Key}

	const n = 120
	path := writeJSONL(t, n, "bedrock-batch-claude")
	stdout, stderr, err = runCLI(t, dev, "batch", "submit", path, "--model", "bedrock-batch-claude", "--wait", "--poll-interval", "50ms",
		"--progress", "--metadata", "source=cli-test", "--json")
	if err != nil {
		t.Fatalf("batch submit --wait: %v\nstderr: %s\nlogs: %s", err, stderr, logs)
	}
	var b openai.Batch
	if err := json.Unmarshal([]byte(stdout), &b); err != nil {
		t.Fatalf("submit --json: %v\n%s", err, stdout)
	}
	if b.Status != "completed" || b.RequestCounts.Total != n || b.RequestCounts.Completed+b.RequestCounts.Failed != n ||
		b.OutputFileID == nil || b.Metadata["source"] != "cli-test" {
		t.Fatalf("final batch: %s", stdout)
	}
	if !strings.Contains(stderr, "uploading requests.jsonl") || !strings.Contains(stderr, fmt.Sprintf("/%d", n)) {
		t.Errorf("no progress bars on stderr:\n%s", stderr)
	}

	stdout, _, err = runCLI(t, dev, "batch", "results", b.ID)
	if err != nil {
		t.Fatalf("batch results: %v", err)
	}
	ids := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			CustomID string `json:"custom_id"`
			Response struct {
				StatusCode int `json:"status_code"`
				Body       struct {
					Object string `json:"object"`
				} `json:"body"`
			} `json:"response"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Response.StatusCode != 200 || l.Response.Body.Object != "chat.completion" {
			t.Fatalf("results line %q: %v", sc.Text(), err)
		}
		ids[l.CustomID] = true
	}
	if int64(len(ids)) != b.RequestCounts.Completed || !ids["request-1"] {
		t.Fatalf("results: %d distinct custom_ids, want %d", len(ids), b.RequestCounts.Completed)
	}

	stdout, _, err = runCLI(t, dev, "batch", "list", "--json")
	var list openai.List[openai.Batch]
	if err != nil || json.Unmarshal([]byte(stdout), &list) != nil || len(list.Data) != 1 || list.Data[0].ID != b.ID {
		t.Fatalf("batch list --json: %v\n%s", err, stdout)
	}

	out := filepath.Join(t.TempDir(), "raw.jsonl")
	if _, _, err := runCLI(t, dev, "files", "content", *b.OutputFileID, "--raw", "-o", out); err != nil {
		t.Fatalf("files content --raw: %v", err)
	}
	raw, _ := os.ReadFile(out)
	rawLines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var first struct {
		RecordID    string          `json:"recordId"`
		ModelInput  json.RawMessage `json:"modelInput"`
		ModelOutput json.RawMessage `json:"modelOutput"`
	}
	if int64(len(rawLines)) != b.RequestCounts.Completed || json.Unmarshal([]byte(rawLines[0]), &first) != nil || first.RecordID == "" || first.ModelOutput == nil {
		t.Fatalf("raw content: %d lines, first %s", len(rawLines), rawLines[0])
	}

	// The direct path: the same output read from the local S3 with the
	// caller's AWS environment, bypassing the gateway. The local S3 takes
	// only this run's credentials, kept in the data directory for such tools.
	s3URL := regexp.MustCompile(`"s3":"(http://[^"]+)"`).FindStringSubmatch(logs.String())
	if s3URL == nil {
		t.Fatalf("no S3 URL in the gateway's log:\n%s", logs)
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", s3URL[1])
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dataDir, "aws_credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dataDir, "no-aws-config"))
	t.Setenv("AWS_PROFILE", "batchgate-local")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	stdout, _, err = runCLI(t, nil, "files", "content", "s3://batchgate-local/")
	if err != nil {
		t.Fatalf("files content s3://: %v", err)
	}
	if got := strings.Split(strings.TrimSpace(stdout), "\n"); len(got) != n || !slices.Contains(got, rawLines[0]) {
		t.Fatalf("files content s3://: %d lines, want %d including %s", len(got), n, rawLines[0])
	}
	stdout, _, err = runCLI(t, nil, "files", "content", "s3://batchgate-local/", "--openai", "--model", "bedrock-batch-claude")
	if err != nil {
		t.Fatalf("files content s3:// --openai: %v", err)
	}
	if got := strings.Count(stdout, `"custom_id":"request-`); got != n {
		t.Fatalf("files content s3:// --openai: %d custom_ids, want %d:\n%.500s", got, n, stdout)
	}
	// The seed's "LiteLLM Direct" example: the batch's output_file_id and
	// the model's bucket, read straight from S3.
	stdout, _, err = runCLI(t, nil, "files", "content", *b.OutputFileID, "--bucket", "batchgate-local")
	if got := strings.Split(strings.TrimSpace(stdout), "\n"); err != nil || len(got) != n || !slices.Contains(got, rawLines[0]) {
		t.Fatalf("files content %s --bucket: %v, %d lines, want %d including %s", *b.OutputFileID, err, len(got), n, rawLines[0])
	}
}

// syncBuffer is a bytes.Buffer safe for the gateway's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
