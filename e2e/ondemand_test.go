package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/crash"
	"github.com/batchgate/batchgate/internal/testenv"
)

// onDemandConfig runs batches below the minimum on demand, one request at a
// time, so that the crash point is reached after exactly one request.
const onDemandConfig = `model_list:
  - model_name: bedrock-batch-claude
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      s3_bucket_name: %s
      s3_region_name: us-west-2
      aws_batch_role_arn: arn:aws:iam::888602223428:role/service-role/AmazonBedrockExecutionRoleForAgents_BB9HNW6V4CV
    model_info:
      mode: batch
      batch_below_minimum: on_demand
      batch_on_demand_concurrency: 1
`

// TestCrashOnDemand kills the gateway (SIGKILL) after the first request of
// an on-demand batch ran and its result was stored, restarts it on the same
// data directory, and checks that the batch completes with every request
// run exactly once (the emulator, in this process, counts them) and billed
// once. The gateway finds the runtime API through the SDK's standard
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME.
func TestCrashOnDemand(t *testing.T) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	c := &crashStack{t: t, dataDir: t.TempDir(), bucket: "ondemand-" + hex.EncodeToString(rnd[:])}
	s3URL := testenv.MotoEndpoint(t)
	c.s3 = s3.New(s3.Options{Region: "us-west-2", BaseEndpoint: aws.String(s3URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testenv.AccessKey, testenv.SecretKey, "")})
	if _, err := c.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &c.bucket,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}}); err != nil {
		t.Fatal(err)
	}
	sim := bedrocksim.New(bedrocksim.Config{S3: c.s3, Region: "us-west-2", AccountID: "888602223428"})
	t.Cleanup(func() { sim.Close() })
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c.config = filepath.Join(c.dataDir, "config.yaml")
	if err := os.WriteFile(c.config, []byte(fmt.Sprintf(onDemandConfig, c.bucket)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.env = append(awsEnv(s3URL, srv.URL), "AWS_ENDPOINT_URL_BEDROCK_RUNTIME="+srv.URL, "LITELLM_MASTER_KEY="+masterKey)

	// 1. The batch is accepted (3 requests, below Bedrock's 100), and the
	// reconciler is killed once the first request's result is stored.
	c.gateway(crash.AfterOnDemandRequest)
	var k struct {
		Key string `json:"key"`
	}
	c.json(masterKey, "POST", "/key/generate", map[string]any{"models": []string{claude}}, &k)
	fileID, err := c.upload(k.Key, requests(3, claude))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.createBatch(k.Key, fileID); err != nil {
		t.Fatal(err)
	}
	c.died(crash.AfterOnDemandRequest)
	if n := len(sim.RuntimeCalls()); n != 1 {
		t.Fatalf("%d runtime calls before the crash, want 1", n)
	}

	// 2. The restart resumes: the two requests left run, the first does not
	// run again, and the batch is billed once.
	c.gateway("")
	batches := waitBatches(t, c, k.Key, 1)
	if b := batches[0]; b.RequestCounts.Total != 3 || b.RequestCounts.Completed != 3 {
		t.Errorf("batch %s counts %+v", b.ID, b.RequestCounts)
	}
	calls := sim.RuntimeCalls()
	bodies := map[string]int{}
	for _, call := range calls {
		bodies[string(call.Body)]++
	}
	if len(calls) != 3 || len(bodies) != 3 {
		t.Errorf("runtime calls: %d for %d distinct requests, want 3 for 3", len(calls), len(bodies))
	}
	var logs []struct {
		RequestID string         `json:"request_id"`
		Spend     float64        `json:"spend"`
		Metadata  map[string]any `json:"metadata"`
	}
	c.json(masterKey, "GET", "/spend/logs", nil, &logs)
	if len(logs) != 1 || logs[0].RequestID != batches[0].ID || logs[0].Spend <= 0 || logs[0].Metadata["mode"] != "on_demand" {
		t.Errorf("spend logs = %+v, want one on-demand log of batch %s", logs, batches[0].ID)
	}
	var info struct {
		Info struct {
			Spend float64 `json:"spend"`
		} `json:"info"`
	}
	c.json(k.Key, "GET", "/key/info", nil, &info)
	if len(logs) == 1 && (info.Info.Spend-logs[0].Spend > 1e-12 || logs[0].Spend-info.Info.Spend > 1e-12) {
		t.Errorf("key spend %v, spend log %v", info.Info.Spend, logs[0].Spend)
	}
	// The output has each request once.
	var b struct {
		OutputFileID string `json:"output_file_id"`
	}
	c.json(k.Key, "GET", "/v1/batches/"+batches[0].ID, nil, &b)
	code, out, err := c.do(k.Key, "GET", "/v1/files/"+b.OutputFileID+"/content", "", nil)
	if err != nil || code != 200 {
		t.Fatalf("output: %d %v", code, err)
	}
	for i := 1; i <= 3; i++ {
		if n := strings.Count(string(out), fmt.Sprintf(`"custom_id":"request-%d"`, i)); n != 1 {
			t.Errorf("request %d: %d output lines, want 1:\n%s", i, n, out)
		}
	}
}
