package direct_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/direct"
	"github.com/batchgate/batchgate/internal/testenv"
)

const modelID = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"

// claudeLine is a Bedrock output line of an Anthropic job, in real output's
// key order; a non-empty errMsg makes it a failed record.
func claudeLine(id, errMsg string) string {
	in := fmt.Sprintf(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"question %s"}]}`, id)
	if errMsg != "" {
		return fmt.Sprintf(`{"modelInput":%s,"error":{"errorCode":400,"errorMessage":%q},"recordId":%q}`, in, errMsg, id)
	}
	out := fmt.Sprintf(`{"id":"msg_bdrk_%s","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620",`+
		`"content":[{"type":"text","text":"answer %s"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":5}}`, id, id)
	return fmt.Sprintf(`{"modelInput":%s,"modelOutput":%s,"recordId":%q}`, in, out, id)
}

// fixture is a job output folder in moto: two output files (the first
// without a final newline, as a truncated writer might leave it) and the manifest.
type fixture struct {
	endpoint, bucket, folder string
	lines                    []string // every record, in key order
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	endpoint := testenv.MotoEndpoint(t)
	client := testenv.S3Client(endpoint)
	bucket := testenv.Bucket(t, client, "direct")
	f := fixture{endpoint: endpoint, bucket: bucket, folder: "batch-output/ab12cd34ef56/"}
	a := []string{claudeLine("request-1", ""), claudeLine("request-2", ""), claudeLine("request-3", "Malformed input request: #: required key [messages] not found")}
	b := []string{claudeLine("request-4", ""), claudeLine("request-5", "")}
	f.lines = append(append(f.lines, a...), b...)
	put(t, client, bucket, f.folder+"part-a.jsonl.out", strings.Join(a, "\n"))
	put(t, client, bucket, f.folder+"part-b.jsonl.out", strings.Join(b, "\n")+"\n")
	put(t, client, bucket, f.folder+direct.Manifest, `{"totalRecordCount":5,"processedRecordCount":5,"successRecordCount":4,"errorRecordCount":1,"inputTokenCount":40,"outputTokenCount":20}`)
	put(t, client, bucket, "batch-output/input.jsonl", "not output\n") // outside the folder
	return f
}

func put(t *testing.T, c *s3.Client, bucket, key, body string) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// awsEnv gives the SDK's default chain the moto credentials and nothing else.
func awsEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", testenv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testenv.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func read(t *testing.T, uri string, opts direct.Options) string {
	t.Helper()
	rc, err := direct.Open(context.Background(), uri, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", uri, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	return string(b)
}

func TestOpen_Folder(t *testing.T) {
	awsEnv(t)
	f := newFixture(t)
	opts := direct.Options{Endpoint: f.endpoint, Region: testenv.Region}
	want := strings.Join(f.lines, "\n") + "\n"

	t.Run("TrailingSlash", func(t *testing.T) {
		if got := read(t, "s3://"+f.bucket+"/"+f.folder, opts); got != want {
			t.Fatalf("content:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("NoTrailingSlash", func(t *testing.T) {
		if got := read(t, "s3://"+f.bucket+"/"+strings.TrimSuffix(f.folder, "/"), opts); got != want {
			t.Fatalf("content:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("Objects", func(t *testing.T) {
		keys, err := direct.Objects(context.Background(), "s3://"+f.bucket+"/"+f.folder, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(keys, ","), f.folder+"part-a.jsonl.out,"+f.folder+"part-b.jsonl.out"; got != want {
			t.Fatalf("Objects=%s, want %s (the manifest is not output)", got, want)
		}
	})
	t.Run("EndpointFromEnvironment", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_S3", f.endpoint)
		t.Setenv("AWS_REGION", testenv.Region)
		if got := read(t, "s3://"+f.bucket+"/"+f.folder, direct.Options{}); got != want {
			t.Fatalf("content:\n%s\nwant:\n%s", got, want)
		}
	})
}

func TestOpen_File(t *testing.T) {
	awsEnv(t)
	f := newFixture(t)
	opts := direct.Options{Endpoint: f.endpoint, Region: testenv.Region}
	if got, want := read(t, "s3://"+f.bucket+"/"+f.folder+"part-a.jsonl.out", opts), strings.Join(f.lines[:3], "\n"); got != want {
		t.Fatalf("content:\n%s\nwant:\n%s", got, want)
	}
	// The manifest is readable when named.
	if got := read(t, "s3://"+f.bucket+"/"+f.folder+direct.Manifest, opts); !strings.Contains(got, `"totalRecordCount":5`) {
		t.Fatalf("manifest: %s", got)
	}
}

func TestOpen_ErrNotFound(t *testing.T) {
	awsEnv(t)
	f := newFixture(t)
	opts := direct.Options{Endpoint: f.endpoint, Region: testenv.Region}
	for _, uri := range []string{
		"s3://" + f.bucket + "/batch-output/nosuchjob/",
		"s3://" + f.bucket + "/batch-output/nosuchjob",
		"s3://" + f.bucket + "/batch-output/ab12cd34ef56/part-c.jsonl.out",
	} {
		if _, err := direct.Open(context.Background(), uri, opts); !errors.Is(err, direct.ErrNotFound) {
			t.Errorf("Open(%s) = %v, want ErrNotFound", uri, err)
		}
	}
	if _, err := direct.Open(context.Background(), "https://example.com/x", opts); err == nil || !strings.Contains(err.Error(), "s3://") {
		t.Errorf("Open(https URL) = %v, want a URI error", err)
	}
}

func TestParseURI(t *testing.T) {
	for _, tc := range []struct{ uri, bucket, key string }{
		{"s3://b/k/x.jsonl.out", "b", "k/x.jsonl.out"},
		{"s3://b/out/", "b", "out/"},
		{"s3://b", "b", ""},
	} {
		bucket, key, err := direct.ParseURI(tc.uri)
		if err != nil || bucket != tc.bucket || key != tc.key {
			t.Errorf("ParseURI(%s) = %q, %q, %v; want %q, %q", tc.uri, bucket, key, err, tc.bucket, tc.key)
		}
	}
	for _, bad := range []string{"s3:///k", "file-abc", "S3:/b/k"} {
		if _, _, err := direct.ParseURI(bad); err == nil {
			t.Errorf("ParseURI(%s): no error", bad)
		}
	}
}

// openAILine is the part of an OpenAI batch output line the tests check.
type openAILine struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int `json:"status_code"`
		Body       struct {
			Object  string `json:"object"`
			Model   string `json:"model"`
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
			Usage struct {
				PromptTokens     int64 `json:"prompt_tokens"`
				CompletionTokens int64 `json:"completion_tokens"`
			} `json:"usage"`
		} `json:"body"`
	} `json:"response"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func convert(t *testing.T, in string, opts direct.ConvertOptions) []openAILine {
	t.Helper()
	var out bytes.Buffer
	if err := direct.ToOpenAI(strings.NewReader(in), &out, opts); err != nil {
		t.Fatalf("ToOpenAI: %v", err)
	}
	var lines []openAILine
	for i, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if l == "" {
			continue
		}
		var o openAILine
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("output line %d is not JSON: %v: %s", i+1, err, l)
		}
		lines = append(lines, o)
	}
	return lines
}

func ids(lines []openAILine) string {
	var s []string
	for _, l := range lines {
		s = append(s, l.CustomID)
	}
	return strings.Join(s, ",")
}

// TestToOpenAI reads a job folder from moto and converts it, as `batchgate
// files content s3://... --openai` does.
func TestToOpenAI(t *testing.T) {
	awsEnv(t)
	f := newFixture(t)
	content := read(t, "s3://"+f.bucket+"/"+f.folder, direct.Options{Endpoint: f.endpoint, Region: testenv.Region})

	t.Run("AllLines", func(t *testing.T) {
		lines := convert(t, content, direct.ConvertOptions{ModelID: modelID, Model: "bedrock-batch-claude", Created: 1700000000})
		if got, want := ids(lines), "request-1,request-2,request-3,request-4,request-5"; got != want {
			t.Fatalf("custom_ids=%s, want %s", got, want)
		}
		ok := lines[0]
		if ok.Response == nil || ok.Response.StatusCode != 200 || ok.Error != nil {
			t.Fatalf("request-1: %+v, want a 200 response and no error", ok)
		}
		if got := ok.Response.Body; got.Object != "chat.completion" || got.Model != "bedrock-batch-claude" ||
			len(got.Choices) != 1 || got.Choices[0].Message.Content != "answer request-1" ||
			got.Usage.PromptTokens != 10 || got.Usage.CompletionTokens != 5 {
			t.Fatalf("request-1 body: %+v", got)
		}
		if bad := lines[2]; bad.Error == nil || !strings.Contains(bad.Error.Message, "required key [messages]") {
			t.Fatalf("request-3: %+v, want its Bedrock error", bad)
		}
	})
	t.Run("OutputLines", func(t *testing.T) {
		lines := convert(t, content, direct.ConvertOptions{ModelID: modelID, Lines: direct.OutputLines})
		if got, want := ids(lines), "request-1,request-2,request-4,request-5"; got != want {
			t.Fatalf("custom_ids=%s, want %s", got, want)
		}
	})
	t.Run("ErrorLines", func(t *testing.T) {
		lines := convert(t, content, direct.ConvertOptions{ModelID: modelID, Lines: direct.ErrorLines})
		if got, want := ids(lines), "request-3"; got != want {
			t.Fatalf("custom_ids=%s, want %s", got, want)
		}
	})
	t.Run("FamilyFromRecords", func(t *testing.T) {
		lines := convert(t, content, direct.ConvertOptions{})
		if len(lines) != 5 || lines[0].Response == nil || lines[0].Response.Body.Choices[0].Message.Content != "answer request-1" {
			t.Fatalf("lines: %+v", lines)
		}
	})
}

func TestToOpenAI_Errors(t *testing.T) {
	t.Run("NotJSON", func(t *testing.T) {
		in := claudeLine("request-1", "") + "\n\n" + "{not json\n"
		err := direct.ToOpenAI(strings.NewReader(in), io.Discard, direct.ConvertOptions{ModelID: modelID})
		if err == nil || !strings.HasPrefix(err.Error(), "line 3:") {
			t.Fatalf("err=%v, want one naming line 3", err)
		}
	})
	t.Run("UnknownFamily", func(t *testing.T) {
		// Failed records of a family known by its answers only: nothing tells.
		in := `{"modelInput":{"prompt":"hi"},"error":{"errorCode":400,"errorMessage":"x"},"recordId":"r1"}` + "\n" +
			`{"modelInput":{"prompt":"ho"},"error":{"errorCode":400,"errorMessage":"y"},"recordId":"r2"}`
		err := direct.ToOpenAI(strings.NewReader(in), io.Discard, direct.ConvertOptions{})
		if err == nil || !strings.HasPrefix(err.Error(), "line 1:") || !strings.Contains(err.Error(), "ModelID") {
			t.Fatalf("err=%v, want one naming line 1 and asking for ModelID", err)
		}
	})
}

// TestToOpenAI_FamilyFromLaterRecord: failed records before the first answer
// are held until a record tells the family, and keep their order.
func TestToOpenAI_FamilyFromLaterRecord(t *testing.T) {
	in := strings.Join([]string{
		`{"modelInput":{"prompt":"q1"},"error":{"errorCode":400,"errorMessage":"Malformed input request"},"recordId":"r1"}`,
		`{"modelInput":{"prompt":"q2"},"modelOutput":{"generation":"a2","prompt_token_count":3,"generation_token_count":2,"stop_reason":"stop"},"recordId":"r2"}`,
		`{"modelInput":{"prompt":"q3"},"modelOutput":{"generation":"a3","prompt_token_count":3,"generation_token_count":2,"stop_reason":"stop"},"recordId":"r3"}`,
	}, "\n")
	lines := convert(t, in, direct.ConvertOptions{Model: "llama"})
	if got, want := ids(lines), "r1,r2,r3"; got != want {
		t.Fatalf("custom_ids=%s, want %s", got, want)
	}
	if lines[0].Error == nil || lines[1].Response == nil || lines[1].Response.StatusCode != 200 ||
		lines[1].Response.Body.Choices[0].Message.Content != "a2" || lines[1].Response.Body.Model != "llama" {
		t.Fatalf("lines: %+v", lines)
	}
}
