package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lockSpace is the first key of WithLock's two-key advisory locks; the
// second is hashtext(name). Two-key locks don't collide with one-key locks
// (such as migrationLock), and the constant keeps them apart from other
// applications' two-key locks on the same database. A hash collision of two
// names only makes them wait for each other.
const lockSpace int32 = 0x62676c6b // "bglk"

// newLockPool returns the pool of the connections that hold WithLock's
// session advisory locks. They are apart from the main pool so that fn,
// whose store calls use the main pool, never waits for a connection that a
// lock holder or waiter keeps. A cancelled context cancels the lock wait on
// the server (a cancel request) rather than only dropping the socket.
func newLockPool(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	lc := cfg.Copy()
	lc.MinConns = 0
	lc.MaxConnIdleTime = time.Minute
	lc.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 5 * time.Second}
	}
	p, err := pgxpool.NewWithConfig(ctx, lc)
	if err != nil {
		return nil, fmt.Errorf("postgres: open lock pool: %w", err)
	}
	return p, nil
}

// WithLock runs fn holding the lock name (see batchgate.Store): a session
// advisory lock, pg_advisory_lock(lockSpace, hashtext(name)), held on a
// connection of the lock pool for as long as fn runs, so every replica on
// the database is excluded. Callers in this process first queue on a mutex
// per name, so that each name takes at most one connection per process.
//
// The lock is released by pg_advisory_unlock when fn returns or panics; if
// that fails, or taking the lock failed half-way, the connection is closed,
// which ends the session and so releases the lock too. Should the
// connection break while fn runs, PostgreSQL releases the lock early; fn is
// not interrupted.
func (db *DB) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	unlock, err := db.held.Lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	conn, err := db.locks.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("postgres: lock %q: %w", name, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, lockSpace, name); err != nil {
		// The lock may have been granted just before a cancel: never hand a
		// connection that might hold it back to the pool.
		conn.Conn().Close(context.WithoutCancel(ctx))
		conn.Release()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("postgres: lock %q: %w", name, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var released bool
		if err := conn.QueryRow(uctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, lockSpace, name).Scan(&released); err != nil || !released {
			conn.Conn().Close(uctx)
		}
		conn.Release()
	}()
	return fn(ctx)
}
