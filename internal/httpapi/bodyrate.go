package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/batchgate/batchgate"
)

// Default minimum progress of a request body: at least 16 KiB per minute of
// waiting on the client, far below any working connection, so that only a
// client that stopped sending (or trickles on purpose) is cut off.
const (
	DefaultBodyProgressWindow = time.Minute
	DefaultBodyProgressBytes  = 16 << 10
)

// minBodyRate cuts off a request whose body arrives at less than
// BodyProgressBytes per BodyProgressWindow of waiting: the read fails with
// 408 and the connection closes. It is not a total deadline, so a GB upload
// that streams slowly but steadily goes through; and only time spent
// waiting on the client counts, not time the handler spends elsewhere
// (streaming the previous part to S3) while the client is held back.
func (s *Server) minBodyRate(h http.Handler) http.Handler {
	if s.BodyProgressWindow <= 0 {
		return h
	}
	need := max(s.BodyProgressBytes, 1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		// The deadline stays set after the handler: the server discards an
		// unread body then, and must not wait on a stalled client for it
		// (it sets its own deadlines before the next request).
		r.Body = &rateBody{body: r.Body, rc: http.NewResponseController(w), window: s.BodyProgressWindow, need: need}
		h.ServeHTTP(w, r)
	})
}

type rateBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	window time.Duration
	need   int64

	off    bool          // the connection takes no deadlines
	got    int64         // bytes in the current window
	waited time.Duration // time spent waiting in the current window
	err    error
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.off {
		return b.body.Read(p)
	}
	start := time.Now()
	if err := b.rc.SetReadDeadline(start.Add(b.window - b.waited)); err != nil {
		b.off = true // not a connection (a test recorder): no deadline to set
		return b.body.Read(p)
	}
	n, err := b.body.Read(p)
	b.waited += time.Since(start)
	if b.got += int64(n); b.got >= b.need {
		b.got, b.waited = 0, 0
	}
	switch {
	case err == io.EOF:
		// Done: no deadline may fire later under the server's own read of
		// the connection (it would cancel the request's context).
		_ = b.rc.SetReadDeadline(time.Time{})
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		err = &batchgate.Error{Code: batchgate.ETIMEOUT, Message: fmt.Sprintf(
			"The request body arrived too slowly: less than %d bytes in %s. The connection is closed; retry on a steadier connection.", b.need, b.window)}
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *rateBody) Close() error { return b.body.Close() }
