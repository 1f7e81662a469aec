package bedrocksim_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/testenv"
)

const (
	testRole   = "arn:aws:iam::123456789012:role/BedrockBatch"
	claudeID   = "anthropic.claude-3-haiku-20240307-v1:0"
	pollWithin = 10 * time.Second
)

// env is an emulator behind httptest, a Bedrock client pointed at it, and an
// S3 bucket it reads and writes.
type env struct {
	sim     *bedrocksim.Server
	url     string
	bedrock *bedrock.Client
	s3      *s3.Client
	bucket  string
}

// newEnv starts an emulator backed by the in-process S3. cfg.StepDelay
// defaults to 5ms here; cfg.S3 is set.
func newEnv(t *testing.T, cfg bedrocksim.Config) *env {
	t.Helper()
	return newEnvS3(t, cfg, testenv.FakeS3(t))
}

func newEnvS3(t *testing.T, cfg bedrocksim.Config, s3Endpoint string) *env {
	t.Helper()
	if cfg.StepDelay == 0 {
		cfg.StepDelay = 5 * time.Millisecond
	}
	client := testenv.S3Client(s3Endpoint)
	if cfg.S3 == nil {
		cfg.S3 = client
	}
	sim := bedrocksim.New(cfg)
	url := serve(t, sim)
	return &env{
		sim:     sim,
		url:     url,
		bedrock: bedrockClient(url, 1),
		s3:      client,
		bucket:  testenv.Bucket(t, client, "bedrocksim"),
	}
}

// serve serves sim over HTTP until the test ends.
func serve(t *testing.T, sim *bedrocksim.Server) string {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		sim.Close()
	})
	return srv.URL
}

// bedrockClient is the real SDK client; attempts 1 shows error shapes as the
// server sent them, without retries.
func bedrockClient(url string, attempts int) *bedrock.Client {
	return bedrock.New(bedrock.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		RetryMaxAttempts: attempts,
	})
}

// put writes an object.
func (e *env) put(t *testing.T, key string, body []byte) {
	t.Helper()
	_, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(e.bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// putRecords writes n records made by line(i) as a .jsonl object.
func (e *env) putRecords(t *testing.T, key string, n int, line func(i int) string) {
	t.Helper()
	var b bytes.Buffer
	for i := range n {
		b.WriteString(line(i))
		b.WriteByte('\n')
	}
	e.put(t, key, b.Bytes())
}

func (e *env) get(t *testing.T, key string) []byte {
	t.Helper()
	out, err := e.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// lines reads a JSONL output object.
func (e *env) lines(t *testing.T, key string) []map[string]json.RawMessage {
	t.Helper()
	var out []map[string]json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(e.get(t, key)))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: line %q: %v", key, sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

type manifest struct {
	TotalRecordCount, ProcessedRecordCount, SuccessRecordCount, ErrorRecordCount int64
	InputTokenCount, OutputTokenCount                                            int64
}

func (e *env) manifest(t *testing.T, jobID string) manifest {
	t.Helper()
	var m manifest
	if err := json.Unmarshal(e.get(t, "out/"+jobID+"/manifest.json.out"), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var jobSeq atomic.Int64

// claudeRecord is a valid Claude record.
func claudeRecord(i int) string {
	return fmt.Sprintf(`{"recordId":"r%03d","modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":200,"messages":[{"role":"user","content":"Question number %d?"}]}}`, i, i)
}

// input returns a create request for the records under in/, output to out/.
func (e *env) input(mods ...func(*bedrock.CreateModelInvocationJobInput)) *bedrock.CreateModelInvocationJobInput {
	in := &bedrock.CreateModelInvocationJobInput{
		JobName: aws.String(fmt.Sprintf("job-%d", jobSeq.Add(1))),
		RoleArn: aws.String(testRole),
		ModelId: aws.String(claudeID),
		InputDataConfig: &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{
			Value: types.ModelInvocationJobS3InputDataConfig{S3Uri: aws.String("s3://" + e.bucket + "/in/")},
		},
		OutputDataConfig: &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{
			Value: types.ModelInvocationJobS3OutputDataConfig{S3Uri: aws.String("s3://" + e.bucket + "/out/")},
		},
	}
	for _, m := range mods {
		m(in)
	}
	return in
}

func (e *env) create(t *testing.T, mods ...func(*bedrock.CreateModelInvocationJobInput)) string {
	t.Helper()
	out, err := e.bedrock.CreateModelInvocationJob(context.Background(), e.input(mods...))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return aws.ToString(out.JobArn)
}

func (e *env) getJob(t *testing.T, arn string) *bedrock.GetModelInvocationJobOutput {
	t.Helper()
	out, err := e.bedrock.GetModelInvocationJob(context.Background(), &bedrock.GetModelInvocationJobInput{JobIdentifier: aws.String(arn)})
	if err != nil {
		t.Fatalf("get %s: %v", arn, err)
	}
	return out
}

// wait polls until the job reaches one of want, failing on any other
// terminal status or after a generous deadline.
func (e *env) wait(t *testing.T, arn string, want ...types.ModelInvocationJobStatus) *bedrock.GetModelInvocationJobOutput {
	t.Helper()
	deadline := time.Now().Add(pollWithin)
	for {
		out := e.getJob(t, arn)
		for _, w := range want {
			if out.Status == w {
				return out
			}
		}
		if bedrocksim.Status(out.Status).Terminal() {
			t.Fatalf("job %s ended %s (message %q), want %v", arn, out.Status, aws.ToString(out.Message), want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after %v, want %v", arn, out.Status, pollWithin, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func jobID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// clock is a settable time source for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
