package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ReferencedObjects returns the keys in use among keys (in bucket).
func (db *DB) ReferencedObjects(ctx context.Context, bucket string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT k FROM unnest($2::text[]) k WHERE
		EXISTS (SELECT 1 FROM files f WHERE f.object_key = k AND f.bucket = $1)
		OR EXISTS (SELECT 1 FROM file_parts p JOIN files f ON f.id = p.file_id WHERE p.object_key = k AND f.bucket = $1)
		OR EXISTS (SELECT 1 FROM batch_jobs j JOIN batches b ON b.id = j.batch_id WHERE j.input_key = k AND b.`+nonTerminal+`)
		OR EXISTS (SELECT 1 FROM batches b WHERE b.`+nonTerminal+` AND b.output_prefix <> ''
			AND starts_with('s3://' || $1 || '/' || k, b.output_prefix))`, bucket, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: referenced objects: %w", err)
	}
	used, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: referenced objects: %w", err)
	}
	return used, nil
}
