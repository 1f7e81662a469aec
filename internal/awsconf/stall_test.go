package awsconf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/internal/config"
)

// stalledS3 returns a client for an S3 endpoint served by h, giving up on
// calls that make no progress for a short window.
func stalledS3(t *testing.T, h func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})) *s3.Client {
	t.Helper()
	// Without a CA bundle the SDK config has no HTTP client of its own (the
	// service client would pick its default): the guard must supply one.
	t.Setenv("AWS_CA_BUNDLE", "")
	old := StallTimeout
	StallTimeout = 200 * time.Millisecond
	t.Cleanup(func() { StallTimeout = old })
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, stop) }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // first: the stalled handlers return

	c, err := S3(context.Background(), config.LiteLLMParams{
		S3EndpointURL: srv.URL, S3RegionName: "us-east-1", S3AccessKeyID: "a", S3SecretAccessKey: "b",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// within runs f, failing the test if it does not return within a minute
// (so a regression fails instead of hanging the package).
func within(t *testing.T, f func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- f() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(time.Minute):
		t.Fatal("the call hung")
		return nil
	}
}

func wantStall(t *testing.T, err error) {
	t.Helper()
	if err == nil || !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "no progress") {
		t.Fatalf("error %v; want one saying the endpoint made no progress", err)
	}
}

// A control call to an S3 that accepts the connection but never answers
// ends with an error instead of hanging.
func TestStall_NoResponse(t *testing.T) {
	c := stalledS3(t, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) { <-stop })
	wantStall(t, within(t, func() error {
		_, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("b")})
		return err
	}))
}

// An upload to an S3 that stops reading the body ends with an error.
func TestStall_UploadBodyNotRead(t *testing.T) {
	c := stalledS3(t, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
		io.CopyN(io.Discard, r.Body, 1024)
		<-stop
	})
	body := bytes.Repeat([]byte("x"), 32<<20) // more than the socket buffers hold
	wantStall(t, within(t, func() error {
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: bytes.NewReader(body)})
		return err
	}))
}

// A download from an S3 that stops sending ends with an error.
func TestStall_DownloadStops(t *testing.T) {
	c := stalledS3(t, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-stop
	})
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	wantStall(t, within(t, func() error { _, err := io.ReadAll(out.Body); return err }))
}

// A download read slowly by its consumer (a slow HTTP client downstream) is
// not S3's stall: only time spent waiting on S3 counts.
func TestStall_SlowConsumerIsNotAStall(t *testing.T) {
	c := stalledS3(t, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
		w.Write([]byte("first"))
		w.(http.Flusher).Flush()
		w.Write([]byte(" second"))
	})
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	time.Sleep(3 * StallTimeout) // the consumer dawdles; S3 has sent everything
	b, err := io.ReadAll(out.Body)
	if err != nil || string(b) != "first second" {
		t.Fatalf("read %q, %v", b, err)
	}
}
