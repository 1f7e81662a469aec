package sqlstore

import (
	"context"
	"database/sql"
)

// execQuerier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// StdQuerier returns a Querier running '?' queries as they are on a
// database/sql pool or transaction (SQLite).
func StdQuerier(db execQuerier) Querier { return stdQuerier{db} }

type stdQuerier struct{ db execQuerier }

func (q stdQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q stdQuerier) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return stdRows{rows}, nil
}

func (q stdQuerier) QueryRow(ctx context.Context, query string, args ...any) Row {
	return q.db.QueryRowContext(ctx, query, args...)
}

type stdRows struct{ *sql.Rows }

func (r stdRows) Close() { r.Rows.Close() }

// StdInTx returns a Store.InTx running fn in a transaction of db.
func StdInTx(db *sql.DB) func(ctx context.Context, fn func(Querier) error) error {
	return func(ctx context.Context, fn func(Querier) error) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(stdQuerier{tx}); err != nil {
			return err
		}
		return tx.Commit()
	}
}
