package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

// SaveFileParts replaces the parts of a file.
func (db *DB) SaveFileParts(ctx context.Context, fileID string, parts []batchgate.FilePart) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM file_parts WHERE file_id = $1`, fileID); err != nil {
			return err
		}
		for i, p := range parts {
			if _, err := tx.Exec(ctx, `INSERT INTO file_parts (file_id, idx, object_key, records, bytes) VALUES ($1, $2, $3, $4, $5)`,
				fileID, i, p.Key, p.Records, p.Bytes); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: save file parts: %w", err)
	}
	return nil
}

// FindFileParts returns a file's parts in order.
func (db *DB) FindFileParts(ctx context.Context, fileID string) ([]batchgate.FilePart, error) {
	rows, err := db.pool.Query(ctx, `SELECT object_key, records, bytes FROM file_parts WHERE file_id = $1 ORDER BY idx`, fileID)
	if err != nil {
		return nil, fmt.Errorf("postgres: find file parts: %w", err)
	}
	parts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (batchgate.FilePart, error) {
		var p batchgate.FilePart
		err := row.Scan(&p.Key, &p.Records, &p.Bytes)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: find file parts: %w", err)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	return parts, nil
}

// SaveBatchJobs inserts or replaces the given jobs of a batch.
func (db *DB) SaveBatchJobs(ctx context.Context, batchID string, jobs []batchgate.BatchJob) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, j := range jobs {
			if _, err := tx.Exec(ctx, `INSERT INTO batch_jobs (batch_id, idx, input_key, records,
				client_token, job_name, job_arn, job_status, message,
				requests_total, requests_completed, requests_failed, input_tokens, output_tokens, submitted_at, settled_at)
				VALUES (`+placeholders(16)+`)
				ON CONFLICT (batch_id, idx) DO UPDATE SET input_key = excluded.input_key, records = excluded.records,
				client_token = excluded.client_token, job_name = excluded.job_name, job_arn = excluded.job_arn,
				job_status = excluded.job_status, message = excluded.message,
				requests_total = excluded.requests_total, requests_completed = excluded.requests_completed,
				requests_failed = excluded.requests_failed, input_tokens = excluded.input_tokens,
				output_tokens = excluded.output_tokens, submitted_at = excluded.submitted_at, settled_at = excluded.settled_at`,
				batchID, j.Index, j.InputKey, j.Records, j.ClientToken, j.JobName, j.JobARN, j.JobStatus, j.Message,
				j.RequestCounts.Total, j.RequestCounts.Completed, j.RequestCounts.Failed,
				j.Usage.InputTokens, j.Usage.OutputTokens, j.SubmittedAt, j.SettledAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: save batch jobs: %w", err)
	}
	return nil
}

// FindBatchJobs returns a batch's jobs by index.
func (db *DB) FindBatchJobs(ctx context.Context, batchID string) ([]batchgate.BatchJob, error) {
	rows, err := db.pool.Query(ctx, `SELECT idx, input_key, records, client_token, job_name, job_arn, job_status, message,
		requests_total, requests_completed, requests_failed, input_tokens, output_tokens, submitted_at, settled_at
		FROM batch_jobs WHERE batch_id = $1 ORDER BY idx`, batchID)
	if err != nil {
		return nil, fmt.Errorf("postgres: find batch jobs: %w", err)
	}
	jobs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (batchgate.BatchJob, error) {
		var (
			j                  batchgate.BatchJob
			submitted, settled *time.Time
		)
		err := row.Scan(&j.Index, &j.InputKey, &j.Records, &j.ClientToken, &j.JobName, &j.JobARN, &j.JobStatus, &j.Message,
			&j.RequestCounts.Total, &j.RequestCounts.Completed, &j.RequestCounts.Failed,
			&j.Usage.InputTokens, &j.Usage.OutputTokens, &submitted, &settled)
		j.SubmittedAt, j.SettledAt = utcPtr(submitted), utcPtr(settled)
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: find batch jobs: %w", err)
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	return jobs, nil
}
