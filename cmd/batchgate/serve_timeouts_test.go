package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startTimeoutServe runs the local gateway with short connection windows and
// returns its host:port and master key.
func startTimeoutServe(t *testing.T) (addr, key string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type ready struct{ url, key string }
	readyc, errc := make(chan ready, 1), make(chan error, 1)
	go func() {
		errc <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data", t.TempDir(),
			"--keepalive_timeout", "200ms", "--read-header-timeout", "200ms",
			"--upload-progress-window", "200ms", "--upload-progress-bytes", "1024"},
			func(string) string { return "" }, io.Discard, io.Discard, func(u, k string) { readyc <- ready{u, k} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case r := <-readyc:
		return strings.TrimPrefix(r.url, "http://"), r.key
	case err := <-errc:
		errc <- nil // for the cleanup
		t.Fatal(err)
	}
	return "", ""
}

// dial opens a raw connection; its fail-safe deadline only keeps a
// regression from hanging the test.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute))
	return c
}

// closedByServer reports whether the server ends the connection (EOF or a
// reset) rather than the fail-safe deadline passing.
func closedByServer(t *testing.T, r io.Reader) bool {
	t.Helper()
	_, err := io.Copy(io.Discard, r)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

// Idle keep-alive connections are closed after --keepalive_timeout (LiteLLM's
// flag), and a client that never finishes its headers after
// --read-header-timeout.
func TestServe_ConnectionTimeouts(t *testing.T) {
	addr, _ := startTimeoutServe(t)

	c := dial(t, addr)
	io.WriteString(c, "GET /health/liveliness HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("liveliness: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	if !closedByServer(t, br) {
		t.Error("an idle keep-alive connection stayed open")
	}

	c = dial(t, addr)
	io.WriteString(c, "GET /health/liveliness HTTP/1.1\r\nHost: x\r\n")
	if !closedByServer(t, c) {
		t.Error("a connection with unfinished headers stayed open")
	}
}

// An upload that stops sending is cut off with 408 and a message saying why,
// and its connection closed.
func TestServe_StalledUploadIsCutOff(t *testing.T) {
	addr, key := startTimeoutServe(t)
	c := dial(t, addr)
	io.WriteString(c, "POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+"\r\n"+
		"Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 100000\r\n\r\n"+
		"--XX\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--XX\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response to a stalled upload: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "1024 bytes") {
		t.Errorf("stalled upload: %d %s", resp.StatusCode, body)
	}
	if !closedByServer(t, br) {
		t.Error("the stalled upload's connection stayed open")
	}
}
