package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/jackc/pgx/v5"
)

const batchColumns = `id, endpoint, input_file_id, completion_window, metadata,
	owner_key_id, owner_user_id, owner_team_id, model, model_id, status, message,
	client_token, job_name, job_arn, job_status, output_prefix, output_file_id, error_file_id,
	requests_total, requests_completed, requests_failed, input_tokens, output_tokens, cost,
	reserved, lease_owner, lease_until, created_at, expires_at, in_progress_at, finalizing_at, completed_at, failed_at,
	expired_at, cancelling_at, cancelled_at, updated_at, output_expires_after`

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
		VALUES (`+placeholders(39)+`)
		ON CONFLICT DO NOTHING`,
		b.ID, b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Owner.KeyID, b.Owner.UserID, b.Owner.TeamID, b.Model, b.ModelID, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobStatus, b.OutputPrefix, b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		b.Reserved, b.LeaseOwner, b.LeaseUntil,
		b.CreatedAt, b.ExpiresAt, b.InProgressAt, b.FinalizingAt, b.CompletedAt, b.FailedAt,
		b.ExpiredAt, b.CancellingAt, b.CancelledAt, b.UpdatedAt, b.OutputExpiresAfter))
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
		` ORDER BY `+pageOrder(filter.Page)+` LIMIT `+q.arg(limit(filter.Page)), q.args...)
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
	meta, err := jsonArg(b.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: update batch: %w", err)
	}
	n, err := affected(db.pool.Exec(ctx, `UPDATE batches SET
		endpoint = $1, input_file_id = $2, completion_window = $3, metadata = $4,
		model = $5, model_id = $6,
		status = CASE WHEN status = 'cancelling' AND $7::text NOT IN ('failed', 'completed', 'expired', 'cancelled') THEN status ELSE $7::text END,
		message = $8,
		client_token = $9, job_name = $10,
		job_arn = CASE WHEN job_arn <> '' THEN job_arn ELSE $11::text END,
		job_status = CASE WHEN job_arn <> '' AND $11::text = '' THEN job_status ELSE $12::text END,
		output_prefix = $13,
		output_file_id = $14, error_file_id = $15,
		requests_total = $16, requests_completed = $17, requests_failed = $18,
		input_tokens = $19, output_tokens = $20,
		cost = coalesce((SELECT s.cost FROM spend_logs s WHERE s.batch_id = batches.id), $21),
		reserved = CASE WHEN EXISTS (SELECT 1 FROM spend_logs s WHERE s.batch_id = batches.id) THEN 0 ELSE $22::double precision END,
		lease_owner = $23, lease_until = $24,
		expires_at = $25, in_progress_at = $26, finalizing_at = $27, completed_at = $28, failed_at = $29,
		expired_at = $30, cancelling_at = coalesce(cancelling_at, $31), cancelled_at = $32, updated_at = $33,
		output_expires_after = $34
		WHERE id = $35 AND status NOT IN ('failed', 'completed', 'expired', 'cancelled')`,
		b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Model, b.ModelID, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobStatus, b.OutputPrefix,
		b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		b.Reserved, b.LeaseOwner, b.LeaseUntil,
		b.ExpiresAt, b.InProgressAt, b.FinalizingAt, b.CompletedAt, b.FailedAt,
		b.ExpiredAt, b.CancellingAt, b.CancelledAt, b.UpdatedAt,
		b.OutputExpiresAfter, b.ID))
	if err != nil {
		return fmt.Errorf("postgres: update batch: %w", err)
	}
	if n == 0 {
		var status string
		err := db.pool.QueryRow(ctx, `SELECT status FROM batches WHERE id = $1`, b.ID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("batch", b.ID)
		}
		if err != nil {
			return fmt.Errorf("postgres: update batch: %w", err)
		}
		return batchgate.Errorf(batchgate.ECONFLICT, "batch %s is %s: a finished batch does not change", b.ID, status)
	}
	return nil
}

// ClaimBatches leases to owner, until now+ttl, up to limit running batches
// whose lease is free at now, the least recently updated first, and returns
// them with the new lease. A lease is free when it has no owner, no end, or
// ended at or before now; batches already leased to owner are taken too,
// which renews their lease. It returns EINVALID for an empty owner or a ttl
// that is not positive.
//
// Replicas claim concurrently. The candidates are locked with FOR UPDATE
// SKIP LOCKED, so a claim passes over rows another claim is taking rather
// than waiting for it, and a row another claim took since this statement's
// snapshot is re-checked against the lease condition once locked (READ
// COMMITTED), so it is skipped. The selection is a CTE, which PostgreSQL
// always materialises when it locks rows: written as "WHERE id IN (SELECT
// ... LIMIT n FOR UPDATE SKIP LOCKED)", the planner may run the subquery more
// than once (a nested-loop semi-join) and update more than n rows.
func (db *DB) ClaimBatches(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*batchgate.Batch, error) {
	if err := checkClaim(owner, ttl); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `WITH claimed AS (
			SELECT id FROM batches
			WHERE `+nonTerminal+`
			AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= $3 OR lease_owner = $1)
			ORDER BY updated_at, id
			LIMIT $4
			FOR UPDATE SKIP LOCKED
		)
		UPDATE batches SET lease_owner = $1, lease_until = $2
		WHERE id IN (TABLE claimed)
		RETURNING `+batchColumns,
		owner, now.Add(ttl), now, min(limit, MaxLimit))
	if err != nil {
		return nil, fmt.Errorf("postgres: claim batches: %w", err)
	}
	batches, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*batchgate.Batch, error) { return scanBatch(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: claim batches: %w", err)
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
		q        query
		sums, or []string
	)
	for _, c := range []struct{ col, id string }{
		{"owner_key_id", owner.KeyID},
		{"owner_user_id", owner.UserID},
		{"owner_team_id", owner.TeamID},
	} {
		if c.id == "" {
			sums = append(sums, "0::double precision")
			continue
		}
		p := q.arg(c.id)
		sums = append(sums, "coalesce(sum(reserved) FILTER (WHERE "+c.col+" = "+p+"), 0)")
		or = append(or, c.col+" = "+p)
	}
	if len(or) == 0 {
		return 0, 0, 0, nil
	}
	err = db.pool.QueryRow(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM batches
		WHERE `+nonTerminal+` AND (`+strings.Join(or, " OR ")+`)`, q.args...).Scan(&key, &user, &team)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("postgres: reserved spend: %w", err)
	}
	return key, user, team, nil
}

