package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
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
