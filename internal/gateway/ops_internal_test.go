package gateway

import (
	"errors"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

func TestRetryPolicyDelay(t *testing.T) {
	p := RetryPolicy{Base: 100 * time.Millisecond, Max: time.Second, QuotaMax: 300 * time.Millisecond}
	within := func(d, want time.Duration) bool { return d >= want-want/4 && d <= want+want/4 }
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 50: time.Second} {
		if d := p.delay(n, false); !within(d, want) {
			t.Errorf("delay(%d) = %v; want %v ±25%%", n, d, want)
		}
	}
	if d := p.delay(10, true); !within(d, 300*time.Millisecond) {
		t.Errorf("quota delay(10) = %v; want about QuotaMax", d)
	}
	if d := (RetryPolicy{}).delay(1, false); !within(d, time.Second) {
		t.Errorf("default first delay = %v; want about 1s", d)
	}
}

func TestBackoffDue(t *testing.T) {
	g := &Gateway{Retry: RetryPolicy{Base: time.Second, Max: time.Minute}}
	now := time.Unix(1000, 0)
	if !g.due("b", now) {
		t.Fatal("a batch without failures is not due")
	}
	d1 := g.backoff("b", errors.New("throttled"), now)
	if g.due("b", now.Add(d1-time.Millisecond)) || !g.due("b", now.Add(d1)) {
		t.Fatalf("after a failure, due before %v or not at it", d1)
	}
	d2 := g.backoff("b", errors.New("throttled"), now)
	if d2 < 1500*time.Millisecond || d2 > 2500*time.Millisecond {
		t.Errorf("second delay %v; want 2s ±25%% (the base doubled)", d2)
	}
	quota := &batchgate.Error{Code: batchgate.ERATELIMIT, Message: "quota full"}
	for range 20 {
		g.backoff("q", quota, now)
	}
	if d := g.ops.retry["q"].next.Sub(now); d > 30*time.Second*5/4 {
		t.Errorf("quota backoff grew to %v; want at most QuotaMax (30s default)", d)
	}
	g.backoff("b", nil, now)
	if !g.due("b", now) {
		t.Error("success does not clear the backoff")
	}
	g.setInflight("c", true)
	if g.due("c", now) {
		t.Error("an in-flight batch is due")
	}
	g.setInflight("c", false)
	if !g.due("c", now) {
		t.Error("a batch no longer in flight is not due")
	}
}
