package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
)

const batchColumns = `id, endpoint, input_file_id, completion_window, metadata,
	owner_key_id, owner_user_id, owner_team_id, model, model_id, status, message,
	client_token, job_name, job_arn, job_status, output_prefix, output_file_id, error_file_id,
	requests_total, requests_completed, requests_failed, input_tokens, output_tokens, cost,
	reserved, lease_owner, lease_until, created_at, expires_at, in_progress_at, finalizing_at, completed_at, failed_at,
	expired_at, cancelling_at, cancelled_at, updated_at, output_expires_after`

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
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		b.ID, b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Owner.KeyID, b.Owner.UserID, b.Owner.TeamID, b.Model, b.ModelID, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobStatus, b.OutputPrefix, b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		b.Reserved, b.LeaseOwner, millisPtr(b.LeaseUntil),
		millis(b.CreatedAt), millisPtr(b.ExpiresAt), millisPtr(b.InProgressAt), millisPtr(b.FinalizingAt),
		millisPtr(b.CompletedAt), millisPtr(b.FailedAt), millisPtr(b.ExpiredAt),
		millisPtr(b.CancellingAt), millisPtr(b.CancelledAt), millis(b.UpdatedAt), b.OutputExpiresAfter))
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
		` ORDER BY `+pageOrder(filter.Page)+` LIMIT ?`, append(w.args, limit(filter.Page))...)
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
// Owner and CreatedAt never change. LeaseOwner and LeaseUntil are written as
// given: the caller is expected to hold the lease (from ClaimBatches) and to
// pass the batch back with the lease it got, so that an update neither
// drops nor steals a lease. Clearing LeaseOwner releases the batch.
//
// Writers hold copies that may be stale (a cancel request races the
// reconciler), so the update keeps what must not go back (see
// batchgate.Store): a terminal batch is final (ECONFLICT, nothing written);
// a JobARN once set is kept, with its JobStatus when b has no JobARN;
// cancelling stays cancelling until the batch ends, and CancellingAt is
// kept; a billed batch keeps its billed cost and holds no reservation.
func (db *DB) UpdateBatch(ctx context.Context, b *batchgate.Batch) error {
	meta, err := jsonText(b.Metadata)
	if err != nil {
		return fmt.Errorf("sqlite: update batch: %w", err)
	}
	n, err := affected(db.write.ExecContext(ctx, `UPDATE batches SET
		endpoint = ?, input_file_id = ?, completion_window = ?, metadata = ?,
		model = ?, model_id = ?,
		status = CASE WHEN status = 'cancelling' AND ? NOT IN ('failed', 'completed', 'expired', 'cancelled') THEN status ELSE ? END,
		message = ?,
		client_token = ?, job_name = ?,
		job_arn = CASE WHEN job_arn <> '' THEN job_arn ELSE ? END,
		job_status = CASE WHEN job_arn <> '' AND ? = '' THEN job_status ELSE ? END,
		output_prefix = ?,
		output_file_id = ?, error_file_id = ?,
		requests_total = ?, requests_completed = ?, requests_failed = ?,
		input_tokens = ?, output_tokens = ?,
		cost = coalesce((SELECT s.cost FROM spend_logs s WHERE s.batch_id = batches.id), ?),
		reserved = CASE WHEN EXISTS (SELECT 1 FROM spend_logs s WHERE s.batch_id = batches.id) THEN 0.0 ELSE ? END,
		lease_owner = ?, lease_until = ?,
		expires_at = ?, in_progress_at = ?, finalizing_at = ?, completed_at = ?, failed_at = ?,
		expired_at = ?, cancelling_at = coalesce(cancelling_at, ?), cancelled_at = ?, updated_at = ?,
		output_expires_after = ?
		WHERE id = ? AND `+nonTerminal,
		b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Model, b.ModelID, b.Status, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobARN, b.JobStatus, b.OutputPrefix,
		b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		b.Reserved, b.LeaseOwner, millisPtr(b.LeaseUntil),
		millisPtr(b.ExpiresAt), millisPtr(b.InProgressAt), millisPtr(b.FinalizingAt),
		millisPtr(b.CompletedAt), millisPtr(b.FailedAt),
		millisPtr(b.ExpiredAt), millisPtr(b.CancellingAt), millisPtr(b.CancelledAt), millis(b.UpdatedAt),
		b.OutputExpiresAfter, b.ID))
	if err != nil {
		return fmt.Errorf("sqlite: update batch: %w", err)
	}
	if n == 0 {
		var status string
		err := db.write.QueryRowContext(ctx, `SELECT status FROM batches WHERE id = ?`, b.ID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("batch", b.ID)
		}
		if err != nil {
			return fmt.Errorf("sqlite: update batch: %w", err)
		}
		return finalBatch(b.ID, status)
	}
	return nil
}

