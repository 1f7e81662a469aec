package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

// SetFileExpiry sets a file's expires_at.
func (db *DB) SetFileExpiry(ctx context.Context, id string, at *time.Time) error {
	n, err := affected(db.pool.Exec(ctx, `UPDATE files SET expires_at = $1 WHERE id = $2`, at, id))
	if err != nil {
		return fmt.Errorf("postgres: set file expiry: %w", err)
	}
	if n == 0 {
		return notFound("file", id)
	}
	return nil
}

// FindExpiredFiles returns files whose expires_at has passed at now,
// earliest first, but not the input files of running batches.
func (db *DB) FindExpiredFiles(ctx context.Context, now time.Time, limit int) ([]*batchgate.File, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+fileColumns+` FROM files
		WHERE expires_at IS NOT NULL AND expires_at <= $1
		AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.input_file_id = files.id AND b.`+nonTerminal+`)
		ORDER BY expires_at, id LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: find expired files: %w", err)
	}
	files, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.File, error) { return scanFile(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: find expired files: %w", err)
	}
	return files, nil
}
