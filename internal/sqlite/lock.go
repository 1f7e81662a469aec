package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/batchgate/batchgate/internal/namedlock"
)

// locks holds the WithLock mutexes of every database this process opened,
// by lockKey and name, so that several DBs opened on one file exclude each
// other as well.
var (
	locks    namedlock.Set
	memories atomic.Int64
)

// lockKeyOf names the database at path for locks: its absolute path (with
// symbolic links resolved when possible), or a name of its own for each
// in-memory database.
func lockKeyOf(path string) string {
	if path == ":memory:" {
		return fmt.Sprintf(":memory:%d", memories.Add(1))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "file:" + path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return "file:" + abs
}

// WithLock runs fn holding the lock name (see batchgate.Store).
//
// The lock is a mutex in this process, shared by every DB opened on the same
// file. That is enough because a SQLite database has one gateway process:
// replicas need a shared database server, and run on PostgreSQL, whose
// WithLock is an advisory lock. Processes that merely open the same file
// (such as two servers started by mistake) are not excluded from each other.
func (db *DB) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	unlock, err := locks.Lock(ctx, db.lockKey+"\x00"+name)
	if err != nil {
		return err
	}
	defer unlock()
	return fn(ctx)
}
