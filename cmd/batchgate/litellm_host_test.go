package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/local"
)

// TestLiteLLMListenAddress: LiteLLM's command line listens on --host (HOST,
// default 0.0.0.0) and --port (PORT, default 4000), as litellm does, so a
// container command swapped in as-is stays reachable; serve keeps its
// loopback default.
func TestLiteLLMListenAddress(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "0.0.0.0:4000"},
		{map[string]string{"PORT": "8080"}, "0.0.0.0:8080"},
		{map[string]string{"HOST": "127.0.0.1", "PORT": "4001"}, "127.0.0.1:4001"},
		{map[string]string{"HOST": "::1"}, "[::1]:4000"},
	} {
		got, err := liteLLMAddr(func(k string) string { return tt.env[k] })
		if err != nil || got != tt.want {
			t.Errorf("env %v: %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
	if _, err := liteLLMAddr(func(k string) string { return map[string]string{"PORT": "http"}[k] }); err == nil {
		t.Error("PORT=http accepted")
	}
}

// TestLiteLLMCommandLineHostPortEnv: without --host and --port, the
// LiteLLM form takes HOST and PORT from the environment.
func TestLiteLLMCommandLineHostPortEnv(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	vars := map[string]string{"HOST": "127.0.0.1", "PORT": fmt.Sprint(port)}

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		errc <- run(ctx, []string{"batchgate", "--data", t.TempDir(), "--sim-step-delay", "20ms"},
			func(k string) string { return vars[k] }, io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/health/liveliness", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-errc:
			errc <- err
			t.Fatalf("serve ended: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing answered on %s: %v\n%s", url, err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeLiteLLMEnvironmentVariables: serve sets the config's
// environment_variables in the process, as LiteLLM's proxy does (the AWS
// SDK and anything else reading the environment see them), and a config
// mixing an openai/ model with the batch model starts.
func TestServeLiteLLMEnvironmentVariables(t *testing.T) {
	const probe = "BATCHGATE_TEST_ENVIRONMENT_VARIABLES_PROBE"
	if os.Getenv(probe) != "" {
		t.Fatalf("%s is already set", probe)
	}
	t.Cleanup(func() { os.Unsetenv(probe); os.Unsetenv("BATCHGATE_TEST_MASTER") })
	ctx, cancel := context.WithCancel(context.Background())
	le, err := local.Start(ctx, local.Options{DataDir: t.TempDir(), StepDelay: 5 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	cfg := *le.Config
	cfg.ModelList = append([]config.Model{{ModelName: "gpt-4o", LiteLLMParams: config.LiteLLMParams{Model: "openai/gpt-4o"}}}, cfg.ModelList...)
	cfg.GeneralSettings.MasterKey = "os.environ/BATCHGATE_TEST_MASTER"
	data, err := config.Marshal(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "environment_variables:\n  "+probe+": set-by-config\n  BATCHGATE_TEST_MASTER: sk-master-from-section\n"...)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	readyc, errc := make(chan string, 1), make(chan error, 1)
	go func() {
		errc <- runServe(ctx, []string{"--config", path, "--addr", "127.0.0.1:0", "--data", t.TempDir()},
			func(string) string { return "" }, io.Discard, logs, func(u, _ string) { readyc <- u })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	var url string
	select {
	case url = <-readyc:
	case err := <-errc:
		t.Fatalf("serve: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not start")
	}
	if got := os.Getenv(probe); got != "set-by-config" {
		t.Errorf("%s = %q in the process, want environment_variables' value", probe, got)
	}
	req, _ := http.NewRequest("GET", url+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer sk-master-from-section")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("master key from environment_variables: %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "openai/gpt-4o") {
		t.Errorf("no warning for the openai/ model:\n%s", logs)
	}
}
