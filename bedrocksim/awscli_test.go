package bedrocksim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/testenv"
)

// awsCLI runs the AWS CLI against the emulator and decodes its JSON output.
type awsCLI struct {
	t        *testing.T
	endpoint string
	env      []string
}

func newAWSCLI(t *testing.T, endpoint string) *awsCLI {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv(testenv.EnvCI) == "1" {
			t.Fatal("the aws CLI is not on PATH")
		}
		t.Skip("the aws CLI is not on PATH")
	}
	// The caller's AWS settings must not leak in: only static test
	// credentials, no profile, no config files, no IMDS.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	env = append(env,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	return &awsCLI{t: t, endpoint: endpoint, env: env}
}

// run calls `aws bedrock <op> <args>` and decodes its output into out (if not nil).
// It returns the CLI's stderr and whether it succeeded.
func (c *awsCLI) run(out any, op string, args ...string) (string, bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	argv := append([]string{"bedrock", op}, args...)
	// AWS CLI v1 (installed here) has no pager and no --no-cli-pager;
	// AWS_PAGER="" turns v2's pager off.
	argv = append(argv, "--endpoint-url", c.endpoint, "--region", "us-east-1", "--output", "json")
	cmd := exec.CommandContext(ctx, "aws", argv...)
	cmd.Env = c.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		return stderr.String(), false
	}
	if out != nil {
		if err := json.Unmarshal(stdout, out); err != nil {
			c.t.Fatalf("aws %s: output %q: %v", op, stdout, err)
		}
	}
	return stderr.String(), true
}

func (c *awsCLI) must(out any, op string, args ...string) {
	c.t.Helper()
	if stderr, ok := c.run(out, op, args...); !ok {
		c.t.Fatalf("aws bedrock %s %s: %s", op, strings.Join(args, " "), stderr)
	}
}

type cliJob struct {
	JobArn, JobName, Status, Message string
	TotalRecordCount                 int
	ProcessedRecordCount             int
	SuccessRecordCount               int
}

type cliList struct {
	InvocationJobSummaries []cliJob
	NextToken              string
}

// TestAWSCLI is the acceptance test: the AWS CLI, pointed at the
// emulator with --endpoint-url, drives jobs over input in moto_server.
func TestAWSCLI(t *testing.T) {
	e := newEnvS3(t, bedrocksim.Config{StepDelay: 50 * time.Millisecond}, testenv.MotoEndpoint(t))
	cli := newAWSCLI(t, e.url)
	e.putRecords(t, "in/records.jsonl", 120, func(i int) string {
		// No recordId: AWS (and the emulator) add one.
		return fmt.Sprintf(`{"modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"Prompt %d"}]}}`, i)
	})
	create := func(name string) string {
		var out struct{ JobArn string }
		cli.must(&out, "create-model-invocation-job",
			"--job-name", name,
			"--role-arn", testRole,
			"--model-id", claudeID,
			"--input-data-config", `{"s3InputDataConfig":{"s3Uri":"s3://`+e.bucket+`/in/","s3InputFormat":"JSONL"}}`,
			"--output-data-config", `{"s3OutputDataConfig":{"s3Uri":"s3://`+e.bucket+`/out/"}}`,
			"--timeout-duration-in-hours", "24")
		return out.JobArn
	}

	first := create("cli-first")
	id := jobID(first)
	var byID, byARN cliJob
	cli.must(&byID, "get-model-invocation-job", "--job-identifier", id)
	cli.must(&byARN, "get-model-invocation-job", "--job-identifier", first)
	if byID.JobArn != first || byARN.JobArn != first || byARN.JobName != "cli-first" {
		t.Errorf("get by id: %+v, by ARN: %+v", byID, byARN)
	}
	// Validation errors come back as the CLI reports them.
	if stderr, ok := cli.run(nil, "get-model-invocation-job", "--job-identifier", "NOT-AN-ID"); ok || !strings.Contains(stderr, "ValidationException") {
		t.Errorf("bad id: ok=%v stderr=%q", ok, stderr)
	}

	// Hold the second job so it is still running when the stop arrives.
	e.sim.SetFaults(bedrocksim.Faults{HoldScheduled: true})
	second := create("cli-second")
	cli.must(nil, "stop-model-invocation-job", "--job-identifier", second)
	e.wait(t, second, types.ModelInvocationJobStatusStopped)
	if stderr, ok := cli.run(nil, "stop-model-invocation-job", "--job-identifier", second); ok || !strings.Contains(stderr, "State was: Stopped") {
		t.Errorf("second stop: ok=%v stderr=%q", ok, stderr)
	}
	e.sim.SetFaults(bedrocksim.Faults{})

	// Wait for the first job through the CLI.
	var job cliJob
	for deadline := time.Now().Add(pollWithin); ; {
		cli.must(&job, "get-model-invocation-job", "--job-identifier", first)
		if job.Status == "Completed" {
			break
		}
		if bedrocksim.Status(job.Status).Terminal() || time.Now().After(deadline) {
			t.Fatalf("first job: %+v", job)
		}
	}
	if job.TotalRecordCount != 120 || job.SuccessRecordCount != 120 {
		t.Errorf("counts: %+v", job)
	}

	// Pagination, the CLI's way: with --page-size the CLI follows nextToken
	// itself (maxResults on the wire); an explicit --max-results, or
	// --no-paginate, shows one page and its nextToken.
	var all cliList
	cli.must(&all, "list-model-invocation-jobs", "--page-size", "1", "--sort-order", "Ascending")
	if names := cliNames(all); names != "cli-first cli-second" {
		t.Errorf("auto-paginated list: %q", names)
	}
	var page1, page2 cliList
	cli.must(&page1, "list-model-invocation-jobs", "--no-paginate", "--max-results", "1")
	if len(page1.InvocationJobSummaries) != 1 || page1.NextToken == "" || page1.InvocationJobSummaries[0].JobName != "cli-second" {
		t.Fatalf("page 1: %+v", page1)
	}
	cli.must(&page2, "list-model-invocation-jobs", "--no-paginate", "--max-results", "1", "--next-token", page1.NextToken)
	if names := cliNames(page2); names != "cli-first" || page2.NextToken != "" {
		t.Errorf("page 2: %+v", page2)
	}

	// The output the CLI user would find in S3.
	lines := e.lines(t, "out/"+id+"/records.jsonl.out")
	if len(lines) != 120 {
		t.Fatalf("output lines=%d, want 120", len(lines))
	}
	for _, l := range lines {
		if _, ok := l["modelOutput"]; !ok || len(l["recordId"]) < 3 {
			t.Fatalf("line %v", l)
		}
	}
	if m := e.manifest(t, id); m.TotalRecordCount != 120 || m.ProcessedRecordCount != 120 || m.SuccessRecordCount != 120 || m.ErrorRecordCount != 0 {
		t.Errorf("manifest=%+v", m)
	}
}

