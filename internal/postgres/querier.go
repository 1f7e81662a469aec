package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/batchgate/batchgate/internal/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// dialect stores times as timestamptz.
var dialect = &sqlstore.Dialect{
	Name: "postgres",
	Time: func(t time.Time) any { return t },
	StringList: func(values []string) (string, any, error) {
		return `(SELECT unnest(CAST(? AS text[])) AS k)`, values, nil
	},
}

// pgxExecer is what *pgxpool.Pool, *pgx.Conn and pgx.Tx have in common.
type pgxExecer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier runs sqlstore's '?' queries on pgx, numbering the placeholders.
// A query without arguments is run as it is: it has no placeholders, and
// may be several statements (a migration).
type querier struct{ db pgxExecer }

func rebind(query string, args []any) string {
	if len(args) == 0 {
		return query
	}
	return sqlstore.Rebind(query)
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, rebind(query, args), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return q.db.Query(ctx, rebind(query, args), args...)
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return row{q.db.QueryRow(ctx, rebind(query, args), args...)}
}

// row reports a missing row as sql.ErrNoRows, as sqlstore expects.
type row struct{ pgx.Row }

func (r row) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sql.ErrNoRows
	}
	return err
}

// inTx runs fn in a transaction of db.pool.
func (db *DB) inTx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return fn(querier{tx}) })
}
