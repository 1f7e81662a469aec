package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/batchgate/batchgate"
)

const batchColumns = `id, endpoint, input_file_id, completion_window, metadata,
	owner_key_token, owner_user_id, owner_team_id, model, model_id, status, message,
	client_token, job_name, job_arn, job_status, output_prefix, output_file_id, error_file_id,
	requests_total, requests_completed, requests_failed, input_tokens, output_tokens, cost,
	created_at, expires_at, in_progress_at, finalizing_at, completed_at, failed_at,
	expired_at, cancelling_at, cancelled_at, updated_at`

// nonTerminal selects batches whose status is not batchgate.Terminal. It is
// also the predicate of the batches_running index, which SQLite uses only
// when the query repeats it exactly.
const nonTerminal = `status NOT IN ('failed', 'completed', 'expired', 'cancelled')`

// CreateBatch stores b. It returns ECONFLICT if a batch with b.ID exists.
func (db *DB) CreateBatch(ctx context.Context, b *batchgate.Batch) error {
	meta, err := jsonText(b.Metadata)
	if err != nil {
		return fmt.Errorf("sqlite: create batch: %w", err)
	}
	n, err := affected(db.write.ExecContext(ctx, `INSERT INTO batches (`+batchColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		b.ID, b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Owner.KeyToken, b.Owner.UserID, b.Owner.TeamID, b.Model, b.ModelID, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobStatus, b.OutputPrefix, b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		millis(b.CreatedAt), millisPtr(b.ExpiresAt), millisPtr(b.InProgressAt), millisPtr(b.FinalizingAt),
		millisPtr(b.CompletedAt), millisPtr(b.FailedAt), millisPtr(b.ExpiredAt),
		millisPtr(b.CancellingAt), millisPtr(b.CancelledAt), millis(b.UpdatedAt)))
	if err != nil {
		return fmt.Errorf("sqlite: create batch: %w", err)
	}
	if n == 0 {
		return conflict("batch", b.ID)
	}
	return nil
}

// FindBatchByID returns the batch with the given id, or ENOTFOUND. It does
// not check scope: the caller does, with Scope.Allows(b.Owner).
func (db *DB) FindBatchByID(ctx context.Context, id string) (*batchgate.Batch, error) {
	b, err := scanBatch(db.read.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("batch", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find batch: %w", err)
	}
	return b, nil
}

// FindBatches returns a page of the batches filter.Scope may see, newest first.
func (db *DB) FindBatches(ctx context.Context, filter batchgate.BatchFilter) ([]*batchgate.Batch, error) {
	scope, scopeArgs, ok := scopeSQL(filter.Scope)
	if !ok {
		return nil, nil
	}
	var w where
	w.add(scope, scopeArgs...)
	if filter.NonTerminal {
		w.add(nonTerminal)
	}
	w.after("batches", filter.Page, scope, scopeArgs)
	rows, err := db.read.QueryContext(ctx, `SELECT `+batchColumns+` FROM batches`+w.String()+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(w.args, limit(filter.Page))...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find batches: %w", err)
	}
	defer rows.Close()
	var batches []*batchgate.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find batches: %w", err)
		}
		batches = append(batches, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find batches: %w", err)
	}
	return batches, nil
}

// UpdateBatch replaces the batch with id b.ID, or returns ENOTFOUND. ID,
// Owner and CreatedAt never change.
func (db *DB) UpdateBatch(ctx context.Context, b *batchgate.Batch) error {
	meta, err := jsonText(b.Metadata)
	if err != nil {
		return fmt.Errorf("sqlite: update batch: %w", err)
	}
	n, err := affected(db.write.ExecContext(ctx, `UPDATE batches SET
		endpoint = ?, input_file_id = ?, completion_window = ?, metadata = ?,
		model = ?, model_id = ?, status = ?, message = ?,
		client_token = ?, job_name = ?, job_arn = ?, job_status = ?, output_prefix = ?,
		output_file_id = ?, error_file_id = ?,
		requests_total = ?, requests_completed = ?, requests_failed = ?,
		input_tokens = ?, output_tokens = ?, cost = ?,
		expires_at = ?, in_progress_at = ?, finalizing_at = ?, completed_at = ?, failed_at = ?,
		expired_at = ?, cancelling_at = ?, cancelled_at = ?, updated_at = ?
		WHERE id = ?`,
		b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Model, b.ModelID, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobStatus, b.OutputPrefix,
		b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		millisPtr(b.ExpiresAt), millisPtr(b.InProgressAt), millisPtr(b.FinalizingAt),
		millisPtr(b.CompletedAt), millisPtr(b.FailedAt),
		millisPtr(b.ExpiredAt), millisPtr(b.CancellingAt), millisPtr(b.CancelledAt), millis(b.UpdatedAt),
		b.ID))
	if err != nil {
		return fmt.Errorf("sqlite: update batch: %w", err)
	}
	if n == 0 {
		return notFound("batch", b.ID)
	}
	return nil
}

func scanBatch(row rowScanner) (*batchgate.Batch, error) {
	var (
		b                    batchgate.Batch
		meta                 []byte
		createdAt, updatedAt int64

		expires, inProgress, finalizing, completed, failed,
		expired, cancelling, cancelled sql.NullInt64
	)
	if err := row.Scan(&b.ID, &b.Endpoint, &b.InputFileID, &b.CompletionWindow, &meta,
		&b.Owner.KeyToken, &b.Owner.UserID, &b.Owner.TeamID, &b.Model, &b.ModelID, &b.Status, &b.Message,
		&b.ClientToken, &b.JobName, &b.JobARN, &b.JobStatus, &b.OutputPrefix, &b.OutputFileID, &b.ErrorFileID,
		&b.RequestCounts.Total, &b.RequestCounts.Completed, &b.RequestCounts.Failed,
		&b.Usage.InputTokens, &b.Usage.OutputTokens, &b.Cost,
		&createdAt, &expires, &inProgress, &finalizing, &completed, &failed,
		&expired, &cancelling, &cancelled, &updatedAt); err != nil {
		return nil, err
	}
	if err := scanJSON(meta, &b.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	b.CreatedAt = fromMillis(createdAt)
	b.ExpiresAt = fromMillisPtr(expires)
	b.InProgressAt = fromMillisPtr(inProgress)
	b.FinalizingAt = fromMillisPtr(finalizing)
	b.CompletedAt = fromMillisPtr(completed)
	b.FailedAt = fromMillisPtr(failed)
	b.ExpiredAt = fromMillisPtr(expired)
	b.CancellingAt = fromMillisPtr(cancelling)
	b.CancelledAt = fromMillisPtr(cancelled)
	b.UpdatedAt = fromMillis(updatedAt)
	return &b, nil
}
