package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type batchObj struct {
	ID, Object, Status, Endpoint string
	InputFileID                  string                                   `json:"input_file_id"`
	OutputFileID                 *string                                  `json:"output_file_id"`
	ErrorFileID                  *string                                  `json:"error_file_id"`
	CompletedAt                  *int64                                   `json:"completed_at"`
	CancelledAt                  *int64                                   `json:"cancelled_at"`
	ExpiresAt                    *int64                                   `json:"expires_at"`
	CreatedAt                    int64                                    `json:"created_at"`
	RequestCounts                struct{ Total, Completed, Failed int64 } `json:"request_counts"`
	Usage                        *struct {
		InputTokens  int64 `json:"input_tokens"`
		OutputTokens int64 `json:"output_tokens"`
		TotalTokens  int64 `json:"total_tokens"`
	}
	Metadata map[string]string
	Owner    *struct {
		APIKey string `json:"api_key"`
	}
	Bedrock *struct {
		JobARN      string `json:"job_arn"`
		JobStatus   string `json:"job_status"`
		OutputS3URI string `json:"output_s3_uri"`
	}
}

func (e *env) uploadOK(key, file string) string {
	e.t.Helper()
	r := e.upload(key, part{"purpose", "batch"}, part{"file", file})
	var f struct{ ID string }
	r.json(e.t, &f)
	if r.status != 200 {
		e.t.Fatalf("upload: %d %s", r.status, r.body)
	}
	return f.ID
}

func (e *env) createBatch(key, fileID string) batchObj {
	e.t.Helper()
	r := e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": fileID, "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": map[string]string{"k": "v"}})
	var b batchObj
	r.json(e.t, &b)
	if r.status != 200 {
		e.t.Fatalf("create batch: %d %s", r.status, r.body)
	}
	return b
}

func (e *env) waitBatch(key, id string, done func(batchObj) bool) batchObj {
	e.t.Helper()
	var b batchObj
	waitUntil(e.t, func() bool {
		r := e.json(key, "GET", "/v1/batches/"+id, nil)
		r.json(e.t, &b)
		return done(b)
	})
	return b
}

