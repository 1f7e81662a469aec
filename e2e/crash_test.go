package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
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
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/batchgate/batchgate/internal/crash"
	"github.com/batchgate/batchgate/internal/testenv"
)

// crashStack is bedrock-sim and moto_server, which outlive the gateway, and
// one data directory (SQLite) that every gateway process shares in turn.
type crashStack struct {
	t       *testing.T
	s3      *s3.Client
	bedrock *bedrock.Client
	bucket  string
	config  string
	dataDir string
	env     []string
	base    string
	cmd     *exec.Cmd
	exited  chan error
}

const crashConfig = `model_list:
  - model_name: bedrock-batch-claude
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      s3_bucket_name: %s
      s3_region_name: us-west-2
      aws_batch_role_arn: arn:aws:iam::888602223428:role/service-role/AmazonBedrockExecutionRoleForAgents_BB9HNW6V4CV
      min_records_per_job: 1
    model_info:
      mode: batch
`

// gateway starts `batchgate serve` with BATCHGATE_CRASH_AT=point (none if
// empty) on the shared data directory, and waits until it answers unless
// it dies first (its reconciler may reach the crash point at once).
func (c *crashStack) gateway(point string) {
	c.t.Helper()
	addr := freeAddr(c.t)
	c.base = "http://" + addr
	env := append([]string(nil), c.env...)
	if point != "" {
		env = append(env, crash.Env+"="+point)
	}
	cmd := exec.Command(binary, "serve", "--config", c.config, "--addr", addr, "--data", c.dataDir,
		"--reconcile-interval", "100ms", "--stale-upload-age", "1ms", "--log-format", "text")
	cmd.Env = env
	logs := &logBuffer{t: c.t, name: "serve " + point}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	c.cmd, c.exited = cmd, exited
	t := c.t
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("serve (%s=%s) output:\n%s", crash.Env, point, logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		client := &http.Client{Timeout: time.Second}
		if resp, err := client.Get(c.base + "/health/liveliness"); err == nil {
			resp.Body.Close()
			return
		}
		select {
		case err := <-exited:
			exited <- err // for died
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	c.t.Fatalf("serve did not answer:\n%s", logs.String())
}

// died waits for the gateway to kill itself at its crash point.
func (c *crashStack) died(point string) {
	c.t.Helper()
	select {
	case err := <-c.exited:
		if err == nil || !strings.Contains(err.Error(), "killed") {
			c.t.Fatalf("gateway with %s=%s ended with %v, want SIGKILL", crash.Env, point, err)
		}
	case <-time.After(60 * time.Second):
		c.t.Fatalf("gateway did not crash at %s", point)
	}
}

func (c *crashStack) do(key, method, path, ctype string, body io.Reader) (int, []byte, error) {
	req, _ := http.NewRequest(method, c.base+path, body)
	req.Header.Set("Authorization", "Bearer "+key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (c *crashStack) json(key, method, path string, body, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	code, data, err := c.do(key, method, path, "application/json", r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, code, data, err)
		}
	}
	return code
}

// upload posts a batch file; the error is the transport's (the gateway may die).
func (c *crashStack) upload(key string, data []byte) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("purpose", "batch")
	fw, _ := mw.CreateFormFile("file", "requests.jsonl")
	_, _ = fw.Write(data)
	_ = mw.Close()
	code, resp, err := c.do(key, "POST", "/v1/files", mw.FormDataContentType(), &body)
	if err != nil {
		return "", err
	}
	var f struct {
		ID string `json:"id"`
	}
	if code != 200 || json.Unmarshal(resp, &f) != nil {
		c.t.Fatalf("upload: %d %s", code, resp)
	}
	return f.ID, nil
}

func (c *crashStack) createBatch(key, fileID string) (string, error) {
	b, _ := json.Marshal(map[string]any{"input_file_id": fileID, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
	code, resp, err := c.do(key, "POST", "/v1/batches", "application/json", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if code != 200 || json.Unmarshal(resp, &out) != nil {
		c.t.Fatalf("create batch: %d %s", code, resp)
	}
	return out.ID, nil
}

func (c *crashStack) uploads() int {
	c.t.Helper()
	out, err := c.s3.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &c.bucket, Prefix: aws.String("batchgate/input/")})
	if err != nil {
		c.t.Fatal(err)
	}
	return len(out.Uploads)
}

// bigRequests is about 20 MB of requests: its upload is a multipart one.
func bigRequests() []byte {
	pad := strings.Repeat("x", 1000)
	var b bytes.Buffer
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&b, `{"custom_id": "big-%d", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "bedrock-batch-claude", "messages": [{"role": "user", "content": "%s %d"}], "max_tokens": 10}}`+"\n", i, pad, i)
	}
	return b.Bytes()
}

