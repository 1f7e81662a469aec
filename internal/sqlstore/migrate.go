package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrate applies the migrations in fsys (files dir/NNNN_name.sql) that are
// not yet recorded in schema_migrations, in version order, each in its own
// transaction begun by inTx. The caller creates schema_migrations (version,
// name, applied_at) in its own dialect, and keeps other processes from
// migrating at once (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock).
func Migrate(ctx context.Context, d *Dialect, fsys fs.FS, dir string, inTx func(context.Context, func(Querier) error) error) error {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return d.errorf("list migrations", err)
	}
	type migration struct {
		version int
		name    string
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("%s: migration %s: name must start with a version number", d.Name, base)
		}
		ms = append(ms, migration{v, base})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for _, m := range ms {
		body, err := fs.ReadFile(fsys, dir+"/"+m.name)
		if err == nil {
			err = inTx(ctx, func(tx Querier) error { return migrateOne(ctx, d, tx, m.version, m.name, string(body)) })
		}
		if err != nil {
			return d.errorf("migration "+m.name, err)
		}
	}
	return nil
}

func migrateOne(ctx context.Context, d *Dialect, tx Querier, version int, name, body string) error {
	var n int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	// No arguments: the body may hold several statements (PostgreSQL then
	// uses the simple protocol) and is not rebound.
	if _, err := tx.Exec(ctx, body); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, d.Time(time.Now()))
	return err
}
