package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/batchgate/batchgate"
)

const fileColumns = `id, purpose, filename, bytes, records, created_at, expires_at,
	owner_key_id, owner_user_id, owner_team_id, kind, endpoint, model, bucket, object_key, batch_id,
	estimated_input_tokens, max_output_tokens`

// CreateFile stores f. It returns ECONFLICT if a file with f.ID exists.
func (db *DB) CreateFile(ctx context.Context, f *batchgate.File) error {
	n, err := affected(db.write.ExecContext(ctx, `INSERT INTO files (`+fileColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		f.ID, f.Purpose, f.Filename, f.Bytes, f.Records, millis(f.CreatedAt), millisPtr(f.ExpiresAt),
		f.Owner.KeyID, f.Owner.UserID, f.Owner.TeamID, f.Kind, f.Endpoint, f.Model, f.Bucket, f.Key, f.BatchID,
		f.EstimatedInputTokens, f.MaxOutputTokens))
	if err != nil {
		return fmt.Errorf("sqlite: create file: %w", err)
	}
	if n == 0 {
		return conflict("file", f.ID)
	}
	return nil
}

// FindFileByID returns the file with the given id, or ENOTFOUND. It does
// not check scope: the caller does, with Scope.Allows(f.Owner).
func (db *DB) FindFileByID(ctx context.Context, id string) (*batchgate.File, error) {
	f, err := scanFile(db.read.QueryRowContext(ctx, `SELECT `+fileColumns+` FROM files WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("file", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find file: %w", err)
	}
	return f, nil
}

// FindFiles returns a page of the files filter.Scope may see, newest first.
func (db *DB) FindFiles(ctx context.Context, filter batchgate.FileFilter) ([]*batchgate.File, error) {
	scope, scopeArgs, ok := scopeSQL(filter.Scope)
	if !ok {
		return nil, nil
	}
	var w where
	w.add(scope, scopeArgs...)
	if filter.Purpose != "" {
		w.add("purpose = ?", filter.Purpose)
	}
	w.after("files", filter.Page, scope, scopeArgs)
	rows, err := db.read.QueryContext(ctx, `SELECT `+fileColumns+` FROM files`+w.String()+
		` ORDER BY `+pageOrder(filter.Page)+` LIMIT ?`, append(w.args, limit(filter.Page))...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find files: %w", err)
	}
	defer rows.Close()
	var files []*batchgate.File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find files: %w", err)
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find files: %w", err)
	}
	return files, nil
}

// DeleteFile deletes the file record with the given id, or returns
// ENOTFOUND. The S3 objects are the caller's to delete.
func (db *DB) DeleteFile(ctx context.Context, id string) error {
	n, err := affected(db.write.ExecContext(ctx, `DELETE FROM files WHERE id = ?`, id))
	if err != nil {
		return fmt.Errorf("sqlite: delete file: %w", err)
	}
	if n == 0 {
		return notFound("file", id)
	}
	return nil
}

func scanFile(row rowScanner) (*batchgate.File, error) {
	var (
		f         batchgate.File
		createdAt int64
		expires   sql.NullInt64
	)
	if err := row.Scan(&f.ID, &f.Purpose, &f.Filename, &f.Bytes, &f.Records, &createdAt, &expires,
		&f.Owner.KeyID, &f.Owner.UserID, &f.Owner.TeamID, &f.Kind, &f.Endpoint, &f.Model, &f.Bucket, &f.Key, &f.BatchID,
		&f.EstimatedInputTokens, &f.MaxOutputTokens); err != nil {
		return nil, err
	}
	f.CreatedAt = fromMillis(createdAt)
	f.ExpiresAt = fromMillisPtr(expires)
	return &f, nil
}
