package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/openai"
)

// localGateway is a local `batchgate serve` for the CLI's tests.
type localGateway struct {
	url, key, dataDir string
	stdout            *syncBuffer
	logs              *syncBuffer
}

func startLocalGateway(t *testing.T) *localGateway {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := &localGateway{dataDir: t.TempDir(), stdout: &syncBuffer{}, logs: &syncBuffer{}}
	readyc := make(chan struct{}, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data", g.dataDir, "--reconcile-interval", "50ms", "--sim-step-delay", "20ms"},
			func(string) string { return "" }, g.stdout, g.logs, func(u, k string) { g.url, g.key = u, k; readyc <- struct{}{} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case <-readyc:
	case err := <-errc:
		t.Fatalf("serve: %v\n%s", err, g.logs)
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not start")
	}
	return g
}

// TestServe_PrintsHowToConnect: serve tells where the console is and how to
// point the CLI and an SDK at it.
func TestServe_PrintsHowToConnect(t *testing.T) {
	g := startLocalGateway(t)
	out := g.stdout.String()
	for _, want := range []string{
		"console:    " + g.url + "/ui",
		"BATCHGATE_BASE_URL=" + g.url,
		"BATCHGATE_DATA=" + g.dataDir,
		"batchgate keys create",
		"OPENAI_BASE_URL=" + g.url + "/v1",
		"master key: " + g.key + "  (kept in " + filepath.Join(g.dataDir, "master_key") + ")",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve's output lacks %q:\n%s", want, out)
		}
	}
}

