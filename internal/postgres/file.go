package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

const fileColumns = `id, purpose, filename, bytes, records, created_at, expires_at,
	owner_key_id, owner_user_id, owner_team_id, kind, endpoint, model, bucket, object_key, batch_id,
	estimated_input_tokens, max_output_tokens`

// CreateFile stores f. It returns ECONFLICT if a file with f.ID exists.
func (db *DB) CreateFile(ctx context.Context, f *batchgate.File) error {
	n, err := affected(db.pool.Exec(ctx, `INSERT INTO files (`+fileColumns+`)
		VALUES (`+placeholders(18)+`)
		ON CONFLICT DO NOTHING`,
		f.ID, f.Purpose, f.Filename, f.Bytes, f.Records, f.CreatedAt, f.ExpiresAt,
		f.Owner.KeyID, f.Owner.UserID, f.Owner.TeamID, f.Kind, f.Endpoint, f.Model, f.Bucket, f.Key, f.BatchID,
		f.EstimatedInputTokens, f.MaxOutputTokens))
	if err != nil {
		return fmt.Errorf("postgres: create file: %w", err)
	}
	if n == 0 {
		return conflict("file", f.ID)
	}
	return nil
}

// FindFileByID returns the file with the given id, or ENOTFOUND. It does
// not check scope: the caller does, with Scope.Allows(f.Owner).
func (db *DB) FindFileByID(ctx context.Context, id string) (*batchgate.File, error) {
	f, err := scanFile(db.pool.QueryRow(ctx, `SELECT `+fileColumns+` FROM files WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("file", id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: find file: %w", err)
	}
	return f, nil
}

// FindFiles returns a page of the files filter.Scope may see, newest first.
func (db *DB) FindFiles(ctx context.Context, filter batchgate.FileFilter) ([]*batchgate.File, error) {
	var q query
	scope, ok := q.scope(filter.Scope)
	if !ok {
		return nil, nil
	}
	q.add(scope)
	if filter.Purpose != "" {
		q.add("purpose = " + q.arg(filter.Purpose))
	}
	q.after("files", filter.Page, filter.Scope)
	rows, err := db.pool.Query(ctx, `SELECT `+fileColumns+` FROM files`+q.where()+
		` ORDER BY `+pageOrder(filter.Page)+` LIMIT `+q.arg(limit(filter.Page)), q.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: find files: %w", err)
	}
	files, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.File, error) { return scanFile(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: find files: %w", err)
	}
	return files, nil
}

// DeleteFile deletes the file record with the given id, or returns
// ENOTFOUND. The S3 objects are the caller's to delete.
func (db *DB) DeleteFile(ctx context.Context, id string) error {
	n, err := affected(db.pool.Exec(ctx, `DELETE FROM files WHERE id = $1`, id))
	if err != nil {
		return fmt.Errorf("postgres: delete file: %w", err)
	}
	if n == 0 {
		return notFound("file", id)
	}
	return nil
}

func scanFile(row pgx.Row) (*batchgate.File, error) {
	var (
		f       batchgate.File
		expires *time.Time
	)
	if err := row.Scan(&f.ID, &f.Purpose, &f.Filename, &f.Bytes, &f.Records, &f.CreatedAt, &expires,
		&f.Owner.KeyID, &f.Owner.UserID, &f.Owner.TeamID, &f.Kind, &f.Endpoint, &f.Model, &f.Bucket, &f.Key, &f.BatchID,
		&f.EstimatedInputTokens, &f.MaxOutputTokens); err != nil {
		return nil, err
	}
	f.CreatedAt = utc(f.CreatedAt)
	f.ExpiresAt = utcPtr(expires)
	return &f, nil
}
