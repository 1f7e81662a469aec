package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	bedrocktypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/batchgate/batchgate/internal/testenv"
)

const (
	masterKey = "sk-1234"
	roleARN   = "arn:aws:iam::888602223428:role/service-role/AmazonBedrockExecutionRoleForAgents_BB9HNW6V4CV"
	kmsKeyID  = "arn:aws:kms:us-west-2:123456789012:key/12345678-1234-1234-1234-123456789012"
	claude    = "bedrock-batch-claude"
	claudeID  = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"
)

// The seed's config, verbatim but for the KMS key (uncommented) and a second model.
const configYAML = `model_list:
  - model_name: "bedrock-batch-claude"
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      #########################################################
      ########## batch specific params ########################
      s3_bucket_name: litellm-proxy
      s3_region_name: us-west-2
      s3_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      s3_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_batch_role_arn: arn:aws:iam::888602223428:role/service-role/AmazonBedrockExecutionRoleForAgents_BB9HNW6V4CV
      # Optional: Custom KMS encryption key for S3 output
      s3_encryption_key_id: arn:aws:kms:us-west-2:123456789012:key/12345678-1234-1234-1234-123456789012
    model_info:
      mode: batch # 👈 SPECIFY MODE AS BATCH, to tell user this is a batch model
  - model_name: "bedrock-batch-haiku"
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      s3_bucket_name: litellm-proxy
      s3_region_name: us-west-2
      aws_batch_role_arn: arn:aws:iam::888602223428:role/service-role/AmazonBedrockExecutionRoleForAgents_BB9HNW6V4CV
    model_info:
      mode: batch
`

// stack is batchgate serve + bedrock-sim + moto_server.
type stack struct {
	base     string // gateway URL
	s3       *s3.Client
	bedrock  *bedrock.Client
	s3URL    string
	simURL   string
	dataDir  string
	serveEnv []string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{s3URL: testenv.MotoEndpoint(t), dataDir: t.TempDir()}
	testenv.MotoOnly(t, "S3 in us-west-2 and SSE-KMS headers echoed back")
	s.s3 = s3.New(s3.Options{Region: "us-west-2", BaseEndpoint: aws.String(s.s3URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testenv.AccessKey, testenv.SecretKey, "")})
	// The seed's bucket; moto is shared by the suite, so it may exist already.
	_, _ = s.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("litellm-proxy"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}})

	simAddr := freeAddr(t)
	s.simURL = "http://" + simAddr
	start(t, awsEnv(s.s3URL, ""), s.simURL+"/model-invocation-jobs", "bedrock-sim", "--addr", simAddr, "--step-delay", "100ms", "--region", "us-west-2", "--account-id", "888602223428")
	s.bedrock = bedrock.New(bedrock.Options{Region: "us-west-2", BaseEndpoint: aws.String(s.simURL),
		Credentials: credentials.NewStaticCredentialsProvider(testenv.AccessKey, testenv.SecretKey, "")})

	cfg := filepath.Join(s.dataDir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	s.base = "http://" + addr
	s.serveEnv = append(awsEnv(s.s3URL, s.simURL), "LITELLM_MASTER_KEY="+masterKey)
	start(t, s.serveEnv, s.base+"/health/liveliness", "serve", "--config", cfg, "--addr", addr, "--data", s.dataDir, "--reconcile-interval", "200ms")
	return s
}

// call sends a JSON request with a key and decodes the answer into out.
func (s *stack) call(t *testing.T, key, method, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, r)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

func (s *stack) newKey(t *testing.T, models ...string) string {
	t.Helper()
	var k struct {
		Key string `json:"key"`
	}
	if code := s.call(t, masterKey, "POST", "/key/generate", map[string]any{"models": models}, &k); code != 200 || !strings.HasPrefix(k.Key, "sk-") {
		t.Fatalf("/key/generate: %d %+v", code, k)
	}
	return k.Key
}

