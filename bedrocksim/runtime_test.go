package bedrocksim_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate/bedrocksim"
)

// runtimeCLI runs `aws bedrock-runtime <op>` against the emulator: the wire
// shape of InvokeModel and Converse as the AWS CLI (botocore) sends and reads it.
func (c *awsCLI) runtime(op string, args ...string) (string, string, bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	argv := append([]string{"bedrock-runtime", op}, args...)
	argv = append(argv, "--endpoint-url", c.endpoint, "--region", "us-east-1", "--output", "json")
	cmd := exec.CommandContext(ctx, "aws", argv...)
	cmd.Env = c.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	return string(stdout), stderr.String(), err == nil
}

// TestAWSCLIRuntime: invoke-model and converse work with the AWS CLI; a
// malformed body is a ValidationException in the family's words, and an
// injected throttle is a ThrottlingException.
func TestAWSCLIRuntime(t *testing.T) {
	sim := bedrocksim.New(bedrocksim.Config{})
	t.Cleanup(func() { sim.Close() })
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cli := newAWSCLI(t, srv.URL)
	out := filepath.Join(t.TempDir(), "out.json")

	body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"Hello there"}]}`
	if _, stderr, ok := cli.runtime("invoke-model", "--model-id", claudeID, "--body", body,
		"--content-type", "application/json", "--accept", "application/json", out); !ok {
		t.Fatalf("invoke-model: %s", stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Type    string
		Content []struct{ Type, Text string }
		Usage   struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		}
	}
	if err := json.Unmarshal(raw, &msg); err != nil || msg.Type != "message" || len(msg.Content) == 0 || msg.Usage.OutputTokens == 0 {
		t.Fatalf("invoke-model answer %s (%v)", raw, err)
	}

	// The native family's validator: max_tokens is required.
	_, stderr, ok := cli.runtime("invoke-model", "--model-id", claudeID,
		"--body", `{"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"Hi"}]}`, out)
	if ok || !strings.Contains(stderr, "ValidationException") || !strings.Contains(stderr, "max_tokens") {
		t.Errorf("invoke-model without max_tokens: ok=%v stderr=%q", ok, stderr)
	}

	stdout, stderr, ok := cli.runtime("converse", "--model-id", claudeID,
		"--messages", `[{"role":"user","content":[{"text":"Hello"}]}]`, "--inference-config", `{"maxTokens":40}`)
	if !ok {
		t.Fatalf("converse: %s", stderr)
	}
	var conv struct {
		Output struct {
			Message struct {
				Role    string
				Content []struct{ Text string }
			}
		}
		StopReason string
		Usage      struct{ InputTokens, OutputTokens int }
	}
	if err := json.Unmarshal([]byte(stdout), &conv); err != nil || conv.Output.Message.Role != "assistant" || conv.Usage.OutputTokens == 0 {
		t.Fatalf("converse answer %s (%v)", stdout, err)
	}

	if err := sim.InjectError(bedrocksim.OpInvokeModel, bedrocksim.ThrottlingException, "Too many requests, please wait before trying again."); err != nil {
		t.Fatal(err)
	}
	// botocore retries throttling itself: the second attempt succeeds.
	if _, stderr, ok := cli.runtime("invoke-model", "--model-id", claudeID, "--body", body, out); !ok {
		t.Errorf("invoke-model after one throttle: %s", stderr)
	}
	if n := len(sim.RuntimeCalls()); n != 3 { // two invoke-model answers and one converse
		t.Errorf("runtime calls answered: %d, want 3", n)
	}
}