// TestClient_LocalGateway: against a local serve, the CLI needs no key (it
// reads the master key from the data directory) and an admin does
// everything from the command line: keys, users, teams, models, spend.
func TestClient_LocalGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local gateway")
	}
	g := startLocalGateway(t)
	admin := map[string]string{"BATCHGATE_BASE_URL": g.url, "BATCHGATE_DATA": g.dataDir}
	run := func(env map[string]string, args ...string) string {
		t.Helper()
		stdout, stderr, err := runCLI(t, env, args...)
		if err != nil {
			t.Fatalf("batchgate %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return stdout
	}

	// No key given, and none in the environment: the data directory's.
	run(admin, "team", "new", "--team-id", "ml", "--alias", "ML")
	out := run(admin, "user", "new", "--user-id", "alice", "--email", "alice@example.com", "--team", "ml", "--json")
	var user struct{ Key string }
	if json.Unmarshal([]byte(out), &user) != nil || !strings.HasPrefix(user.Key, "sk-") {
		t.Fatalf("user new --json: %s", out)
	}
	run(admin, "user", "new", "--user-id", "bob", "--no-key")
	run(admin, "team", "member-add", "ml", "bob", "--role", "admin")
	if out := run(admin, "team", "info", "ml"); !strings.Contains(out, "alice (user)") || !strings.Contains(out, "bob (admin)") {
		t.Errorf("team info:\n%s", out)
	}
	if out := run(admin, "team", "list"); !regexp.MustCompile(`(?m)^ml\s+ML\s+all\s+2\s`).MatchString(out) {
		t.Errorf("team list:\n%s", out)
	}
	if out := run(admin, "user", "list"); !strings.Contains(out, "alice@example.com") || !strings.Contains(out, "bob") {
		t.Errorf("user list:\n%s", out)
	}
	if out := run(admin, "user", "info", "alice"); !strings.Contains(out, "alice@example.com") || !regexp.MustCompile(`(?m)^teams\s+ml$`).MatchString(out) {
		t.Errorf("user info:\n%s", out)
	}

	out = run(admin, "keys", "create", "--models", "bedrock-batch-claude", "--user-id", "alice", "--json")
	var key struct{ Key string }
	if json.Unmarshal([]byte(out), &key) != nil || key.Key == "" {
		t.Fatalf("keys create: %s", out)
	}
	dev := map[string]string{"BATCHGATE_BASE_URL": g.url, "BATCHGATE_API_KEY": key.Key}
	if out := run(dev, "models"); out != "bedrock-batch-claude\n" {
		t.Errorf("models: %q", out)
	}

	if out := run(admin, "key", "update", key.Key, "--alias", "renamed", "--max-budget", "5"); !strings.Contains(out, "renamed") || !strings.Contains(out, "$5.00") {
		t.Errorf("key update:\n%s", out)
	}
	run(admin, "key", "block", key.Key)
	if _, _, err := runCLI(t, dev, "models"); err == nil {
		t.Error("a blocked key still lists models")
	}
	run(admin, "key", "unblock", key.Key)
	run(dev, "models")

	path := writeJSONL(t, 100, "bedrock-batch-claude")
	out = run(dev, "batch", "submit", path, "--wait", "--poll-interval", "20ms", "--json")
	var b openai.Batch
	if json.Unmarshal([]byte(out), &b) != nil || b.Status != "completed" {
		t.Fatalf("batch submit --wait: %s", out)
	}
	if out := run(dev, "batch", "status", b.ID); !regexp.MustCompile(`(?m)^cost\s+\$0\.\d{6}$`).MatchString(out) {
		t.Errorf("batch status shows no cost:\n%s", out)
	}
	// Nothing failed: --errors says so and succeeds.
	stdout, stderr, err := runCLI(t, dev, "batch", "results", b.ID, "--errors")
	if err != nil || stdout != "" || !strings.Contains(stderr, "none of its 100 requests failed") {
		t.Errorf("results --errors without errors: err=%v stdout=%q stderr=%q", err, stdout, stderr)
	}
	if out := run(admin, "spend", "logs", "--user-id", "alice"); !strings.Contains(out, b.ID) || !strings.Contains(out, "total") {
		t.Errorf("spend logs:\n%s", out)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	if out := run(admin, "spend", "logs", "--start-date", today, "--end-date", today); !strings.Contains(out, b.ID) {
		t.Errorf("spend logs of today:\n%s", out)
	}
	if out := run(admin, "spend", "logs", "--start-date", yesterday, "--end-date", today, "--daily"); !regexp.MustCompile(`(?m)^` + yesterday + `\s+\$0\.000000\n` + today + `\s+\$0\.\d*[1-9]`).MatchString(out) {
		t.Errorf("daily spend of yesterday and today:\n%s", out)
	}

	// A wrong key in the data directory is named in the 401.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "master_key"), []byte("sk-not-the-key\n"), 0o600)
	_, _, err = runCLI(t, map[string]string{"BATCHGATE_BASE_URL": g.url, "BATCHGATE_DATA": other}, "user", "list")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(other, "master_key")) {
		t.Errorf("wrong local key: %v", err)
	}
	// The data directory's key is not sent to another host.
	c := &cli{getenv: func(k string) string { return map[string]string{"BATCHGATE_DATA": g.dataDir}[k] }, baseURL: "https://gateway.example.com"}
	if k, _ := c.localMasterKey(); k != "" {
		t.Error("the local master key is used for a remote gateway")
	}
}

// TestClient_HonestMessages: what a user meets first says what to do.
func TestClient_HonestMessages(t *testing.T) {
	t.Run("ConnectionRefused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		ln.Close()
		_, _, err = runCLI(t, map[string]string{"BATCHGATE_BASE_URL": url, "BATCHGATE_API_KEY": "sk-x"}, "batch", "list")
		if err == nil || !strings.Contains(err.Error(), "batchgate serve") || !strings.Contains(err.Error(), "--base-url") || !strings.Contains(err.Error(), url) {
			t.Fatalf("err=%v", err)
		}
	})
	t.Run("PortInUse", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		dir := t.TempDir()
		err = runServe(context.Background(), []string{"--addr", ln.Addr().String(), "--data", filepath.Join(dir, "data")},
			func(string) string { return "" }, io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "--port") || !strings.Contains(err.Error(), "--addr") {
			t.Fatalf("err=%v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a serve that could not listen made its data directory: %v", err)
		}
	})
	t.Run("SubmitWithoutFile", func(t *testing.T) {
		_, _, err := runCLI(t, nil, "batch", "submit", "--model", "m")
		if err == nil || !strings.Contains(err.Error(), "missing argument FILE") {
			t.Fatalf("err=%v", err)
		}
		_, _, err = runCLI(t, nil, "team", "member-add", "ml")
		if err == nil || !strings.Contains(err.Error(), "missing argument USER_ID") {
			t.Fatalf("err=%v", err)
		}
	})
	t.Run("NoErrorDataPointer", func(t *testing.T) {
		// Neither the CLI's nor the gateway's text sends users to error.data.
		for _, dir := range []string{".", "../../internal/gateway", "../../internal/httpapi", "../../internal/console/static"} {
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			for _, f := range files {
				if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, ".md") {
					continue
				}
				b, err := os.ReadFile(f)
				if err == nil && bytes.Contains(b, []byte("see error.data")) {
					t.Errorf("%s says \"see error.data\"", f)
				}
			}
		}
	})
}