// requests returns n chat lines in the seed's format.
func requests(n int, model string) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"custom_id": "request-%d", "method": "POST", "url": "/v1/chat/completions", "body": {"model": %q, "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Hello world %d!"}], "max_tokens": 1000}}`+"\n", i, model, i)
	}
	return b.Bytes()
}

func TestDeveloperFlowWithOpenAISDK(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	key := s.newKey(t, claude)

	// Model discovery, filtered to the key.
	var groups struct {
		Data []struct {
			ModelGroup string `json:"model_group"`
			Mode       string `json:"mode"`
		} `json:"data"`
	}
	s.call(t, key, "GET", "/model_group/info", nil, &groups)
	if len(groups.Data) != 1 || groups.Data[0].ModelGroup != claude || groups.Data[0].Mode != "batch" {
		t.Fatalf("/model_group/info = %+v, want only %s in mode batch", groups.Data, claude)
	}

	// The spec's Python client uses base_url without /v1: the SDK then calls /files and /batches.
	client := openai.NewClient(option.WithBaseURL(s.base), option.WithAPIKey(key), option.WithMaxRetries(0))
	models, err := client.Models.List(ctx)
	if err != nil || len(models.Data) != 1 || models.Data[0].ID != claude {
		t.Fatalf("models = %+v, %v", models, err)
	}

	const n = 120
	params := openai.FileNewParams{File: openai.File(bytes.NewReader(requests(n, claude)), "bedrock_batch_completions.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch}
	params.SetExtraFields(map[string]any{"target_model_names": claude})
	file, err := client.Files.New(ctx, params)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if !strings.HasPrefix(file.ID, "file-") || file.Purpose != "batch" || file.Filename != "bedrock_batch_completions.jsonl" {
		t.Errorf("file = %+v", file)
	}

	batch, err := client.Batches.New(ctx, openai.BatchNewParams{
		InputFileID: file.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
		CompletionWindow: openai.BatchNewParamsCompletionWindow24h, Metadata: map[string]string{"description": "Test batch job"},
	})
	if err != nil {
		t.Fatalf("create batch: %v", err)
	}
	if batch.Status != openai.BatchStatusValidating && batch.Status != openai.BatchStatusInProgress {
		t.Errorf("new batch status = %s", batch.Status)
	}

	waitFor(t, 60*time.Second, "batch completed", func() (bool, error) {
		b, err := client.Batches.Get(ctx, batch.ID)
		if err != nil {
			return false, err
		}
		if b.Status == openai.BatchStatusFailed || b.Status == openai.BatchStatusExpired || b.Status == openai.BatchStatusCancelled {
			return false, fmt.Errorf("batch ended %s: %+v", b.Status, b.Errors)
		}
		batch = b
		return b.Status == openai.BatchStatusCompleted, nil
	})
	if batch.RequestCounts.Total != n || batch.RequestCounts.Completed != n || batch.RequestCounts.Failed != 0 {
		t.Errorf("request_counts = %+v, want %d completed", batch.RequestCounts, n)
	}
	if batch.OutputFileID == "" || batch.CompletedAt == 0 || batch.CreatedAt == 0 {
		t.Fatalf("completed batch = %+v", batch)
	}
	if batch.Metadata["description"] != "Test batch job" {
		t.Errorf("metadata = %v", batch.Metadata)
	}

	// OpenAI form: code written for OpenAI reads it unchanged.
	resp, err := client.Files.Content(ctx, batch.OutputFileID)
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, resp.Body)
	resp.Body.Close()
	if len(lines) != n {
		t.Fatalf("output lines = %d, want %d", len(lines), n)
	}
	outFile, err := client.Files.Get(ctx, batch.OutputFileID)
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	if outFile.Bytes != int64(size) || outFile.Purpose != "batch_output" || resp.ContentLength != int64(size) {
		t.Errorf("output file = %d bytes, purpose %s, Content-Length %d; its content is %d bytes", outFile.Bytes, outFile.Purpose, resp.ContentLength, size)
	}
	seen := map[string]bool{}
	var inTok, outTok int64
	for _, l := range lines {
		var o struct {
			ID       string `json:"id"`
			CustomID string `json:"custom_id"`
			Response struct {
				StatusCode int                   `json:"status_code"`
				Body       openai.ChatCompletion `json:"body"`
			} `json:"response"`
		}
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("output line %s: %v", l, err)
		}
		seen[o.CustomID] = true
		b := o.Response.Body
		if o.Response.StatusCode != 200 || b.Object != "chat.completion" || len(b.Choices) != 1 || b.Choices[0].Message.Content == "" {
			t.Errorf("output line %s is not a chat.completion with content", l)
		}
		if b.Usage.PromptTokens <= 0 || b.Usage.CompletionTokens <= 0 || b.Usage.TotalTokens != b.Usage.PromptTokens+b.Usage.CompletionTokens {
			t.Errorf("usage = %+v", b.Usage)
		}
		inTok += b.Usage.PromptTokens
		outTok += b.Usage.CompletionTokens
	}
	for i := 1; i <= n; i++ {
		if !seen[fmt.Sprintf("request-%d", i)] {
			t.Errorf("custom_id request-%d missing from the output", i)
		}
	}
	if batch.Usage.InputTokens != inTok || batch.Usage.OutputTokens != outTok {
		t.Errorf("batch usage = %d/%d, lines sum to %d/%d", batch.Usage.InputTokens, batch.Usage.OutputTokens, inTok, outTok)
	}

	// Raw Bedrock form, as the spec downloads it.
	resp, err = client.Files.Content(ctx, batch.OutputFileID, option.WithHeader("custom-llm-provider", "bedrock"))
	if err != nil {
		t.Fatal(err)
	}
	raw := readLines(t, resp.Body)
	resp.Body.Close()
	if len(raw) != n {
		t.Fatalf("raw lines = %d, want %d", len(raw), n)
	}
	for _, l := range raw {
		var r struct {
			RecordID   string `json:"recordId"`
			ModelInput struct {
				AnthropicVersion string `json:"anthropic_version"`
				MaxTokens        int    `json:"max_tokens"`
				System           any    `json:"system"`
				Messages         []struct {
					Role    string `json:"role"`
					Content any    `json:"content"`
				} `json:"messages"`
			} `json:"modelInput"`
			ModelOutput struct {
				Role       string `json:"role"`
				StopReason string `json:"stop_reason"`
				Content    []struct {
					Text string `json:"text"`
				} `json:"content"`
				Usage struct {
					InputTokens  int `json:"input_tokens"`
					OutputTokens int `json:"output_tokens"`
				} `json:"usage"`
			} `json:"modelOutput"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		var i int
		if _, err := fmt.Sscanf(r.RecordID, "request-%d", &i); err != nil {
			t.Errorf("recordId %q is not a custom_id", r.RecordID)
		}
		mi := r.ModelInput
		if mi.AnthropicVersion != "bedrock-2023-05-31" || mi.MaxTokens != 1000 || len(mi.Messages) != 1 || mi.Messages[0].Role != "user" {
			t.Errorf("modelInput = %+v", mi)
		}
		if !strings.Contains(fmt.Sprint(mi.Messages[0].Content), fmt.Sprintf("Hello world %d!", i)) || !strings.Contains(fmt.Sprint(mi.System), "helpful assistant") {
			t.Errorf("modelInput of %s does not carry its request: %+v", r.RecordID, mi)
		}
		if r.ModelOutput.Role != "assistant" || len(r.ModelOutput.Content) == 0 || r.ModelOutput.Usage.OutputTokens == 0 {
			t.Errorf("modelOutput = %+v", r.ModelOutput)
		}
	}

	// The job Bedrock ran: configured role, model id, output prefix and KMS key.
	jobs, err := s.bedrock.ListModelInvocationJobs(ctx, &bedrock.ListModelInvocationJobsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.InvocationJobSummaries) != 1 {
		t.Fatalf("jobs = %d, want 1", len(jobs.InvocationJobSummaries))
	}
	job := jobs.InvocationJobSummaries[0]
	if aws.ToString(job.RoleArn) != roleARN || aws.ToString(job.ModelId) != claudeID {
		t.Errorf("job role=%s model=%s", aws.ToString(job.RoleArn), aws.ToString(job.ModelId))
	}
	in := job.InputDataConfig.(*bedrocktypes.ModelInvocationJobInputDataConfigMemberS3InputDataConfig).Value
	out := job.OutputDataConfig.(*bedrocktypes.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig).Value
	if !strings.HasPrefix(aws.ToString(in.S3Uri), "s3://litellm-proxy/") || !strings.HasPrefix(aws.ToString(out.S3Uri), "s3://litellm-proxy/") {
		t.Errorf("job s3 uris: in=%s out=%s", aws.ToString(in.S3Uri), aws.ToString(out.S3Uri))
	}
	if aws.ToString(out.S3EncryptionKeyId) != kmsKeyID {
		t.Errorf("job s3EncryptionKeyId = %q, want %q", aws.ToString(out.S3EncryptionKeyId), kmsKeyID)
	}

	// The input object in S3 is what Bedrock expects, encrypted with the configured key.
	bucket, key0, _ := strings.Cut(strings.TrimPrefix(aws.ToString(in.S3Uri), "s3://"), "/")
	obj, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key0)})
	if err != nil {
		t.Fatal(err)
	}
	records := readLines(t, obj.Body)
	obj.Body.Close()
	if len(records) != n {
		t.Errorf("input object has %d records, want %d", len(records), n)
	}
	if obj.ServerSideEncryption != "aws:kms" || aws.ToString(obj.SSEKMSKeyId) != kmsKeyID {
		t.Errorf("input object sse=%q key=%q", obj.ServerSideEncryption, aws.ToString(obj.SSEKMSKeyId))
	}
	// The output file batchgate wrote in OpenAI form, beside the job's
	// output, is encrypted with the same key.
	outBucket, outPrefix, _ := strings.Cut(strings.TrimPrefix(aws.ToString(out.S3Uri), "s3://"), "/")
	head, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(outBucket), Key: aws.String(strings.TrimSuffix(outPrefix, "/") + "/openai/output.jsonl")})
	if err != nil {
		t.Fatalf("OpenAI-form output object: %v", err)
	}
	if head.ServerSideEncryption != "aws:kms" || aws.ToString(head.SSEKMSKeyId) != kmsKeyID {
		t.Errorf("output object sse=%q key=%q", head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId))
	}
	var rec struct {
		RecordID   string         `json:"recordId"`
		ModelInput map[string]any `json:"modelInput"`
	}
	if err := json.Unmarshal([]byte(records[0]), &rec); err != nil || rec.RecordID != "request-1" || rec.ModelInput["anthropic_version"] != "bedrock-2023-05-31" || rec.ModelInput["model"] != nil {
		t.Errorf("first record = %s (%v)", records[0], err)
	}
}