// TestCrashRecovery kills the gateway (SIGKILL) at each step of upload,
// create and settlement, restarts it on the same data directory, and checks
// that every accepted batch completes exactly once: one Bedrock job each,
// one bill each, nothing lost, and no trace of the interrupted upload.
func TestCrashRecovery(t *testing.T) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	c := &crashStack{t: t, dataDir: t.TempDir(), bucket: "crash-" + hex.EncodeToString(rnd[:])} // moto is shared by the suite
	s3URL := testenv.MotoEndpoint(t)
	testenv.MotoOnly(t, "S3 in us-west-2")
	c.s3 = s3.New(s3.Options{Region: "us-west-2", BaseEndpoint: aws.String(s3URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testenv.AccessKey, testenv.SecretKey, "")})
	if _, err := c.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &c.bucket,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}}); err != nil {
		t.Fatal(err)
	}
	simAddr := freeAddr(t)
	simURL := "http://" + simAddr
	start(t, awsEnv(s3URL, ""), simURL+"/model-invocation-jobs", "bedrock-sim", "--addr", simAddr, "--step-delay", "50ms",
		"--region", "us-west-2", "--account-id", "888602223428", "--min-records", "1")
	c.bedrock = bedrock.New(bedrock.Options{Region: "us-west-2", BaseEndpoint: aws.String(simURL),
		Credentials: credentials.NewStaticCredentialsProvider(testenv.AccessKey, testenv.SecretKey, "")})
	c.config = filepath.Join(c.dataDir, "config.yaml")
	if err := os.WriteFile(c.config, []byte(fmt.Sprintf(crashConfig, c.bucket)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.env = append(awsEnv(s3URL, simURL), "LITELLM_MASTER_KEY="+masterKey)

	// 1. Killed mid-upload, with a multipart upload in flight.
	c.gateway(crash.DuringUpload)
	var k struct {
		Key string `json:"key"`
	}
	c.json(masterKey, "POST", "/key/generate", map[string]any{"models": []string{claude}}, &k)
	key := k.Key
	if _, err := c.upload(key, bigRequests()); err == nil {
		t.Fatal("the upload succeeded; the gateway should have died during it")
	}
	c.died(crash.DuringUpload)
	if n := c.uploads(); n != 1 {
		t.Fatalf("%d multipart uploads in flight after the crash; want the interrupted one", n)
	}

	// 2. The restart aborts the interrupted upload; the file never appears.
	// Killed after the batch is stored, before Bedrock is called.
	c.gateway(crash.AfterCreateIntent)
	waitFor(t, 10*time.Second, "the interrupted multipart upload aborted", func() (bool, error) { return c.uploads() == 0, nil })
	var files struct {
		Data []struct{ ID string } `json:"data"`
	}
	c.json(key, "GET", "/v1/files", nil, &files)
	if len(files.Data) != 0 {
		t.Fatalf("files after the interrupted upload: %+v", files.Data)
	}
	fileA, err := c.upload(key, requests(3, claude))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.createBatch(key, fileA); err == nil {
		t.Fatal("create batch succeeded; the gateway should have died after storing it")
	}
	c.died(crash.AfterCreateIntent)

	// 3. The reconciler submits the stored batch and is killed after Bedrock
	// created the job, before its ARN is stored.
	c.gateway(crash.AfterAWSCreate)
	c.died(crash.AfterAWSCreate)

	// 4. The job is found again by its token (not created twice), runs, is
	// billed, and the gateway is killed before the batch's end is stored.
	c.gateway(crash.BeforeSettleCommit)
	c.died(crash.BeforeSettleCommit)

	// 5. No crash: settlement is finished without a second bill. A second
	// batch, created normally, then one killed after its job was created
	// by the request itself.
	c.gateway("")
	fileB, err := c.upload(key, requests(4, claude))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.createBatch(key, fileB); err != nil {
		t.Fatal(err)
	}
	waitBatches(t, c, key, 2)
	_ = c.cmd.Process.Kill()
	<-c.exited

	c.gateway(crash.AfterAWSCreate)
	fileC, err := c.upload(key, requests(5, claude))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.createBatch(key, fileC); err == nil {
		t.Fatal("create batch succeeded; the gateway should have died after Bedrock created the job")
	}
	c.died(crash.AfterAWSCreate)

	// 6. Final restart: every accepted batch completed exactly once.
	c.gateway("")
	batches := waitBatches(t, c, key, 3)
	jobs, err := c.bedrock.ListModelInvocationJobs(context.Background(), &bedrock.ListModelInvocationJobsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	perName := map[string]int{}
	for _, j := range jobs.InvocationJobSummaries {
		perName[aws.ToString(j.JobName)]++
	}
	if len(jobs.InvocationJobSummaries) != 3 {
		t.Errorf("%d Bedrock jobs, want 3 (one per batch): %v", len(jobs.InvocationJobSummaries), perName)
	}
	var logs []struct {
		RequestID string  `json:"request_id"`
		Spend     float64 `json:"spend"`
	}
	c.json(masterKey, "GET", "/spend/logs", nil, &logs)
	billed := map[string]int{}
	total := 0.0
	for _, l := range logs {
		billed[l.RequestID]++
		total += l.Spend
	}
	want := map[int64]bool{3: true, 4: true, 5: true}
	for _, b := range batches {
		if perName["batchgate-"+strings.TrimPrefix(b.ID, "batch_")] != 1 {
			t.Errorf("batch %s has %d Bedrock jobs", b.ID, perName["batchgate-"+strings.TrimPrefix(b.ID, "batch_")])
		}
		if billed[b.ID] != 1 {
			t.Errorf("batch %s billed %d times", b.ID, billed[b.ID])
		}
		if b.RequestCounts.Completed != b.RequestCounts.Total || !want[b.RequestCounts.Total] {
			t.Errorf("batch %s counts %+v", b.ID, b.RequestCounts)
		}
		delete(want, b.RequestCounts.Total)
	}
	if len(logs) != 3 {
		t.Errorf("%d spend logs, want 3", len(logs))
	}
	var info struct {
		Info struct {
			Spend float64 `json:"spend"`
		} `json:"info"`
	}
	c.json(key, "GET", "/key/info", nil, &info)
	if diff := info.Info.Spend - total; diff > 1e-9 || diff < -1e-9 || total <= 0 {
		t.Errorf("key spend %v, spend logs sum to %v", info.Info.Spend, total)
	}
}

type crashBatch struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	RequestCounts struct {
		Total     int64 `json:"total"`
		Completed int64 `json:"completed"`
		Failed    int64 `json:"failed"`
	} `json:"request_counts"`
}

// waitBatches waits until the key has n batches, all completed.
func waitBatches(t *testing.T, c *crashStack, key string, n int) []crashBatch {
	t.Helper()
	var list struct {
		Data []crashBatch `json:"data"`
	}
	waitFor(t, 60*time.Second, fmt.Sprintf("%d completed batches", n), func() (bool, error) {
		c.json(key, "GET", "/v1/batches?limit=100", nil, &list)
		done := 0
		for _, b := range list.Data {
			switch b.Status {
			case "completed":
				done++
			case "failed", "expired", "cancelled":
				return false, fmt.Errorf("batch %s ended %s", b.ID, b.Status)
			}
		}
		if len(list.Data) > n {
			return false, fmt.Errorf("%d batches, want %d", len(list.Data), n)
		}
		return done == n, nil
	})
	return list.Data
}
