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
	"io/fs"
	"runtime"
	"sort"
	"strconv"
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
	DefaultLimit = 20
	MaxLimit     = 10000
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
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: list migrations: %w", err)
	}
	type migration struct {
		version int
		name    string
	}
	var ms []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: name must start with a version number", base)
		}
		ms = append(ms, migration{v, base})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for _, m := range ms {
		if err := db.migrateOne(ctx, m.version, m.name); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
		}
	}
	return nil
}

func (db *DB) migrateOne(ctx context.Context, version int, name string) error {
	body, err := migrations.ReadFile("migrations/" + name)
	if err != nil {
		return err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// limit returns the number of rows a page may hold.
func limit(p batchgate.Page) int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return min(p.Limit, MaxLimit)
}

// scopeSQL returns the condition selecting the rows that s may see (the
// SQL form of batchgate.Scope.Allows), and false if s sees nothing. An empty KeyID or TeamID in the scope matches nothing: it must
// not select the master key's objects, whose owner columns are empty.
func scopeSQL(s batchgate.Scope) (cond string, args []any, ok bool) {
	if s.All {
		return "1", nil, true
	}
	var or []string
	if s.KeyID != "" {
		or = append(or, "owner_key_id = ?")
		args = append(args, s.KeyID)
	}
	if s.TeamID != "" {
		or = append(or, "owner_team_id = ?")
		args = append(args, s.TeamID)
	}
	if len(or) == 0 {
		return "", nil, false
	}
	return "(" + strings.Join(or, " OR ") + ")", args, true
}

// where accumulates AND-ed conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// after adds the keyset condition of a newest-first page: rows older than
// the row with id p.After, ties broken by id. The row is looked up within
// scope, so an id the caller can't see (or that doesn't exist) gives an
// empty page and reveals nothing about it.
func (w *where) after(table string, p batchgate.Page, scope string, scopeArgs []any) {
	if p.After == "" {
		return
	}
	w.add(`(created_at, id) `+pageAfter(p)+` (SELECT created_at, id FROM `+table+` WHERE id = ? AND `+scope+`)`,
		append([]any{p.After}, scopeArgs...)...)
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

func millis(t time.Time) int64 { return t.UnixMilli() }

// millisPtr returns t in unix milliseconds, or nil (NULL) if t is nil.
func millisPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func fromMillisPtr(ms sql.NullInt64) *time.Time {
	if !ms.Valid {
		return nil
	}
	t := fromMillis(ms.Int64)
	return &t
}

// jsonText returns v as JSON text, or nil (NULL) if v is a nil map or slice.
func jsonText[T ~map[string]string | ~map[string]any | ~[]string](v T) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// scanJSON decodes JSON text b into v, leaving v nil if b is NULL.
func scanJSON(b []byte, v any) error {
	if b == nil {
		return nil
	}
	return json.Unmarshal(b, v)
}

func notFound(kind, id string) error {
	return batchgate.Errorf(batchgate.ENOTFOUND, "No such %s: %s", kind, id)
}

func conflict(kind, id string) error {
	return batchgate.Errorf(batchgate.ECONFLICT, "%s %s already exists", kind, id)
}

// affected returns res.RowsAffected, or err if err is set.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// pageOrder is the ORDER BY of a page, and pageAfter the comparison of
// (created_at, id) with its cursor's: newest first, or oldest when Ascending.
func pageOrder(p batchgate.Page) string {
	if p.Ascending {
		return "created_at ASC, id ASC"
	}
	return "created_at DESC, id DESC"
}

func pageAfter(p batchgate.Page) string {
	if p.Ascending {
		return ">"
	}
	return "<"
}
