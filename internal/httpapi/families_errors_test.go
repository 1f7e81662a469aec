package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/local"
)

// TestFailedRecordsInTheErrorFile runs a batch in which Bedrock rejects one
// record (its modelInput is made invalid in S3 after the upload, as when
// Bedrock's rules differ from the translator's) and, the job ending
// PartiallyCompleted, never reaches the last two. Every failed request has
// an OpenAI error line with its custom_id; the raw Bedrock lines stay
// available with custom-llm-provider: bedrock.
func TestFailedRecordsInTheErrorFile(t *testing.T) {
	e, le := newFamilyEnv(t, bedrocksim.Faults{PartialFraction: 0.25})
	ctx := context.Background()
	key := e.key(local.ModelName)
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))

	const n = 8
	params := openai.FileNewParams{File: openai.File(strings.NewReader(lines(n, local.ModelName)), "in.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch}
	f, err := client.Files.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}

	// Break record r2 where Bedrock reads it: Claude requires max_tokens.
	stored, err := e.gw.Store.FindFileByID(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	s3c := le.S3Client()
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(stored.Bucket), Key: aws.String(stored.Key)})
	if err != nil {
		t.Fatal(err)
	}
	records := readAll(t, obj.Body)
	obj.Body.Close()
	var rec struct {
		RecordID   string         `json:"recordId"`
		ModelInput map[string]any `json:"modelInput"`
	}
	if err := json.Unmarshal([]byte(records[1]), &rec); err != nil || rec.RecordID != "r2" || rec.ModelInput["max_tokens"] == nil {
		t.Fatalf("record 2 = %s (%v)", records[1], err)
	}
	delete(rec.ModelInput, "max_tokens")
	b, _ := json.Marshal(rec)
	records[1] = string(b)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(stored.Bucket), Key: aws.String(stored.Key),
		Body: strings.NewReader(strings.Join(records, "\n") + "\n")}); err != nil {
		t.Fatal(err)
	}

	batch, err := client.Batches.New(ctx, openai.BatchNewParams{InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool {
		batch, err = client.Batches.Get(ctx, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		return batch.Status == openai.BatchStatusCompleted || batch.Status == openai.BatchStatusFailed
	})
	if batch.Status != openai.BatchStatusCompleted {
		t.Fatalf("batch %s: %+v", batch.Status, batch.Errors)
	}
	// r7 and r8 unprocessed, r2 rejected.
	if batch.RequestCounts.Total != n || batch.RequestCounts.Completed != 5 || batch.RequestCounts.Failed != 3 {
		t.Errorf("request_counts = %+v, want 5 completed and 3 failed", batch.RequestCounts)
	}
	if batch.OutputFileID == "" || batch.ErrorFileID == "" {
		t.Fatalf("output %q, error %q: want both files", batch.OutputFileID, batch.ErrorFileID)
	}

	content := func(id string, opts ...option.RequestOption) []string {
		t.Helper()
		resp, err := client.Files.Content(ctx, id, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return readAll(t, resp.Body)
	}
	var inTok, outTok int64
	for _, l := range content(batch.OutputFileID) {
		var bl batchLine
		if err := json.Unmarshal([]byte(l), &bl); err != nil || bl.Response == nil || bl.Response.StatusCode != 200 {
			t.Fatalf("output line %s (%v)", l, err)
		}
		var cc openai.ChatCompletion
		if err := json.Unmarshal(bl.Response.Body, &cc); err != nil {
			t.Fatal(err)
		}
		inTok += cc.Usage.PromptTokens
		outTok += cc.Usage.CompletionTokens
		if bl.CustomID == "r2" || bl.CustomID == "r7" || bl.CustomID == "r8" {
			t.Errorf("%s in the output file", bl.CustomID)
		}
	}
	if batch.Usage.InputTokens != inTok || batch.Usage.OutputTokens != outTok || inTok == 0 {
		t.Errorf("batch usage %+v, output lines sum to %d/%d", batch.Usage, inTok, outTok)
	}

	errLines := content(batch.ErrorFileID)
	got := map[string]batchLine{}
	for _, l := range errLines {
		var bl batchLine
		if err := json.Unmarshal([]byte(l), &bl); err != nil || bl.Error == nil || !strings.HasPrefix(bl.ID, "batch_req_") {
			t.Fatalf("error line %s (%v)", l, err)
		}
		got[bl.CustomID] = bl
	}
	if len(errLines) != 3 || len(got) != 3 {
		t.Fatalf("error file = %s, want lines for r2, r7, r8", strings.Join(errLines, "\n"))
	}
	r2 := got["r2"]
	if r2.Response == nil || r2.Response.StatusCode != 400 || !strings.Contains(r2.Error.Message, "max_tokens") {
		t.Errorf("r2 error line: %+v", r2)
	} else {
		var body struct {
			Error struct{ Message, Type string } `json:"error"`
		}
		if err := json.Unmarshal(r2.Response.Body, &body); err != nil || body.Error.Type != "invalid_request_error" || body.Error.Message == "" {
			t.Errorf("r2 response body = %s", r2.Response.Body)
		}
	}
	for _, id := range []string{"r7", "r8"} {
		if l, ok := got[id]; !ok || l.Response != nil || l.Error.Code != "batch_expired" || l.Error.Message == "" {
			t.Errorf("%s error line = %+v, want response null and code batch_expired", id, l)
		}
	}

	// Raw: Bedrock's own error record, with recordId.
	raw := content(batch.ErrorFileID, option.WithHeader("custom-llm-provider", "bedrock"))
	if len(raw) != 1 {
		t.Fatalf("raw error lines = %v, want Bedrock's one", raw)
	}
	var rr rawRecord
	if err := json.Unmarshal([]byte(raw[0]), &rr); err != nil || rr.RecordID != "r2" || rr.Error == nil || rr.Error.ErrorCode != 400 || len(rr.ModelInput) == 0 {
		t.Errorf("raw error line = %s (%v)", raw[0], err)
	}
	if n := len(content(batch.OutputFileID, option.WithHeader("custom-llm-provider", "bedrock"))); n != 5 {
		t.Errorf("raw output lines = %d, want 5", n)
	}
}

// TestUnprocessedRecordsOfASplitBatch: a batch split into two jobs, each
// ending PartiallyCompleted with its last record unprocessed, has an error
// line for each of those records.
func TestUnprocessedRecordsOfASplitBatch(t *testing.T) {
	e, _ := newFamilyEnv(t, bedrocksim.Faults{PartialFraction: 0.25})
	ctx := context.Background()
	key := e.key("claude-split")
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	batch := runFamilyBatch(t, client, "claude-split", "/v1/chat/completions", []byte(lines(8, "claude-split")))
	if batch.RequestCounts.Total != 8 || batch.RequestCounts.Completed != 6 || batch.RequestCounts.Failed != 2 || batch.ErrorFileID == "" {
		t.Fatalf("batch = %+v, want 6 completed and 2 failed", batch.RequestCounts)
	}
	resp, err := client.Files.Content(ctx, batch.ErrorFileID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ids []string
	for _, l := range readAll(t, resp.Body) {
		var bl batchLine
		if err := json.Unmarshal([]byte(l), &bl); err != nil || bl.Error == nil || bl.Error.Code != "batch_expired" || bl.Response != nil {
			t.Fatalf("error line %s (%v)", l, err)
		}
		ids = append(ids, bl.CustomID)
	}
	if strings.Join(ids, ",") != "r4,r8" {
		t.Errorf("error lines for %v, want r4 and r8 (the last record of each job)", ids)
	}
}