func cliNames(l cliList) string {
	var names []string
	for _, s := range l.InvocationJobSummaries {
		names = append(names, s.JobName)
	}
	return strings.Join(names, " ")
}

// TestAWSCLI_ModelIdentifiers: the model and region checks at create, as
// the AWS CLI reports them.
func TestAWSCLI_ModelIdentifiers(t *testing.T) {
	const appProfile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/cli123456789"
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: -1, ModelARNs: map[string]string{appProfile: "us.amazon.nova-pro-v1:0"}})
	cli := newAWSCLI(t, e.url)
	e.put(t, "in/x.jsonl", []byte(`{"recordId":"r1","modelInput":{"messages":[{"role":"user","content":[{"text":"Hi Nova"}]}]}}`+"\n"))
	create := func(name, model string) (string, string, bool) {
		var out struct{ JobArn string }
		stderr, ok := cli.run(&out, "create-model-invocation-job",
			"--job-name", name, "--role-arn", testRole, "--model-id", model,
			"--input-data-config", `{"s3InputDataConfig":{"s3Uri":"s3://`+e.bucket+`/in/"}}`,
			"--output-data-config", `{"s3OutputDataConfig":{"s3Uri":"s3://`+e.bucket+`/out/"}}`)
		return out.JobArn, stderr, ok
	}

	arn, stderr, ok := create("cli-app-profile", appProfile)
	if !ok {
		t.Fatalf("application inference profile: %s", stderr)
	}
	e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
	if lines := e.lines(t, "out/"+jobID(arn)+"/x.jsonl.out"); len(lines) != 1 || !strings.Contains(string(lines[0]["modelOutput"]), `"stopReason":"end_turn"`) {
		t.Errorf("output %v, want a Nova answer", lines)
	}
	if _, stderr, ok := create("cli-premier", "amazon.nova-premier-v1:0"); ok ||
		!strings.Contains(stderr, "ValidationException") || !strings.Contains(stderr, "with on-demand throughput isn’t supported") {
		t.Errorf("Nova Premier without a profile: ok=%v stderr=%q", ok, stderr)
	}
	unknown := "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/unknown12345"
	if _, stderr, ok := create("cli-unknown", unknown); ok || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Errorf("unknown ARN: ok=%v stderr=%q", ok, stderr)
	}
}