// finalBatch is the error of an update of a batch that has ended.
func finalBatch(id, status string) error {
	return batchgate.Errorf(batchgate.ECONFLICT, "batch %s is %s: a finished batch does not change", id, status)
}

// ClaimBatches leases to owner, until now+ttl, up to limit running batches
// whose lease is free at now, the least recently updated first, and returns
// them with the new lease. A lease is free when it has no owner, no end, or
// ended at or before now; batches already leased to owner are taken too,
// which renews their lease. It returns EINVALID for an empty owner or a ttl
// that is not positive.
//
// The claim is a single UPDATE: SQLite runs one writer at a time (and this
// store queues its writers on one connection), so concurrent claims never
// lease a batch to two owners.
func (db *DB) ClaimBatches(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*batchgate.Batch, error) {
	if err := checkClaim(owner, ttl); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.write.QueryContext(ctx, `UPDATE batches SET lease_owner = ?1, lease_until = ?2
		WHERE id IN (SELECT id FROM batches
			WHERE `+nonTerminal+`
			AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= ?3 OR lease_owner = ?1)
			ORDER BY updated_at, id LIMIT ?4)
		RETURNING `+batchColumns,
		owner, millis(now.Add(ttl)), millis(now), min(limit, MaxLimit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim batches: %w", err)
	}
	defer rows.Close()
	var batches []*batchgate.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: claim batches: %w", err)
		}
		batches = append(batches, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: claim batches: %w", err)
	}
	sortStalestFirst(batches) // RETURNING has no order
	return batches, nil
}

// checkClaim validates the arguments of ClaimBatches. An empty owner would
// write a lease that reads as free.
func checkClaim(owner string, ttl time.Duration) error {
	if owner == "" {
		return batchgate.Errorf(batchgate.EINVALID, "lease owner is empty")
	}
	if ttl <= 0 {
		return batchgate.Errorf(batchgate.EINVALID, "lease ttl %v is not positive", ttl)
	}
	return nil
}

func sortStalestFirst(batches []*batchgate.Batch) {
	slices.SortFunc(batches, func(a, b *batchgate.Batch) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), strings.Compare(a.ID, b.ID))
	})
}

// ReservedSpend sums Reserved over the running batches of owner's key, user
// and team. An empty id sums to 0: it must not select the master key's
// batches, whose owner columns are empty.
func (db *DB) ReservedSpend(ctx context.Context, owner batchgate.Owner) (key, user, team float64, err error) {
	var (
		sums, or        []string
		sumArgs, orArgs []any
	)
	for _, c := range []struct{ col, id string }{
		{"owner_key_id", owner.KeyID},
		{"owner_user_id", owner.UserID},
		{"owner_team_id", owner.TeamID},
	} {
		if c.id == "" {
			sums = append(sums, "0.0")
			continue
		}
		sums = append(sums, "total(CASE WHEN "+c.col+" = ? THEN reserved END)")
		sumArgs = append(sumArgs, c.id)
		or = append(or, c.col+" = ?")
		orArgs = append(orArgs, c.id)
	}
	if len(or) == 0 {
		return 0, 0, 0, nil
	}
	err = db.read.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM batches
		WHERE `+nonTerminal+` AND (`+strings.Join(or, " OR ")+`)`,
		append(sumArgs, orArgs...)...).Scan(&key, &user, &team)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("sqlite: reserved spend: %w", err)
	}
	return key, user, team, nil
}

func scanBatch(row rowScanner) (*batchgate.Batch, error) {
	var (
		b                    batchgate.Batch
		meta                 []byte
		createdAt, updatedAt int64

		leaseUntil, expires, inProgress, finalizing, completed, failed,
		expired, cancelling, cancelled sql.NullInt64
	)
	if err := row.Scan(&b.ID, &b.Endpoint, &b.InputFileID, &b.CompletionWindow, &meta,
		&b.Owner.KeyID, &b.Owner.UserID, &b.Owner.TeamID, &b.Model, &b.ModelID, &b.Status, &b.Message,
		&b.ClientToken, &b.JobName, &b.JobARN, &b.JobStatus, &b.OutputPrefix, &b.OutputFileID, &b.ErrorFileID,
		&b.RequestCounts.Total, &b.RequestCounts.Completed, &b.RequestCounts.Failed,
		&b.Usage.InputTokens, &b.Usage.OutputTokens, &b.Cost,
		&b.Reserved, &b.LeaseOwner, &leaseUntil, &createdAt, &expires, &inProgress, &finalizing, &completed, &failed,
		&expired, &cancelling, &cancelled, &updatedAt, &b.OutputExpiresAfter); err != nil {
		return nil, err
	}
	if err := scanJSON(meta, &b.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	b.LeaseUntil = fromMillisPtr(leaseUntil)
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
