// Package namedlock provides mutexes created on demand by name, whose Lock
// honours a context.
package namedlock

import (
	"context"
	"sync"
)

// Set is a set of named mutexes. The zero Set is ready to use. A name's
// mutex exists while it is held or waited for, so names may be unbounded.
type Set struct {
	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	ch   chan struct{} // holds a token while the lock is held
	refs int           // holders and waiters
}

// Lock waits until the mutex called name is free or ctx ends, and returns
// the function that releases it (it must be called exactly once).
func (s *Set) Lock(ctx context.Context, name string) (unlock func(), err error) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]*entry{}
	}
	e := s.m[name]
	if e == nil {
		e = &entry{ch: make(chan struct{}, 1)}
		s.m[name] = e
	}
	e.refs++
	s.mu.Unlock()

	select {
	case e.ch <- struct{}{}:
		return func() {
			<-e.ch
			s.drop(name, e)
		}, nil
	case <-ctx.Done():
		s.drop(name, e)
		return nil, ctx.Err()
	}
}

func (s *Set) drop(name string, e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(s.m, name)
	}
}
