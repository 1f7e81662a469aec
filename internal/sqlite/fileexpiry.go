package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
)

// SetFileExpiry sets a file's expires_at.
func (db *DB) SetFileExpiry(ctx context.Context, id string, at *time.Time) error {
	n, err := affected(db.write.ExecContext(ctx, `UPDATE files SET expires_at = ? WHERE id = ?`, millisPtr(at), id))
	if err != nil {
		return fmt.Errorf("sqlite: set file expiry: %w", err)
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
	rows, err := db.read.QueryContext(ctx, `SELECT `+fileColumns+` FROM files
		WHERE expires_at IS NOT NULL AND expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.input_file_id = files.id AND b.`+nonTerminal+`)
		ORDER BY expires_at, id LIMIT ?`, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find expired files: %w", err)
	}
	defer rows.Close()
	var files []*batchgate.File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find expired files: %w", err)
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find expired files: %w", err)
	}
	return files, nil
}
