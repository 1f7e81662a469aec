// Package postgres implements batchgate.Store on PostgreSQL (pgx), for
// deployments with several gateway replicas.
//
// Times are stored as timestamptz: they round-trip at microsecond precision,
// truncated, and come back in UTC.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/namedlock"
	"github.com/batchgate/batchgate/internal/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Listing limits for a Page.
const (
	DefaultLimit = 20
	MaxLimit     = 10000
)

// migrationLock is the pg_advisory_lock key held while migrating, so that
// replicas starting together migrate one after the other. The value is
// arbitrary; it only has to be the same in every replica.
const migrationLock int64 = 0x62617463686761 // "batchga"

// DB is a batchgate.Store backed by a PostgreSQL database.
type DB struct {
	*sqlstore.Store
	pool *pgxpool.Pool
	// locks and held serve WithLock (see lock.go).
	locks *pgxpool.Pool
	held  namedlock.Set
}

var _ batchgate.Store = (*DB)(nil)

// Open connects to the database at dsn (a postgres:// URL or a libpq
// keyword/value string) and applies pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	if err := migrate(ctx, cfg.ConnConfig); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	locks, err := newLockPool(ctx, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{pool: pool, locks: locks}
	db.Store = &sqlstore.Store{D: dialect, Read: querier{pool}, Write: querier{pool}, InTx: db.inTx}
	return db, nil
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Close closes every connection.
func (db *DB) Close() error {
	db.pool.Close()
	db.locks.Close()
	return nil
}

// migrate applies the embedded migrations that are not yet recorded in
// schema_migrations, in version order, each in its own transaction. It runs
// on a connection of its own holding a session advisory lock; closing the
// connection releases the lock even if unlocking is never reached.
func migrate(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: lock for migrations: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: list migrations: %w", err)
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
			return fmt.Errorf("postgres: migration %s: name must start with a version number", base)
		}
		ms = append(ms, migration{v, base})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for _, m := range ms {
		if err := migrateOne(ctx, conn, m.version, m.name); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: unlock after migrations: %w", err)
	}
	return nil
}

func migrateOne(ctx context.Context, conn *pgx.Conn, version int, name string) error {
	body, err := migrations.ReadFile("migrations/" + name)
	if err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var applied bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	if _, err := tx.Exec(ctx, string(body)); err != nil { // no arguments: simple protocol, several statements
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, version, name); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// limit returns the number of rows a page may hold.
func limit(p batchgate.Page) int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return min(p.Limit, MaxLimit)
}

// query accumulates AND-ed conditions and numbered arguments.
type query struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) add(cond string) { q.conds = append(q.conds, cond) }

func (q *query) where() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// scope returns the condition selecting the rows s may see (the SQL form of
// batchgate.Scope.Allows), and false if s sees nothing. An empty KeyID or
// TeamID in the scope matches nothing: it must not select the master key's
// objects, whose owner columns are empty.
func (q *query) scope(s batchgate.Scope) (string, bool) {
	if s.All {
		return "true", true
	}
	var or []string
	if s.KeyID != "" {
		or = append(or, "owner_key_id = "+q.arg(s.KeyID))
	}
	if s.TeamID != "" {
		or = append(or, "owner_team_id = "+q.arg(s.TeamID))
	}
	if len(or) == 0 {
		return "", false
	}
	return "(" + strings.Join(or, " OR ") + ")", true
}

// after adds the keyset condition of a newest-first page: rows older than
// the row with id p.After, ties broken by id. The row is looked up within
// scope s, so an id the caller can't see (or that doesn't exist) gives an
// empty page and reveals nothing about it.
func (q *query) after(table string, p batchgate.Page, s batchgate.Scope) {
	if p.After == "" {
		return
	}
	scope, _ := q.scope(s)
	q.add(`(created_at, id) ` + pageAfter(p) + ` (SELECT created_at, id FROM ` + table + ` WHERE id = ` + q.arg(p.After) + ` AND ` + scope + `)`)
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// jsonArg returns v as JSON text, or nil (NULL) if v is a nil map or slice.
func jsonArg[T ~map[string]string | ~map[string]any | ~[]string](v T) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// scanJSON decodes JSON b into v, leaving v nil if b is NULL.
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

// affected returns the rows a command affected, or err if err is set.
func affected(tag pgconn.CommandTag, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// placeholders returns "$1, $2, ..., $n".
func placeholders(n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "$" + strconv.Itoa(i+1)
	}
	return strings.Join(p, ", ")
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
