// Package sqlite implements batchgate.Store on SQLite (modernc.org/sqlite,
// no cgo), for single-node deployments and the demo.
//
// SQLite allows one writer at a time. Rather than letting concurrent writers
// collide and retry on SQLITE_BUSY, every write goes through a pool of exactly
// one connection, so writers queue in Go. Reads use a separate pool of
// read-only connections, which in WAL mode run alongside the writer. An
// in-memory database (":memory:") lives in a single connection, so it uses one
// pool of one connection for both.
//
// Times are stored as INTEGER unix milliseconds (UTC): they round-trip at
// millisecond precision, truncated, and come back in UTC.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/sqlstore"
	msqlite "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Listing limits for a Page.
const (
	DefaultLimit = sqlstore.DefaultLimit
	MaxLimit     = sqlstore.MaxLimit
)

// DB is a batchgate.Store backed by one SQLite database.
type DB struct {
	*sqlstore.Store
	write *sql.DB // exactly one connection: SQLite's single writer
	read  *sql.DB // read-only connections; the same pool as write for :memory:
	// lockKey names the database among those this process opened (see WithLock).
	lockKey string
}

var _ batchgate.Store = (*DB)(nil)

// dialect stores times as INTEGER unix milliseconds.
var dialect = &sqlstore.Dialect{
	Name:         "sqlite",
	Time:         func(t time.Time) any { return t.UnixMilli() },
	ResetInOneTx: true,
	StringList: func(values []string) (string, any, error) {
		b, err := json.Marshal(values)
		return `(SELECT value AS k FROM json_each(?))`, string(b), err
	},
}

// Open opens (creating it if needed) the SQLite database at path, or an
// in-memory database if path is ":memory:", and applies pending migrations.
// The path must not contain '?'.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	// busy_timeout covers other processes holding the lock (our own writers
	// queue on the one-connection pool). WAL lets reads run during a write.
	// synchronous stays at its default, FULL: a batch's client token must
	// survive a power loss, or a restart could start a second Bedrock job.
	// _txlock=immediate takes the write lock at BEGIN, so a transaction that
	// reads before it writes cannot fail to upgrade its lock.
	const params = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	write, err := sql.Open("sqlite", path+"?"+params+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	db := &DB{write: write, read: write, lockKey: lockKeyOf(path)}
	db.Store = &sqlstore.Store{D: dialect, Read: sqlstore.StdQuerier(write), Write: sqlstore.StdQuerier(write), InTx: sqlstore.StdInTx(write)}
	if err := ping(ctx, write); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if path != ":memory:" {
		read, err := sql.Open("sqlite", path+"?"+params+"&_query_only=1")
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
		n := max(4, runtime.GOMAXPROCS(0))
		read.SetMaxOpenConns(n)
		read.SetMaxIdleConns(n)
		db.read = read
		db.Store.Read = sqlstore.StdQuerier(read)
	}
	return db, nil
}

// ping opens the first connection of the write pool. Processes opening a
// new database at once can get SQLITE_BUSY without busy_timeout being
// honoured: the connections switching the file to WAL would deadlock on
// upgrading their locks, so SQLite fails one of them at once. Trying again
// finds the file in WAL mode.
func ping(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second) // as busy_timeout
	for {
		err := db.PingContext(ctx)
		var e *msqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Close closes the database.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// migrate applies the embedded migrations that are not yet recorded in
// schema_migrations, in version order, each in its own transaction. The
// transactions begin IMMEDIATE, so processes opening the same file at once
// take turns and each migration runs once.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	return sqlstore.Migrate(ctx, dialect, migrations, "migrations", sqlstore.StdInTx(db.write))
}
