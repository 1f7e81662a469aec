package e2e

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "TestConsole: write the console screenshots to docs/screenshots")

// TestConsole runs the web console's browser test (console-tests/, headless
// Debian chromium driven by playwright-core) against `batchgate serve` in its
// embedded default: sign in (and the help on where the master key is),
// a refused upload, submit a batch and watch it complete, download its
// results, the files' links to their batches, create/edit/revoke a key, see
// the spend charts, check what a virtual key may see (admin pages, the models
// of My key), and every page at a phone's 390 px width. scripts/test.sh installs chromium and the npm
// dependencies; outside CI the test skips without them.
func TestConsole(t *testing.T) {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	dir, err := filepath.Abs("../console-tests")
	if err != nil {
		t.Fatal(err)
	}
	node, nodeErr := exec.LookPath("node")
	_, browserErr := os.Stat(chromium)
	_, depsErr := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json"))
	for _, e := range []error{nodeErr, browserErr, depsErr} {
		if e == nil {
			continue
		}
		if os.Getenv("BATCHGATE_CI") != "" {
			t.Fatalf("the console test needs node, %s and `npm ci` in console-tests (scripts/test.sh installs them): %v", chromium, e)
		}
		t.Skipf("console test skipped (run scripts/test.sh, or apt-get install chromium and npm ci in console-tests): %v", e)
	}

	data := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, base+"/health/liveliness",
		"serve", "--data", data, "--addr", addr, "--sim-step-delay", "1s", "--reconcile-interval", "200ms", "--log-format", "text")
	master, err := os.ReadFile(filepath.Join(data, "master_key"))
	if err != nil {
		t.Fatal(err)
	}

	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "console.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BATCHGATE_URL="+base, "BATCHGATE_MASTER_KEY="+strings.TrimSpace(string(master)),
		"SCREENSHOT_DIR="+shots, "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("console browser test failed: %v\n%s", err, out)
	}
	t.Logf("console browser test:\n%s", out)
	// The main pages' screenshots are kept in docs/screenshots for the README.
	for _, name := range []string{"batches", "batch", "keys", "spend"} {
		b, err := os.ReadFile(filepath.Join(shots, name+".png"))
		if err != nil || len(b) < 10<<10 || !strings.HasPrefix(string(b), "\x89PNG") {
			t.Errorf("screenshot %s.png missing or not a PNG: %v", name, err)
			continue
		}
		if *updateScreenshots {
			if err := os.MkdirAll("../docs/screenshots", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("../docs/screenshots", name+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
