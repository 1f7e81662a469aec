// Package postgres implements batchgate.Store on PostgreSQL (pgx), for
// deployments with several gateway replicas.
//
// Times are stored as timestamptz: they round-trip at microsecond precision,
// truncated, and come back in UTC.
package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/namedlock"
	"github.com/batchgate/batchgate/internal/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Listing limits for a Page.
const (
	DefaultLimit = sqlstore.DefaultLimit
	MaxLimit     = sqlstore.MaxLimit
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
	inTx := func(ctx context.Context, fn func(sqlstore.Querier) error) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return fn(querier{tx}) })
	}
	if err := sqlstore.Migrate(ctx, dialect, migrations, "migrations", inTx); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: unlock after migrations: %w", err)
	}
	return nil
}
