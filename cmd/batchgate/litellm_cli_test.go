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

// TestLiteLLMCommandLine: "batchgate --host H --port P ..." (LiteLLM's
// "litellm --config config.yaml --port 4000" form: flags without a
// subcommand) runs the gateway on that host and port.
func TestLiteLLMCommandLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		errc <- run(ctx, []string{"batchgate", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--data", t.TempDir(), "--sim-step-delay", "20ms"},
			func(string) string { return "" }, io.Discard, logs)
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
			errc <- err // for the cleanup
			t.Fatalf("serve ended: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing answered on %s: %v\n%s", url, err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
