package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
)

// ReferencedObjects returns the keys in use among keys (in bucket). The
// keys go in as one JSON array: a page of an S3 listing holds up to 1,000.
func (db *DB) ReferencedObjects(ctx context.Context, bucket string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT k.value FROM json_each(?1) k WHERE
		EXISTS (SELECT 1 FROM files f WHERE f.object_key = k.value AND f.bucket = ?2)
		OR EXISTS (SELECT 1 FROM file_parts p JOIN files f ON f.id = p.file_id WHERE p.object_key = k.value AND f.bucket = ?2)
		OR EXISTS (SELECT 1 FROM batch_jobs j JOIN batches b ON b.id = j.batch_id WHERE j.input_key = k.value AND b.`+nonTerminal+`)
		OR EXISTS (SELECT 1 FROM batches b WHERE b.`+nonTerminal+` AND b.output_prefix <> ''
			AND substr('s3://' || ?2 || '/' || k.value, 1, length(b.output_prefix)) = b.output_prefix)`, string(list), bucket)
	if err != nil {
		return nil, fmt.Errorf("sqlite: referenced objects: %w", err)
	}
	defer rows.Close()
	var used []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlite: referenced objects: %w", err)
		}
		used = append(used, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: referenced objects: %w", err)
	}
	return used, nil
}