func TestKeyWithoutTheModelIsRefused(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	owner := s.newKey(t, claude)
	other := s.newKey(t, "bedrock-batch-haiku")

	ownerClient := openai.NewClient(option.WithBaseURL(s.base+"/v1/"), option.WithAPIKey(owner), option.WithMaxRetries(0))
	file, err := ownerClient.Files.New(ctx, openai.FileNewParams{File: openai.File(bytes.NewReader(requests(100, claude)), "in.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch})
	if err != nil {
		t.Fatal(err)
	}

	client := openai.NewClient(option.WithBaseURL(s.base+"/v1/"), option.WithAPIKey(other), option.WithMaxRetries(0))
	params := openai.FileNewParams{File: openai.File(bytes.NewReader(requests(100, claude)), "in.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch}
	params.SetExtraFields(map[string]any{"target_model_names": claude})
	_, err = client.Files.New(ctx, params)
	wantAPIError(t, err, 403)

	// Without target_model_names the model comes from the lines: still refused.
	_, err = client.Files.New(ctx, openai.FileNewParams{File: openai.File(bytes.NewReader(requests(100, claude)), "in.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch})
	wantAPIError(t, err, 403)

	// Another key's file is not found, exactly like a missing one.
	_, err = client.Batches.New(ctx, openai.BatchNewParams{InputFileID: file.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	wantAPIError(t, err, 404)
	_, err = client.Files.Get(ctx, file.ID)
	wantAPIError(t, err, 404)
	_, err = client.Files.Content(ctx, file.ID)
	wantAPIError(t, err, 404)

	models, err := client.Models.List(ctx)
	if err != nil || len(models.Data) != 1 || models.Data[0].ID != "bedrock-batch-haiku" {
		t.Errorf("models for the haiku key = %+v, %v", models, err)
	}

	bad := openai.NewClient(option.WithBaseURL(s.base+"/v1/"), option.WithAPIKey("sk-not-a-key"), option.WithMaxRetries(0))
	_, err = bad.Models.List(ctx)
	wantAPIError(t, err, 401)
}

func wantAPIError(t *testing.T, err error, status int) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an API error %d", err, status)
	}
	if apiErr.StatusCode != status || apiErr.Message == "" {
		t.Errorf("status=%d message=%q, want %d with a message", apiErr.StatusCode, apiErr.Message, status)
	}
}

// TestSeedCurlCommands runs the spec's curl commands as written.
func TestSeedCurlCommands(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is not installed")
	}
	s := startStack(t)
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "bedrock_batch_completions.jsonl")
	if err := os.WriteFile(jsonl, requests(100, claude), 0o600); err != nil {
		t.Fatal(err)
	}
	curl := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command("curl", append([]string{"-sS", "--fail-with-body"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return out
	}
	base := strings.Replace(s.base, "127.0.0.1", "localhost", 1)

	var key struct {
		Key string `json:"key"`
	}
	out := curl("-L", "-X", "POST", base+"/key/generate", "-H", "Authorization: Bearer "+masterKey, "-H", "Content-Type: application/json", "-d", `{"models": ["bedrock-batch-claude"]}`)
	if err := json.Unmarshal(out, &key); err != nil || key.Key == "" {
		t.Fatalf("key/generate: %s", out)
	}
	var file struct{ ID string }
	out = curl(base+"/v1/files", "-H", "Authorization: Bearer "+key.Key, "-F", `purpose=batch`, "-F", "file=@bedrock_batch_completions.jsonl", "-F", `extra_body={"target_model_names": "bedrock-batch-claude"}`)
	if err := json.Unmarshal(out, &file); err != nil || file.ID == "" {
		t.Fatalf("files: %s", out)
	}
	var batch struct {
		ID, Status   string
		OutputFileID string `json:"output_file_id"`
	}
	out = curl(base+"/v1/batches", "-H", "Authorization: Bearer "+key.Key, "-H", "Content-Type: application/json", "-d", `{
"input_file_id": "`+file.ID+`",
"endpoint": "/v1/chat/completions",
"completion_window": "24h",
"metadata": {"description": "Test batch job"}
}`)
	if err := json.Unmarshal(out, &batch); err != nil || batch.ID == "" {
		t.Fatalf("batches: %s", out)
	}
	waitFor(t, 60*time.Second, "batch completed", func() (bool, error) {
		out := curl(base+"/v1/batches/"+batch.ID, "-H", "Authorization: Bearer "+key.Key)
		if err := json.Unmarshal(out, &batch); err != nil {
			return false, err
		}
		return batch.Status == "completed", nil
	})
	curl(base+"/v1/files/"+batch.OutputFileID+"/content", "-H", "Authorization: Bearer "+key.Key, "-H", "custom-llm-provider: bedrock", "-o", "batch_output.jsonl")
	f, err := os.Open(filepath.Join(dir, "batch_output.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := readLines(t, f)
	if len(lines) != 100 {
		t.Fatalf("batch_output.jsonl has %d lines, want 100", len(lines))
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec["recordId"] == nil || rec["modelOutput"] == nil {
		t.Errorf("raw line = %s", lines[0])
	}
}

// TestResponsesBatchWithOpenAISDK runs a /v1/responses batch whose bodies
// the SDK wrote (responses.ResponseNewParams) and reads every output line
// as the SDK's responses.Response.
func TestResponsesBatchWithOpenAISDK(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	client := openai.NewClient(option.WithBaseURL(s.base+"/v1/"), option.WithAPIKey(s.newKey(t, claude)), option.WithMaxRetries(0))

	const n = 100
	var in bytes.Buffer
	for i := 0; i < n; i++ {
		body, err := json.Marshal(responses.ResponseNewParams{
			Model:           claude,
			Instructions:    openai.String("You are a helpful assistant."),
			Input:           responses.ResponseNewParamsInputUnion{OfString: openai.String(fmt.Sprintf("Hello world %d!", i))},
			MaxOutputTokens: openai.Int(500),
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&in, `{"custom_id":"r-%d","method":"POST","url":"/v1/responses","body":%s}`+"\n", i, body)
	}
	file, err := client.Files.New(ctx, openai.FileNewParams{File: openai.File(&in, "responses.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	batch, err := client.Batches.New(ctx, openai.BatchNewParams{InputFileID: file.ID, Endpoint: openai.BatchNewParamsEndpointV1Responses, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if err != nil {
		t.Fatalf("create batch: %v", err)
	}
	waitFor(t, 60*time.Second, "batch completed", func() (bool, error) {
		b, err := client.Batches.Get(ctx, batch.ID)
		if err != nil {
			return false, err
		}
		if b.Status == openai.BatchStatusFailed || b.Status == openai.BatchStatusExpired || b.Status == openai.BatchStatusCancelled {
			return false, fmt.Errorf("batch ended %s: %+v", b.Status, b.Errors)
		}
		batch = b
		return b.Status == openai.BatchStatusCompleted, nil
	})
	if batch.Endpoint != "/v1/responses" || batch.RequestCounts.Completed != n || batch.RequestCounts.Failed != 0 {
		t.Fatalf("batch = endpoint %s, counts %+v", batch.Endpoint, batch.RequestCounts)
	}
	resp, err := client.Files.Content(ctx, batch.OutputFileID)
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, resp.Body)
	resp.Body.Close()
	if len(lines) != n {
		t.Fatalf("output lines = %d, want %d", len(lines), n)
	}
	for _, l := range lines {
		var o struct {
			Response struct {
				StatusCode int                `json:"status_code"`
				Body       responses.Response `json:"body"`
			} `json:"response"`
		}
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("output line %s: %v", l, err)
		}
		r := o.Response.Body
		if o.Response.StatusCode != 200 || r.Object != "response" || r.Status != responses.ResponseStatusCompleted || r.OutputText() == "" || r.Model != claude {
			t.Errorf("output line %s is not a completed Response with text", l)
		}
		if r.Usage.InputTokens <= 0 || r.Usage.OutputTokens <= 0 || r.Usage.TotalTokens != r.Usage.InputTokens+r.Usage.OutputTokens {
			t.Errorf("usage = %+v", r.Usage)
		}
	}
}