func TestBatchRunsToCompletion(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	fileID := e.uploadOK(key, lines(5, model))
	b := e.createBatch(key, fileID)
	if b.Object != "batch" || b.Status != "validating" || b.InputFileID != fileID || b.Endpoint != "/v1/chat/completions" || b.ExpiresAt == nil || b.CreatedAt == 0 {
		t.Errorf("created batch = %+v", b)
	}
	b = e.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status == "completed" })
	if b.RequestCounts.Total != 5 || b.RequestCounts.Completed != 5 || b.OutputFileID == nil || b.ErrorFileID != nil || b.CompletedAt == nil || b.Metadata["k"] != "v" {
		t.Fatalf("completed batch = %+v", b)
	}
	if b.Usage == nil || b.Usage.InputTokens <= 0 || b.Usage.TotalTokens != b.Usage.InputTokens+b.Usage.OutputTokens {
		t.Errorf("usage = %+v", b.Usage)
	}
	// The owner extension names the key by its key_id, as /key/info does
	// (not by its token: the same secret issued again is another key).
	var info struct {
		Info struct {
			KeyID string `json:"key_id"`
		}
	}
	e.json(key, "GET", "/key/info", nil).json(t, &info)
	if b.Owner == nil || !strings.HasPrefix(b.Owner.APIKey, "key-") || b.Owner.APIKey != info.Info.KeyID {
		t.Errorf("owner = %+v, want the key's key_id %q", b.Owner, info.Info.KeyID)
	}
	// The bedrock extension locates the job and its raw output.
	if bd := b.Bedrock; bd == nil || !strings.Contains(bd.JobARN, ":model-invocation-job/") || bd.JobStatus != "Completed" ||
		!strings.HasPrefix(bd.OutputS3URI, "s3://") || !strings.HasSuffix(bd.OutputS3URI, "/batchgate/output/"+b.ID+"/") {
		t.Errorf("bedrock = %+v", b.Bedrock)
	}

	// The output file is the caller's, with purpose batch_output.
	var f struct{ Purpose string }
	e.json(key, "GET", "/v1/files/"+*b.OutputFileID, nil).json(t, &f)
	if f.Purpose != "batch_output" {
		t.Errorf("output file purpose = %q", f.Purpose)
	}
	out := e.do(key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil)
	raw := e.do(key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil, "custom-llm-provider", "bedrock")
	if out.status != 200 || strings.Count(string(out.body), "\n") != 5 || !strings.Contains(string(out.body), `"chat.completion"`) {
		t.Errorf("openai content: %d %s", out.status, out.body)
	}
	if raw.status != 200 || strings.Count(string(raw.body), "\n") != 5 || !strings.Contains(string(raw.body), `"modelOutput"`) {
		t.Errorf("raw content: %d %s", raw.status, raw.body)
	}

	// The stored output object gone (a bucket lifecycle rule, say): the
	// download is a clean JSON error, not the file's Content-Length over it.
	stored, err := e.gw.Store.FindFileByID(t.Context(), *b.OutputFileID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.gw.Deployments[model].Objects.Delete(t.Context(), stored.Bucket, stored.Key); err != nil {
		t.Fatal(err)
	}
	gone := e.do(key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil)
	var ae apiError
	if gone.status < 400 || json.Unmarshal(gone.body, &ae) != nil || ae.Error.Message == "" {
		t.Errorf("content of a file whose object is gone: %d %q", gone.status, gone.body)
	}

	// Listing: newest first, paged with after.
	second := e.createBatch(key, fileID)
	var page struct {
		Data    []batchObj
		HasMore bool    `json:"has_more"`
		FirstID *string `json:"first_id"`
		LastID  *string `json:"last_id"`
	}
	e.json(key, "GET", "/v1/batches?limit=1", nil).json(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != second.ID || !page.HasMore || *page.LastID != second.ID {
		t.Fatalf("first page = %+v", page)
	}
	e.json(key, "GET", "/v1/batches?limit=1&after="+second.ID, nil).json(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != b.ID || page.HasMore {
		t.Errorf("second page = %+v", page)
	}
}

func TestBatchCreateErrors(t *testing.T) {
	e := newEnv(t, 3)
	// The embedded default runs a batch below the minimum on demand; with
	// refuse (the default of a configured model) it is refused.
	e.gw.Deployments[model].Runtime = nil
	key := e.key(model)
	small := e.uploadOK(key, lines(2, model))
	enough := e.uploadOK(key, lines(3, model))
	otherKey := e.key(model)
	tests := []struct {
		name   string
		key    string
		body   map[string]any
		status int
		param  string
		text   string
	}{
		{"ErrBelowBedrockMinimum", key, map[string]any{"input_file_id": small, "endpoint": "/v1/chat/completions", "completion_window": "24h"}, 400, "input_file_id", "at least 3"},
		{"ErrForeignFile", otherKey, map[string]any{"input_file_id": enough, "endpoint": "/v1/chat/completions", "completion_window": "24h"}, 404, "input_file_id", "No such file"},
		{"ErrMissingFile", key, map[string]any{"input_file_id": "file-nope", "endpoint": "/v1/chat/completions", "completion_window": "24h"}, 404, "input_file_id", ""},
		{"ErrNoFileID", key, map[string]any{"endpoint": "/v1/chat/completions"}, 400, "input_file_id", "required"},
		{"ErrWindow", key, map[string]any{"input_file_id": enough, "endpoint": "/v1/chat/completions", "completion_window": "1h"}, 400, "completion_window", "24h"},
		{"ErrEndpoint", key, map[string]any{"input_file_id": enough, "endpoint": "/v1/embeddings", "completion_window": "24h"}, 400, "endpoint", "does not match"},
		{"ErrType", key, map[string]any{"input_file_id": 7}, 400, "input_file_id", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.json(tt.key, "POST", "/v1/batches", tt.body)
			var ae apiError
			r.json(t, &ae)
			if r.status != tt.status || ae.Error.Param == nil || *ae.Error.Param != tt.param || !strings.Contains(ae.Error.Message, tt.text) {
				t.Errorf("status=%d body=%s, want %d param %q mentioning %q", r.status, r.body, tt.status, tt.param, tt.text)
			}
		})
	}
	if r := e.do(key, "POST", "/v1/batches", "application/json", strings.NewReader("{")); r.status != 400 {
		t.Errorf("malformed JSON: %d", r.status)
	}
}

func TestBatchIsolation(t *testing.T) {
	e := newEnv(t, 1)
	a, b := e.key(model), e.key(model)
	fileID := e.uploadOK(a, lines(2, model))
	batch := e.createBatch(a, fileID)
	done := e.waitBatch(a, batch.ID, func(b batchObj) bool { return b.Status == "completed" })
	for _, path := range []string{"/v1/batches/" + batch.ID, "/v1/files/" + fileID, "/v1/files/" + fileID + "/content", "/v1/files/" + *done.OutputFileID, "/v1/files/" + *done.OutputFileID + "/content"} {
		if r := e.json(b, "GET", path, nil); r.status != 404 {
			t.Errorf("GET %s by another key: %d %s", path, r.status, r.body)
		}
		if r := e.json(master, "GET", path, nil); r.status != 200 {
			t.Errorf("GET %s by the master key: %d", path, r.status)
		}
	}
	if r := e.json(b, "POST", "/v1/batches/"+batch.ID+"/cancel", nil); r.status != 404 {
		t.Errorf("cancel by another key: %d", r.status)
	}
	if r := e.json(b, "DELETE", "/v1/files/"+fileID, nil); r.status != 404 {
		t.Errorf("delete by another key: %d", r.status)
	}
	for _, path := range []string{"/v1/batches", "/v1/files"} {
		var list struct{ Data []any }
		e.json(b, "GET", path, nil).json(t, &list)
		if len(list.Data) != 0 {
			t.Errorf("%s by another key lists %d items", path, len(list.Data))
		}
	}
}

func TestBatchCancel(t *testing.T) {
	e := newEnvWithDelay(t, 1, 300*time.Millisecond) // slow enough for the stop to land before the job ends
	key := e.key(model)
	b := e.createBatch(key, e.uploadOK(key, lines(2, model)))
	r := e.json(key, "POST", "/v1/batches/"+b.ID+"/cancel", nil)
	var c batchObj
	r.json(t, &c)
	if r.status != 200 || (c.Status != "cancelling" && c.Status != "cancelled") {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	c = e.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status != "cancelling" })
	if c.Status != "cancelled" || c.CancelledAt == nil {
		t.Errorf("after cancel: %+v", c)
	}
	r = e.json(key, "POST", "/v1/batches/"+b.ID+"/cancel", nil)
	if r.status != 409 {
		t.Errorf("cancel of a finished batch: %d %s", r.status, r.body)
	}
}
