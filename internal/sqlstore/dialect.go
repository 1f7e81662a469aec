// Package sqlstore holds the SQL that the SQLite and PostgreSQL stores
// share: column lists, row scanning, paging, update guards, budgets, events,
// file expiry and the migration runner. Queries are written with '?'
// placeholders; a Querier for PostgreSQL rebinds them to $n (see Rebind).
// What differs between the databases (opening and pooling, locks, claiming
// with FOR UPDATE SKIP LOCKED, time encoding) stays in each store or in its
// Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
)

// Listing limits for a Page.
const (
	DefaultLimit = 20
	MaxLimit     = 10000
)

// Dialect is what the shared SQL needs to know about a database.
type Dialect struct {
	// Name prefixes errors ("sqlite", "postgres").
	Name string
	// Time encodes a time as a query argument: unix milliseconds for
	// SQLite's INTEGER columns, the time itself for PostgreSQL's timestamptz.
	Time func(time.Time) any
	// ResetInOneTx makes ResetBudgets run in one transaction (SQLite, whose
	// single writer makes that cheap); otherwise each row is reset by its
	// own guarded UPDATE, so replicas resetting at once don't block.
	ResetInOneTx bool
	// StringList returns a table expression with one text column k, whose
	// rows are values, and the one argument its placeholder takes.
	StringList func(values []string) (table string, arg any, err error)
}

// TimePtr encodes t as Time does, or nil (NULL) if t is nil.
func (d *Dialect) TimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.Time(*t)
}

// errorf wraps err with the dialect's name and the operation op.
func (d *Dialect) errorf(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", d.Name, op, err)
}

// Rebind returns q with its '?' placeholders numbered $1, $2, ... for
// PostgreSQL. Question marks in quoted strings are left alone.
func Rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Row is a single result row (*sql.Row or pgx.Row).
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs queries written with '?' placeholders. A row that isn't
// there is sql.ErrNoRows, whatever the driver.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Store implements the parts of batchgate.Store whose SQL both databases
// share. The sqlite and postgres DB types embed it.
type Store struct {
	D     *Dialect
	Read  Querier // for reads; may be a read-only pool
	Write Querier // for writes
	// InTx runs fn in a transaction on the write side, committing if fn
	// returns nil.
	InTx func(ctx context.Context, fn func(tx Querier) error) error
}

// Collect scans every row of rows with scan.
func Collect[T any](rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Time is a scan destination for a time column, stored as unix
// milliseconds (SQLite) or timestamptz (PostgreSQL); it comes back in UTC.
type Time struct{ T *time.Time }

func (d Time) Scan(src any) error {
	t, ok, err := scanTime(src)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("time column is NULL")
	}
	*d.T = t
	return nil
}

// NullTime is Time for a nullable column: NULL leaves *P nil.
type NullTime struct{ P **time.Time }

func (d NullTime) Scan(src any) error {
	t, ok, err := scanTime(src)
	if err != nil {
		return err
	}
	if !ok {
		*d.P = nil
		return nil
	}
	*d.P = &t
	return nil
}

func scanTime(src any) (time.Time, bool, error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case int64:
		return time.UnixMilli(v).UTC(), true, nil
	case time.Time:
		return v.UTC(), true, nil
	}
	return time.Time{}, false, fmt.Errorf("cannot scan %T into a time", src)
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

// isNoRows reports whether err is a missing row.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
