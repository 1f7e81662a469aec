package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

const batchColumns = `id, endpoint, input_file_id, completion_window, metadata,
	owner_key_token, owner_user_id, owner_team_id, model, model_id, status, message,
	client_token, job_name, job_arn, job_status, output_prefix, output_file_id, error_file_id,
	requests_total, requests_completed, requests_failed, input_tokens, output_tokens, cost,
	created_at, expires_at, in_progress_at, finalizing_at, completed_at, failed_at,
	expired_at, cancelling_at, cancelled_at, updated_at`

// nonTerminal selects batches whose status is not batchgate.Terminal. It is
// also the predicate of the batches_running index.
const nonTerminal = `status NOT IN ('failed', 'completed', 'expired', 'cancelled')`

// CreateBatch stores b. It returns ECONFLICT if a batch with b.ID exists.
func (db *DB) CreateBatch(ctx context.Context, b *batchgate.Batch) error {
	meta, err := jsonArg(b.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: create batch: %w", err)
	}
	n, err := affected(db.pool.Exec(ctx, `INSERT INTO batches (`+batchColumns+`)
		VALUES (`+placeholders(35)+`)
		ON CONFLICT DO NOTHING`,
		b.ID, b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Owner.KeyToken, b.Owner.UserID, b.Owner.TeamID, b.Model, b.ModelID, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobStatus, b.OutputPrefix, b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		b.CreatedAt, b.ExpiresAt, b.InProgressAt, b.FinalizingAt, b.CompletedAt, b.FailedAt,
		b.ExpiredAt, b.CancellingAt, b.CancelledAt, b.UpdatedAt))
	if err != nil {
		return fmt.Errorf("postgres: create batch: %w", err)
	}
	if n == 0 {
		return conflict("batch", b.ID)
	}
	return nil
}

// FindBatchByID returns the batch with the given id, or ENOTFOUND. It does
// not check scope: the caller does, with Scope.Allows(b.Owner).
func (db *DB) FindBatchByID(ctx context.Context, id string) (*batchgate.Batch, error) {
	b, err := scanBatch(db.pool.QueryRow(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("batch", id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: find batch: %w", err)
	}
	return b, nil
}

// FindBatches returns a page of the batches filter.Scope may see, newest first.
func (db *DB) FindBatches(ctx context.Context, filter batchgate.BatchFilter) ([]*batchgate.Batch, error) {
	var q query
	scope, ok := q.scope(filter.Scope)
	if !ok {
		return nil, nil
	}
	q.add(scope)
	if filter.NonTerminal {
		q.add(nonTerminal)
	}
	q.after("batches", filter.Page, filter.Scope)
	rows, err := db.pool.Query(ctx, `SELECT `+batchColumns+` FROM batches`+q.where()+
		` ORDER BY created_at DESC, id DESC LIMIT `+q.arg(limit(filter.Page)), q.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: find batches: %w", err)
	}
	batches, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.Batch, error) { return scanBatch(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: find batches: %w", err)
	}
	return batches, nil
}

// UpdateBatch replaces the batch with id b.ID, or returns ENOTFOUND. ID,
// Owner and CreatedAt never change.
func (db *DB) UpdateBatch(ctx context.Context, b *batchgate.Batch) error {
	meta, err := jsonArg(b.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: update batch: %w", err)
	}
	n, err := affected(db.pool.Exec(ctx, `UPDATE batches SET
		endpoint = $1, input_file_id = $2, completion_window = $3, metadata = $4,
		model = $5, model_id = $6, status = $7, message = $8,
		client_token = $9, job_name = $10, job_arn = $11, job_status = $12, output_prefix = $13,
		output_file_id = $14, error_file_id = $15,
		requests_total = $16, requests_completed = $17, requests_failed = $18,
		input_tokens = $19, output_tokens = $20, cost = $21,
		expires_at = $22, in_progress_at = $23, finalizing_at = $24, completed_at = $25, failed_at = $26,
		expired_at = $27, cancelling_at = $28, cancelled_at = $29, updated_at = $30
		WHERE id = $31`,
		b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Model, b.ModelID, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobStatus, b.OutputPrefix,
		b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		b.ExpiresAt, b.InProgressAt, b.FinalizingAt, b.CompletedAt, b.FailedAt,
		b.ExpiredAt, b.CancellingAt, b.CancelledAt, b.UpdatedAt,
		b.ID))
	if err != nil {
		return fmt.Errorf("postgres: update batch: %w", err)
	}
	if n == 0 {
		return notFound("batch", b.ID)
	}
	return nil
}

func scanBatch(row pgx.Row) (*batchgate.Batch, error) {
	var (
		b    batchgate.Batch
		meta []byte

		expires, inProgress, finalizing, completed, failed,
		expired, cancelling, cancelled *time.Time
	)
	if err := row.Scan(&b.ID, &b.Endpoint, &b.InputFileID, &b.CompletionWindow, &meta,
		&b.Owner.KeyToken, &b.Owner.UserID, &b.Owner.TeamID, &b.Model, &b.ModelID, &b.Status, &b.Message,
		&b.ClientToken, &b.JobName, &b.JobARN, &b.JobStatus, &b.OutputPrefix, &b.OutputFileID, &b.ErrorFileID,
		&b.RequestCounts.Total, &b.RequestCounts.Completed, &b.RequestCounts.Failed,
		&b.Usage.InputTokens, &b.Usage.OutputTokens, &b.Cost,
		&b.CreatedAt, &expires, &inProgress, &finalizing, &completed, &failed,
		&expired, &cancelling, &cancelled, &b.UpdatedAt); err != nil {
		return nil, err
	}
	if err := scanJSON(meta, &b.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	b.CreatedAt = utc(b.CreatedAt)
	b.ExpiresAt = utcPtr(expires)
	b.InProgressAt = utcPtr(inProgress)
	b.FinalizingAt = utcPtr(finalizing)
	b.CompletedAt = utcPtr(completed)
	b.FailedAt = utcPtr(failed)
	b.ExpiredAt = utcPtr(expired)
	b.CancellingAt = utcPtr(cancelling)
	b.CancelledAt = utcPtr(cancelled)
	b.UpdatedAt = utc(b.UpdatedAt)
	return &b, nil
}
