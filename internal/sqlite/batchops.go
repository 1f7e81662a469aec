package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// finalJobStatuses are the Bedrock job statuses that do not change again
// (bedrock.Terminal).
const finalJobStatuses = `('Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired')`

// MarkCancelling sets status, cancelling_at (unless set) and updated_at of
// a running batch, and nothing else.
func (db *DB) MarkCancelling(ctx context.Context, id string, at time.Time) error {
	n, err := affected(db.write.ExecContext(ctx, `UPDATE batches SET status = 'cancelling',
		cancelling_at = coalesce(cancelling_at, ?), updated_at = ?
		WHERE id = ? AND `+nonTerminal, millis(at), millis(at), id))
	if err != nil {
		return fmt.Errorf("sqlite: mark cancelling: %w", err)
	}
	if n == 0 {
		var status string
		err := db.write.QueryRowContext(ctx, `SELECT status FROM batches WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("batch", id)
		}
		if err != nil {
			return fmt.Errorf("sqlite: mark cancelling: %w", err)
		}
		return finalBatch(id, status)
	}
	return nil
}

// CountRunningJobs counts the unfinished Bedrock jobs of the model's running
// batches: the batch's own job, or the jobs of a split batch.
func (db *DB) CountRunningJobs(ctx context.Context, model string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM batches b WHERE `+nonTerminal+` AND b.model = ?1
			AND b.job_arn <> '' AND b.job_status NOT IN `+finalJobStatuses+`
			AND NOT EXISTS (SELECT 1 FROM batch_jobs j WHERE j.batch_id = b.id))
		+ (SELECT count(*) FROM batch_jobs j JOIN batches b ON b.id = j.batch_id
			WHERE b.`+nonTerminal+` AND b.model = ?1
			AND j.job_arn <> '' AND j.job_status NOT IN `+finalJobStatuses+`)`, model).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count running jobs: %w", err)
	}
	return n, nil
}

// CountRunningBatchesOfFile counts the running batches of an input file.
func (db *DB) CountRunningBatchesOfFile(ctx context.Context, fileID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM batches WHERE input_file_id = ? AND `+nonTerminal, fileID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count running batches of file: %w", err)
	}
	return n, nil
}
