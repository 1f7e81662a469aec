package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// lockWait bounds how long a lock test waits for a lock it must get: a
// lock left held fails the test instead of hanging it.
const lockWait = 30 * time.Second

// section counts the callers inside a lock and records any overlap.
type section struct {
	in, max atomic.Int32
	runs    atomic.Int32
}

// run is a critical section that lasts long enough (a store call and a
// millisecond) for callers that are not excluded to overlap.
func (c *section) run(ctx context.Context, s batchgate.Store) error {
	n := c.in.Add(1)
	defer c.in.Add(-1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			break
		}
	}
	c.runs.Add(1)
	if _, _, _, err := s.ReservedSpend(ctx, batchgate.Owner{KeyID: "lock-key"}); err != nil {
		return err
	}
	time.Sleep(time.Millisecond)
	return nil
}

// hammer calls WithLock(name) iterations times from each store of stores
// (one goroutine per entry) and checks that no two fns overlapped.
func hammer(t *testing.T, stores []batchgate.Store, name string, iterations int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), lockWait)
	defer cancel()
	var c section
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			for range iterations {
				if err := s.WithLock(ctx, name, func(ctx context.Context) error { return c.run(ctx, s) }); err != nil {
					t.Errorf("WithLock: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got, want := c.runs.Load(), int32(len(stores)*iterations); got != want {
		t.Errorf("fn ran %d times, want %d", got, want)
	}
	if m := c.max.Load(); m != 1 {
		t.Errorf("%d fns ran at once under lock %q, want 1", m, name)
	}
}

// testLockExclusive: goroutines locking one name on one store never run
// fn at the same time.
func testLockExclusive(t *testing.T, s batchgate.Store) {
	hammer(t, []batchgate.Store{s, s, s, s}, "budget", 10)
}

// testLockRelease: the lock is free again after fn fails, after fn panics,
// and after a waiter gives up; WithLock returns fn's error, and a waiter
// whose context ends gets an error without running fn.
func testLockRelease(t *testing.T, s batchgate.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), lockWait)
	defer cancel()
	errFn := errors.New("fn failed")
	if err := s.WithLock(ctx, "release", func(context.Context) error { return errFn }); !errors.Is(err, errFn) {
		t.Errorf("WithLock returned %v, want fn's error", err)
	}
	mustLock(t, ctx, s, "release", "after fn failed")

	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want fn's panic", r)
			}
		}()
		s.WithLock(ctx, "release", func(context.Context) error { panic("boom") })
	}()
	mustLock(t, ctx, s, "release", "after fn panicked")

	checkHeldExcludes(t, ctx, s, s, "release")
	mustLock(t, ctx, s, "release", "after a waiter gave up")
}

// testLockManyNames: a name held doesn't keep another from being locked,
// and many names locked at once, each fn using the store, all complete (a
// store whose lock holders and fns shared a bounded pool of connections
// would deadlock here).
func testLockManyNames(t *testing.T, s batchgate.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), lockWait)
	defer cancel()
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.WithLock(ctx, "team:a", func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
		mustLock(t, ctx, s, "team:b", "while team:a is held")
	case err := <-done:
		t.Errorf("WithLock(team:a): %v", err)
	}
	close(release)
	<-done

	const n = 24
	var ran atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.WithLock(ctx, fmt.Sprintf("team:%d", i), func(ctx context.Context) error {
				for range 2 {
					if _, err := s.FindTeamByID(ctx, "nobody"); !batchgate.IsNotFound(err) {
						return fmt.Errorf("FindTeamByID: %v", err)
					}
					time.Sleep(time.Millisecond)
				}
				ran.Add(1)
				return nil
			})
			if err != nil {
				t.Errorf("WithLock(team:%d): %v", i, err)
			}
		})
	}
	wg.Wait()
	if ran.Load() != n {
		t.Errorf("%d of %d fns ran", ran.Load(), n)
	}
}

// testReplicasLock: stores sharing a database exclude each other.
func testReplicasLock(t *testing.T, replicas []batchgate.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), lockWait)
	defer cancel()
	checkHeldExcludes(t, ctx, replicas[0], replicas[1], "budget")
	mustLock(t, ctx, replicas[1], "budget", "on another replica after the holder released it")
	hammer(t, append(replicas, replicas...), "budget", 10)
	// An error on one replica releases the lock for the others.
	errFn := errors.New("fn failed")
	if err := replicas[1].WithLock(ctx, "budget", func(context.Context) error { return errFn }); !errors.Is(err, errFn) {
		t.Errorf("WithLock returned %v, want fn's error", err)
	}
	for i, s := range replicas {
		mustLock(t, ctx, s, "budget", fmt.Sprintf("on replica %d after replica 1's fn failed", i))
	}
}

// checkHeldExcludes holds name on holder while a WithLock(name) on waiter,
// with a short deadline, must fail without running fn.
func checkHeldExcludes(t *testing.T, ctx context.Context, holder, waiter batchgate.Store, name string) {
	t.Helper()
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- holder.WithLock(ctx, name, func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("holder: WithLock: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	ran := false
	err := waiter.WithLock(wctx, name, func(context.Context) error { ran = true; return nil })
	cancel()
	if ran || err == nil {
		t.Errorf("WithLock(%q) ran fn (err %v) while another held the lock", name, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("holder: WithLock: %v", err)
	}
}

// mustLock checks that name can be locked now.
func mustLock(t *testing.T, ctx context.Context, s batchgate.Store, name, when string) {
	t.Helper()
	ran := false
	if err := s.WithLock(ctx, name, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Errorf("WithLock(%q) %s: ran %v, err %v (is the lock still held?)", name, when, ran, err)
	}
}
