package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/batchgate/batchgate"
)

// SaveFileParts replaces the parts of a file.
func (db *DB) SaveFileParts(ctx context.Context, fileID string, parts []batchgate.FilePart) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save file parts: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM file_parts WHERE file_id = ?`, fileID); err != nil {
		return fmt.Errorf("sqlite: save file parts: %w", err)
	}
	for i, p := range parts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO file_parts (file_id, idx, object_key, records, bytes) VALUES (?, ?, ?, ?, ?)`,
			fileID, i, p.Key, p.Records, p.Bytes); err != nil {
			return fmt.Errorf("sqlite: save file parts: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: save file parts: %w", err)
	}
	return nil
}

// FindFileParts returns a file's parts in order.
func (db *DB) FindFileParts(ctx context.Context, fileID string) ([]batchgate.FilePart, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT object_key, records, bytes FROM file_parts WHERE file_id = ? ORDER BY idx`, fileID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find file parts: %w", err)
	}
	defer rows.Close()
	var parts []batchgate.FilePart
	for rows.Next() {
		var p batchgate.FilePart
		if err := rows.Scan(&p.Key, &p.Records, &p.Bytes); err != nil {
			return nil, fmt.Errorf("sqlite: find file parts: %w", err)
		}
		parts = append(parts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find file parts: %w", err)
	}
	return parts, nil
}

// SaveBatchJobs inserts or replaces the given jobs of a batch.
func (db *DB) SaveBatchJobs(ctx context.Context, batchID string, jobs []batchgate.BatchJob) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save batch jobs: %w", err)
	}
	defer tx.Rollback()
	for _, j := range jobs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO batch_jobs (batch_id, idx, input_key, records,
			client_token, job_name, job_arn, job_status, message,
			requests_total, requests_completed, requests_failed, input_tokens, output_tokens, submitted_at, settled_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (batch_id, idx) DO UPDATE SET input_key = excluded.input_key, records = excluded.records,
			client_token = excluded.client_token, job_name = excluded.job_name, job_arn = excluded.job_arn,
			job_status = excluded.job_status, message = excluded.message,
			requests_total = excluded.requests_total, requests_completed = excluded.requests_completed,
			requests_failed = excluded.requests_failed, input_tokens = excluded.input_tokens,
			output_tokens = excluded.output_tokens, submitted_at = excluded.submitted_at, settled_at = excluded.settled_at`,
			batchID, j.Index, j.InputKey, j.Records, j.ClientToken, j.JobName, j.JobARN, j.JobStatus, j.Message,
			j.RequestCounts.Total, j.RequestCounts.Completed, j.RequestCounts.Failed,
			j.Usage.InputTokens, j.Usage.OutputTokens, millisPtr(j.SubmittedAt), millisPtr(j.SettledAt)); err != nil {
			return fmt.Errorf("sqlite: save batch jobs: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: save batch jobs: %w", err)
	}
	return nil
}

// FindBatchJobs returns a batch's jobs by index.
func (db *DB) FindBatchJobs(ctx context.Context, batchID string) ([]batchgate.BatchJob, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT idx, input_key, records, client_token, job_name, job_arn, job_status, message,
		requests_total, requests_completed, requests_failed, input_tokens, output_tokens, submitted_at, settled_at
		FROM batch_jobs WHERE batch_id = ? ORDER BY idx`, batchID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find batch jobs: %w", err)
	}
	defer rows.Close()
	var jobs []batchgate.BatchJob
	for rows.Next() {
		var (
			j                  batchgate.BatchJob
			submitted, settled sql.NullInt64
		)
		if err := rows.Scan(&j.Index, &j.InputKey, &j.Records, &j.ClientToken, &j.JobName, &j.JobARN, &j.JobStatus, &j.Message,
			&j.RequestCounts.Total, &j.RequestCounts.Completed, &j.RequestCounts.Failed,
			&j.Usage.InputTokens, &j.Usage.OutputTokens, &submitted, &settled); err != nil {
			return nil, fmt.Errorf("sqlite: find batch jobs: %w", err)
		}
		j.SubmittedAt, j.SettledAt = fromMillisPtr(submitted), fromMillisPtr(settled)
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find batch jobs: %w", err)
	}
	return jobs, nil
}
