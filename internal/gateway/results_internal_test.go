package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// TestResultSlots: at most maxLargeResultWrites settlements write large
// result files at once; small ones never wait.
func TestResultSlots(t *testing.T) {
	g := New(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	large := []batchgate.Object{{Size: largeResultBytes / 2}, {Size: largeResultBytes/2 + 1}}
	var releases []func()
	for range maxLargeResultWrites {
		r, err := g.resultSlot(ctx, large)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := g.resultSlot(short, large); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a large write beyond the bound got %v; want it to wait until its context ends", err)
	}
	if r, err := g.resultSlot(short, []batchgate.Object{{Size: largeResultBytes}}); err != nil {
		t.Fatalf("a small write waited: %v", err)
	} else {
		r()
	}
	releases[0]()
	r, err := g.resultSlot(ctx, large)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	r()
}