// TestHelpStyle walks every command's --help: one shape for all (see help.go).
func TestHelpStyle(t *testing.T) {
	cmds := [][]string{{"serve"}, {"demo"}, {"check"}, {"bedrock-sim"}}
	for group, list := range clientCommands {
		for _, c := range list {
			cmds = append(cmds, []string{group, c.name})
		}
	}
	singleDash := regexp.MustCompile(`^\s+-[a-z][a-z0-9_-]+`)
	for _, cmd := range cmds {
		name := strings.Join(cmd, " ")
		t.Run(name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, map[string]string{"BATCHGATE_API_KEY": "sk-secret-in-env"}, append(cmd, "--help")...)
			out := stdout + stderr
			if !errors.Is(err, flag.ErrHelp) {
				t.Errorf("err=%v, want flag.ErrHelp (exit 0)", err)
			}
			if !strings.HasPrefix(out, "Usage: batchgate "+name) {
				t.Errorf("does not start with %q:\n%s", "Usage: batchgate "+name, out)
			}
			if !strings.Contains(out, "\nFlags (all optional unless marked required):\n") {
				t.Errorf("no flags section:\n%s", out)
			}
			if strings.Contains(out, "sk-secret-in-env") {
				t.Error("help shows a secret from the environment")
			}
			for _, l := range strings.Split(out, "\n") {
				if singleDash.MatchString(l) {
					t.Errorf("a long flag with one dash: %q", l)
				}
			}
			// Every optional part of the usage line is bracketed: the
			// positional arguments come first, then [--flag VALUE].
			usage, _, _ := strings.Cut(out, "\n")
			depth := 0
			for _, w := range strings.Fields(strings.TrimPrefix(usage, "Usage: batchgate "+name))[len(positionalsOf(cmd)):] {
				depth += strings.Count(w, "[")
				if strings.HasPrefix(w, "--") && depth == 0 && name != "check" { // check's --config is required
					t.Errorf("usage line %q shows %s as required", usage, w)
				}
				depth -= strings.Count(w, "]")
			}
			if len(cmd) == 2 || name == "serve" || name == "check" || name == "bedrock-sim" {
				if !strings.Contains(out, "\nEnvironment:\n") {
					t.Errorf("no environment section:\n%s", out)
				}
			}
		})
	}
	for _, env := range []string{"LITELLM_MASTER_KEY", "DATABASE_URL", "BATCHGATE_DATA"} {
		stdout, stderr, _ := runCLI(t, nil, "serve", "--help")
		if !strings.Contains(stdout+stderr, env) {
			t.Errorf("serve --help does not mention %s", env)
		}
	}
	stdout, _, err := runCLI(t, nil, "--help")
	if err != nil || !strings.Contains(stdout, "batchgate models") || !strings.Contains(stdout, "batchgate user") || !strings.Contains(stdout, "BATCHGATE_DATA") {
		t.Errorf("batchgate --help: %v\n%s", err, stdout)
	}
}

func positionalsOf(cmd []string) []string {
	if len(cmd) < 2 {
		return nil
	}
	for _, c := range clientCommands[cmd[0]] {
		if c.name == cmd[1] {
			return positionals(c.args)
		}
	}
	return nil
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		stdout, _, err := runCLI(t, nil, arg)
		// A test binary carries the Go version but no module version or VCS stamp.
		if err != nil || !regexp.MustCompile(`^batchgate \S+ go1\.\d+`).MatchString(stdout) {
			t.Errorf("%s: %v %q", arg, err, stdout)
		}
	}
}

// TestDemo_PipedOutput: piped, the demo prints one line per state change
// (no bar drawing), the counts rise while the job runs, and it names no log
// file that is deleted on exit.
func TestDemo_PipedOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo")
	}
	var out, errb bytes.Buffer
	if err := runDemo(context.Background(), []string{"--step-delay", "300ms"}, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("demo: %v\n%s", err, errb.String())
	}
	s := out.String()
	if strings.Contains(s, "\r") || strings.Contains(s, "█") {
		t.Errorf("a progress bar in piped output:\n%s", s)
	}
	if strings.Contains(s, "gateway.log") || strings.Contains(s, os.TempDir()) {
		t.Errorf("the output names a path deleted on exit:\n%s", s)
	}
	if !strings.Contains(s, "   completed 120/120\n") {
		t.Errorf("no final state line:\n%s", s)
	}
	if !regexp.MustCompile(`(?m)^   in_progress ([1-9]\d?|1[01]\d)/120$`).MatchString(s) {
		t.Errorf("no in-progress count between 0 and 120:\n%s", s)
	}
	if !strings.Contains(s, "Billed at batch prices") {
		t.Errorf("120 requests are not billed at batch prices:\n%s", s)
	}
}

// TestDemo_SmallBatchOnDemand: below Bedrock's batch minimum the demo's
// batch runs on demand, and the demo says it is billed at on-demand prices.
func TestDemo_SmallBatchOnDemand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := runDemo(context.Background(), []string{"--requests", "3"}, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("demo: %v\n%s", err, errb.String())
	}
	if s := out.String(); !strings.Contains(s, "   completed 3/3\n") || !strings.Contains(s, "Billed at on-demand prices") {
		t.Errorf("a 3-request demo:\n%s", s)
	}
}
