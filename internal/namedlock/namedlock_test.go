package namedlock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLock(t *testing.T) {
	var s Set
	ctx := context.Background()
	unlockA, err := s.Lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// Another name is free while a is held.
	unlockB, err := s.Lock(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	unlockB()

	// A waiter for a gives up when its context ends.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(wctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock of a held name: %v, want the context's error", err)
	}

	// A waiter gets the lock once it is released.
	got := make(chan func())
	go func() {
		u, err := s.Lock(ctx, "a")
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	unlockA()
	(<-got)()

	if len(s.m) != 0 {
		t.Errorf("%d names left in the set after every lock was released", len(s.m))
	}
}