func scanBatch(row pgx.Row) (*batchgate.Batch, error) {
	var (
		b    batchgate.Batch
		meta []byte

		leaseUntil, expires, inProgress, finalizing, completed, failed,
		expired, cancelling, cancelled *time.Time
	)
	if err := row.Scan(&b.ID, &b.Endpoint, &b.InputFileID, &b.CompletionWindow, &meta,
		&b.Owner.KeyID, &b.Owner.UserID, &b.Owner.TeamID, &b.Model, &b.ModelID, &b.Status, &b.Message,
		&b.ClientToken, &b.JobName, &b.JobARN, &b.JobStatus, &b.OutputPrefix, &b.OutputFileID, &b.ErrorFileID,
		&b.RequestCounts.Total, &b.RequestCounts.Completed, &b.RequestCounts.Failed,
		&b.Usage.InputTokens, &b.Usage.OutputTokens, &b.Cost,
		&b.Reserved, &b.LeaseOwner, &leaseUntil, &b.CreatedAt, &expires, &inProgress, &finalizing, &completed, &failed,
		&expired, &cancelling, &cancelled, &b.UpdatedAt, &b.OutputExpiresAfter); err != nil {
		return nil, err
	}
	if err := scanJSON(meta, &b.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	b.LeaseUntil = utcPtr(leaseUntil)
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
