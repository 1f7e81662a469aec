package awsconf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// StallTimeout is how long an S3 or Bedrock call may wait on the endpoint
// without any progress (a byte of the request body taken, or of the
// response received) before it is cut off with ErrStalled. It is not a
// total deadline: a GB upload or download that moves steadily runs as long
// as it needs, while a stopped or unreachable server fails the call instead
// of holding it (and the client's upload) forever. The SDK retries a stalled
// attempt like any connection error. Clients read it when they are built.
var StallTimeout = time.Minute

// ErrStalled is the error of a call cut off by StallTimeout.
var ErrStalled = errors.New("no progress")

// stallError says which endpoint stalled, for the logs and the caller.
type stallError struct {
	service, host string
	after         time.Duration
}

func (e *stallError) Error() string {
	return fmt.Sprintf("%s endpoint %s made no progress for %s (is it up and reachable?)", e.service, e.host, e.after)
}
func (e *stallError) Unwrap() error { return ErrStalled }
func (e *stallError) Timeout() bool { return true }

// stallClient is an aws.HTTPClient that cancels a request when the endpoint
// makes no progress for timeout while the request waits on it.
type stallClient struct {
	next    aws.HTTPClient
	service string
	timeout time.Duration
}

func withStallGuard(next aws.HTTPClient, service string) aws.HTTPClient {
	if StallTimeout <= 0 {
		return next
	}
	if next == nil {
		// What the service client would have used in its place.
		next = awshttp.NewBuildableClient()
	}
	return &stallClient{next: next, service: service, timeout: StallTimeout}
}

func (c *stallClient) Do(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watch{err: &stallError{service: c.service, host: req.URL.Host, after: c.timeout}, cancel: cancel, timeout: c.timeout}
	req = req.WithContext(ctx)
	// A body of unknown length stays as it is: wrapping http.NoBody, say,
	// would turn a bodiless request into a chunked one.
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength > 0 {
		req.Body = &progressBody{ReadCloser: req.Body, w: w}
		if gb := req.GetBody; gb != nil {
			req.GetBody = func() (io.ReadCloser, error) {
				b, err := gb()
				if err != nil {
					return nil, err
				}
				return &progressBody{ReadCloser: b, w: w}, nil
			}
		}
	}
	w.arm() // waiting: on the request to go out, then on the response headers
	resp, err := c.next.Do(req)
	w.disarm()
	if err != nil {
		cancel(nil)
		return nil, w.explain(err)
	}
	resp.Body = &responseBody{ReadCloser: resp.Body, w: w}
	return resp, nil
}

// watch cancels the request once it has waited timeout without progress.
// Time counts only while someone waits on the endpoint (armed), so that a
// response read slowly by its consumer is not taken for a stall.
type watch struct {
	mu      sync.Mutex
	timer   *time.Timer
	armed   int
	timeout time.Duration
	err     *stallError
	cancel  context.CancelCauseFunc
	stalled atomic.Bool
}

func (w *watch) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed++; w.armed > 1 {
		return
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(w.timeout, func() {
			w.stalled.Store(true)
			w.cancel(w.err)
		})
	} else {
		w.timer.Reset(w.timeout)
	}
}

func (w *watch) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed--; w.armed == 0 {
		w.timer.Stop()
	}
}

// progress restarts the window.
func (w *watch) progress() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed > 0 {
		w.timer.Reset(w.timeout)
	}
}

// explain replaces the cancellation error of a stalled request with why.
func (w *watch) explain(err error) error {
	if err != nil && w.stalled.Load() {
		return fmt.Errorf("%w: %v", w.err, err)
	}
	return err
}

type progressBody struct {
	io.ReadCloser
	w *watch
}

func (b *progressBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.progress()
	}
	return n, err
}

type responseBody struct {
	io.ReadCloser
	w *watch
}

func (b *responseBody) Read(p []byte) (int, error) {
	b.w.arm()
	n, err := b.ReadCloser.Read(p)
	b.w.disarm()
	if err != nil && err != io.EOF {
		err = b.w.explain(err)
	}
	return n, err
}

func (b *responseBody) Close() error {
	err := b.ReadCloser.Close()
	b.w.cancel(nil)
	return err
}
