package sqlstore

import (
	"context"
	"time"

	"github.com/batchgate/batchgate"
)

const fileColumns = `id, purpose, filename, bytes, records, created_at, expires_at,
	owner_key_id, owner_user_id, owner_team_id, kind, endpoint, model, bucket, object_key, batch_id,
	estimated_input_tokens, max_output_tokens`

// CreateFile stores f. It returns ECONFLICT if a file with f.ID exists.
func (s *Store) CreateFile(ctx context.Context, f *batchgate.File) error {
	n, err := s.Write.Exec(ctx, `INSERT INTO files (`+fileColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		f.ID, f.Purpose, f.Filename, f.Bytes, f.Records, s.D.Time(f.CreatedAt), s.D.TimePtr(f.ExpiresAt),
		f.Owner.KeyID, f.Owner.UserID, f.Owner.TeamID, f.Kind, f.Endpoint, f.Model, f.Bucket, f.Key, f.BatchID,
		f.EstimatedInputTokens, f.MaxOutputTokens)
	if err != nil {
		return s.D.errorf("create file", err)
	}
	if n == 0 {
		return conflict("file", f.ID)
	}
	return nil
}

// FindFileByID returns the file with the given id, or ENOTFOUND. It does
// not check scope: the caller does, with Scope.Allows(f.Owner).
func (s *Store) FindFileByID(ctx context.Context, id string) (*batchgate.File, error) {
	f, err := scanFile(s.Read.QueryRow(ctx, `SELECT `+fileColumns+` FROM files WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("file", id)
	}
	if err != nil {
		return nil, s.D.errorf("find file", err)
	}
	return f, nil
}

// FindFiles returns a page of the files filter.Scope may see, newest first.
func (s *Store) FindFiles(ctx context.Context, filter batchgate.FileFilter) ([]*batchgate.File, error) {
	scope, scopeArgs, ok := ScopeSQL(filter.Scope)
	if !ok {
		return nil, nil
	}
	var w Where
	w.Add(scope, scopeArgs...)
	if filter.Purpose != "" {
		w.Add("purpose = ?", filter.Purpose)
	}
	w.After("files", filter.Page, scope, scopeArgs)
	rows, err := s.Read.Query(ctx, `SELECT `+fileColumns+` FROM files`+w.String()+
		` ORDER BY `+PageOrder(filter.Page)+` LIMIT ?`, append(w.Args, Limit(filter.Page))...)
	files, err := Collect(rows, err, scanFile)
	if err != nil {
		return nil, s.D.errorf("find files", err)
	}
	return files, nil
}

// DeleteFile deletes the file record with the given id, or returns
// ENOTFOUND. The S3 objects are the caller's to delete.
func (s *Store) DeleteFile(ctx context.Context, id string) error {
	n, err := s.Write.Exec(ctx, `DELETE FROM files WHERE id = ?`, id)
	if err != nil {
		return s.D.errorf("delete file", err)
	}
	if n == 0 {
		return notFound("file", id)
	}
	return nil
}

// SetFileExpiry sets a file's expires_at.
func (s *Store) SetFileExpiry(ctx context.Context, id string, at *time.Time) error {
	n, err := s.Write.Exec(ctx, `UPDATE files SET expires_at = ? WHERE id = ?`, s.D.TimePtr(at), id)
	if err != nil {
		return s.D.errorf("set file expiry", err)
	}
	if n == 0 {
		return notFound("file", id)
	}
	return nil
}

// FindExpiredFiles returns files whose expires_at has passed at now,
// earliest first, but not the input files of running batches.
func (s *Store) FindExpiredFiles(ctx context.Context, now time.Time, limit int) ([]*batchgate.File, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.Read.Query(ctx, `SELECT `+fileColumns+` FROM files
		WHERE expires_at IS NOT NULL AND expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.input_file_id = files.id AND b.`+nonTerminal+`)
		ORDER BY expires_at, id LIMIT ?`, s.D.Time(now), limit)
	files, err := Collect(rows, err, scanFile)
	if err != nil {
		return nil, s.D.errorf("find expired files", err)
	}
	return files, nil
}

func scanFile(row Row) (*batchgate.File, error) {
	var f batchgate.File
	if err := row.Scan(&f.ID, &f.Purpose, &f.Filename, &f.Bytes, &f.Records, Time{&f.CreatedAt}, NullTime{&f.ExpiresAt},
		&f.Owner.KeyID, &f.Owner.UserID, &f.Owner.TeamID, &f.Kind, &f.Endpoint, &f.Model, &f.Bucket, &f.Key, &f.BatchID,
		&f.EstimatedInputTokens, &f.MaxOutputTokens); err != nil {
		return nil, err
	}
	return &f, nil
}

// SaveFileParts replaces the parts of a file.
func (s *Store) SaveFileParts(ctx context.Context, fileID string, parts []batchgate.FilePart) error {
	err := s.InTx(ctx, func(tx Querier) error {
		if _, err := tx.Exec(ctx, `DELETE FROM file_parts WHERE file_id = ?`, fileID); err != nil {
			return err
		}
		for i, p := range parts {
			if _, err := tx.Exec(ctx, `INSERT INTO file_parts (file_id, idx, object_key, records, bytes) VALUES (?, ?, ?, ?, ?)`,
				fileID, i, p.Key, p.Records, p.Bytes); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.D.errorf("save file parts", err)
	}
	return nil
}

// FindFileParts returns a file's parts in order.
func (s *Store) FindFileParts(ctx context.Context, fileID string) ([]batchgate.FilePart, error) {
	rows, err := s.Read.Query(ctx, `SELECT object_key, records, bytes FROM file_parts WHERE file_id = ? ORDER BY idx`, fileID)
	parts, err := Collect(rows, err, func(row Row) (batchgate.FilePart, error) {
		var p batchgate.FilePart
		err := row.Scan(&p.Key, &p.Records, &p.Bytes)
		return p, err
	})
	if err != nil {
		return nil, s.D.errorf("find file parts", err)
	}
	return parts, nil
}
