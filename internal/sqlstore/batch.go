package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"fmt"

	"github.com/batchgate/batchgate"
)

// BatchColumns are the columns ScanBatch reads, in its order.
const BatchColumns = `id, endpoint, input_file_id, completion_window, metadata,
	owner_key_id, owner_user_id, owner_team_id, model, model_id, status, message,
	client_token, job_name, job_arn, job_status, output_prefix, output_file_id, error_file_id,
	requests_total, requests_completed, requests_failed, input_tokens, output_tokens, cost,
	reserved, lease_owner, lease_until, created_at, expires_at, in_progress_at, finalizing_at, completed_at, failed_at,
	expired_at, cancelling_at, cancelled_at, updated_at, output_expires_after, deployment, mode`

// NonTerminal selects batches whose status is not batchgate.Terminal. It is
// also the predicate of the batches_running index, which SQLite uses only
// when the query repeats it exactly.
const NonTerminal = `status NOT IN ('failed', 'completed', 'expired', 'cancelled')`

const nonTerminal = NonTerminal

// CreateBatch stores b. It returns ECONFLICT if a batch with b.ID exists.
func (s *Store) CreateBatch(ctx context.Context, b *batchgate.Batch) error {
	meta, err := jsonArg(b.Metadata)
	if err != nil {
		return s.D.errorf("create batch", err)
	}
	n, err := s.Write.Exec(ctx, `INSERT INTO batches (`+BatchColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		b.ID, b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Owner.KeyID, b.Owner.UserID, b.Owner.TeamID, b.Model, b.ModelID, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobStatus, b.OutputPrefix, b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		b.Reserved, b.LeaseOwner, s.D.TimePtr(b.LeaseUntil),
		s.D.Time(b.CreatedAt), s.D.TimePtr(b.ExpiresAt), s.D.TimePtr(b.InProgressAt), s.D.TimePtr(b.FinalizingAt),
		s.D.TimePtr(b.CompletedAt), s.D.TimePtr(b.FailedAt), s.D.TimePtr(b.ExpiredAt),
		s.D.TimePtr(b.CancellingAt), s.D.TimePtr(b.CancelledAt), s.D.Time(b.UpdatedAt), b.OutputExpiresAfter, b.Deployment, b.Mode)
	if err != nil {
		return s.D.errorf("create batch", err)
	}
	if n == 0 {
		return conflict("batch", b.ID)
	}
	return nil
}

// FindBatchByID returns the batch with the given id, or ENOTFOUND. It does
// not check scope: the caller does, with Scope.Allows(b.Owner).
func (s *Store) FindBatchByID(ctx context.Context, id string) (*batchgate.Batch, error) {
	b, err := ScanBatch(s.Read.QueryRow(ctx, `SELECT `+BatchColumns+` FROM batches WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("batch", id)
	}
	if err != nil {
		return nil, s.D.errorf("find batch", err)
	}
	return b, nil
}

// FindBatches returns a page of the batches filter.Scope may see, newest first.
func (s *Store) FindBatches(ctx context.Context, filter batchgate.BatchFilter) ([]*batchgate.Batch, error) {
	scope, scopeArgs, ok := ScopeSQL(filter.Scope)
	if !ok {
		return nil, nil
	}
	var w Where
	w.Add(scope, scopeArgs...)
	if filter.NonTerminal {
		w.Add(nonTerminal)
	}
	w.After("batches", filter.Page, scope, scopeArgs)
	rows, err := s.Read.Query(ctx, `SELECT `+BatchColumns+` FROM batches`+w.String()+
		` ORDER BY `+PageOrder(filter.Page)+` LIMIT ?`, append(w.Args, Limit(filter.Page))...)
	batches, err := Collect(rows, err, ScanBatch)
	if err != nil {
		return nil, s.D.errorf("find batches", err)
	}
	return batches, nil
}

// UpdateBatch replaces the batch with id b.ID, or returns ENOTFOUND. ID,
// Owner, CreatedAt and Mode never change. LeaseOwner and LeaseUntil are written as
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
//
// The CASTs give PostgreSQL the types of arguments it can't infer.
func (s *Store) UpdateBatch(ctx context.Context, b *batchgate.Batch) error {
	meta, err := jsonArg(b.Metadata)
	if err != nil {
		return s.D.errorf("update batch", err)
	}
	n, err := s.Write.Exec(ctx, `UPDATE batches SET
		endpoint = ?, input_file_id = ?, completion_window = ?, metadata = ?,
		model = ?, model_id = ?,
		status = CASE WHEN status = 'cancelling' AND CAST(? AS TEXT) NOT IN ('failed', 'completed', 'expired', 'cancelled') THEN status ELSE CAST(? AS TEXT) END,
		message = ?,
		client_token = ?, job_name = ?,
		job_arn = CASE WHEN job_arn <> '' THEN job_arn ELSE CAST(? AS TEXT) END,
		job_status = CASE WHEN job_arn <> '' AND CAST(? AS TEXT) = '' THEN job_status ELSE CAST(? AS TEXT) END,
		output_prefix = ?,
		output_file_id = ?, error_file_id = ?,
		requests_total = ?, requests_completed = ?, requests_failed = ?,
		input_tokens = ?, output_tokens = ?,
		cost = coalesce((SELECT s.cost FROM spend_logs s WHERE s.batch_id = batches.id), ?),
		reserved = CASE WHEN EXISTS (SELECT 1 FROM spend_logs s WHERE s.batch_id = batches.id) THEN 0.0 ELSE CAST(? AS DOUBLE PRECISION) END,
		lease_owner = ?, lease_until = ?,
		expires_at = ?, in_progress_at = ?, finalizing_at = ?, completed_at = ?, failed_at = ?,
		expired_at = ?, cancelling_at = coalesce(cancelling_at, ?), cancelled_at = ?, updated_at = ?,
		output_expires_after = ?,
		deployment = CASE WHEN job_arn <> '' THEN deployment ELSE CAST(? AS TEXT) END
		WHERE id = ? AND `+nonTerminal,
		b.Endpoint, b.InputFileID, b.CompletionWindow, meta,
		b.Model, b.ModelID, b.Status, b.Status, b.Message,
		b.ClientToken, b.JobName, b.JobARN, b.JobARN, b.JobStatus, b.OutputPrefix,
		b.OutputFileID, b.ErrorFileID,
		b.RequestCounts.Total, b.RequestCounts.Completed, b.RequestCounts.Failed,
		b.Usage.InputTokens, b.Usage.OutputTokens, b.Cost,
		b.Reserved, b.LeaseOwner, s.D.TimePtr(b.LeaseUntil),
		s.D.TimePtr(b.ExpiresAt), s.D.TimePtr(b.InProgressAt), s.D.TimePtr(b.FinalizingAt),
		s.D.TimePtr(b.CompletedAt), s.D.TimePtr(b.FailedAt),
		s.D.TimePtr(b.ExpiredAt), s.D.TimePtr(b.CancellingAt), s.D.TimePtr(b.CancelledAt), s.D.Time(b.UpdatedAt),
		b.OutputExpiresAfter, b.Deployment, b.ID)
	if err != nil {
		return s.D.errorf("update batch", err)
	}
	if n == 0 {
		var status string
		err := s.Write.QueryRow(ctx, `SELECT status FROM batches WHERE id = ?`, b.ID).Scan(&status)
		if isNoRows(err) {
			return notFound("batch", b.ID)
		}
		if err != nil {
			return s.D.errorf("update batch", err)
		}
		return batchgate.Errorf(batchgate.ECONFLICT, "batch %s is %s: a finished batch does not change", b.ID, status)
	}
	return nil
}

// CheckClaim validates the arguments of ClaimBatches. An empty owner would
// write a lease that reads as free.
//
// Each store's ClaimBatches leases to owner, until now+ttl, up to limit
// running batches whose lease is free at now, the least recently updated
// first, and returns them with the new lease. A lease is free when it has
// no owner, no end, or ended at or before now; batches already leased to
// owner are taken too, which renews their lease. It returns EINVALID for an
// empty owner or a ttl that is not positive.
func CheckClaim(owner string, ttl time.Duration) error {
	if owner == "" {
		return batchgate.Errorf(batchgate.EINVALID, "lease owner is empty")
	}
	if ttl <= 0 {
		return batchgate.Errorf(batchgate.EINVALID, "lease ttl %v is not positive", ttl)
	}
	return nil
}

// SortStalestFirst orders claimed batches as ClaimBatches returns them
// (RETURNING has no order).
func SortStalestFirst(batches []*batchgate.Batch) {
	slices.SortFunc(batches, func(a, b *batchgate.Batch) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), strings.Compare(a.ID, b.ID))
	})
}

// ReservedSpend sums Reserved over the running batches of owner's key, user
// and team. An empty id sums to 0: it must not select the master key's
// batches, whose owner columns are empty.
func (s *Store) ReservedSpend(ctx context.Context, owner batchgate.Owner) (key, user, team float64, err error) {
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
			sums = append(sums, "CAST(0 AS DOUBLE PRECISION)")
			continue
		}
		sums = append(sums, "coalesce(sum(reserved) FILTER (WHERE "+c.col+" = ?), 0)")
		sumArgs = append(sumArgs, c.id)
		or = append(or, c.col+" = ?")
		orArgs = append(orArgs, c.id)
	}
	if len(or) == 0 {
		return 0, 0, 0, nil
	}
	err = s.Read.QueryRow(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM batches
		WHERE `+nonTerminal+` AND (`+strings.Join(or, " OR ")+`)`,
		append(sumArgs, orArgs...)...).Scan(&key, &user, &team)
	if err != nil {
		return 0, 0, 0, s.D.errorf("reserved spend", err)
	}
	return key, user, team, nil
}

// ScanBatch scans the BatchColumns of a row.
func ScanBatch(row Row) (*batchgate.Batch, error) {
	var (
		b    batchgate.Batch
		meta []byte
	)
	if err := row.Scan(&b.ID, &b.Endpoint, &b.InputFileID, &b.CompletionWindow, &meta,
		&b.Owner.KeyID, &b.Owner.UserID, &b.Owner.TeamID, &b.Model, &b.ModelID, &b.Status, &b.Message,
		&b.ClientToken, &b.JobName, &b.JobARN, &b.JobStatus, &b.OutputPrefix, &b.OutputFileID, &b.ErrorFileID,
		&b.RequestCounts.Total, &b.RequestCounts.Completed, &b.RequestCounts.Failed,
		&b.Usage.InputTokens, &b.Usage.OutputTokens, &b.Cost,
		&b.Reserved, &b.LeaseOwner, NullTime{&b.LeaseUntil}, Time{&b.CreatedAt}, NullTime{&b.ExpiresAt},
		NullTime{&b.InProgressAt}, NullTime{&b.FinalizingAt}, NullTime{&b.CompletedAt}, NullTime{&b.FailedAt},
		NullTime{&b.ExpiredAt}, NullTime{&b.CancellingAt}, NullTime{&b.CancelledAt}, Time{&b.UpdatedAt},
		&b.OutputExpiresAfter, &b.Deployment, &b.Mode); err != nil {
		return nil, err
	}
	if err := scanJSON(meta, &b.Metadata); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return &b, nil
}

// finalJobStatuses are the Bedrock job statuses that do not change again
// (bedrock.Terminal).
const finalJobStatuses = `('Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired')`

// MarkCancelling sets status, cancelling_at (unless set) and updated_at of
// a running batch, and nothing else.
func (s *Store) MarkCancelling(ctx context.Context, id string, at time.Time) error {
	n, err := s.Write.Exec(ctx, `UPDATE batches SET status = 'cancelling',
		cancelling_at = coalesce(cancelling_at, ?), updated_at = ?
		WHERE id = ? AND `+nonTerminal, s.D.Time(at), s.D.Time(at), id)
	if err != nil {
		return s.D.errorf("mark cancelling", err)
	}
	if n == 0 {
		var status string
		err := s.Write.QueryRow(ctx, `SELECT status FROM batches WHERE id = ?`, id).Scan(&status)
		if isNoRows(err) {
			return notFound("batch", id)
		}
		if err != nil {
			return s.D.errorf("mark cancelling", err)
		}
		return batchgate.Errorf(batchgate.ECONFLICT, "batch %s is %s: a finished batch does not change", id, status)
	}
	return nil
}

// CountRunningJobs counts the unfinished Bedrock jobs of the model's running
// batches: the batch's own job, or the jobs of a split batch.
func (s *Store) CountRunningJobs(ctx context.Context, model string) (int, error) {
	var n int64
	err := s.Read.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM batches b WHERE `+nonTerminal+` AND b.model = ?
			AND b.job_arn <> '' AND b.job_status NOT IN `+finalJobStatuses+`
			AND NOT EXISTS (SELECT 1 FROM batch_jobs j WHERE j.batch_id = b.id))
		+ (SELECT count(*) FROM batch_jobs j JOIN batches b ON b.id = j.batch_id
			WHERE b.`+nonTerminal+` AND b.model = ?
			AND j.job_arn <> '' AND j.job_status NOT IN `+finalJobStatuses+`)`, model, model).Scan(&n)
	if err != nil {
		return 0, s.D.errorf("count running jobs", err)
	}
	return int(n), nil
}

// CountRunningJobsByDeployment is CountRunningJobs by deployment.
func (s *Store) CountRunningJobsByDeployment(ctx context.Context, model string) (map[string]int, error) {
	rows, err := s.Read.Query(ctx, `SELECT dep, count(*) FROM (
		SELECT b.deployment AS dep FROM batches b WHERE `+nonTerminal+` AND b.model = ?
			AND b.job_arn <> '' AND b.job_status NOT IN `+finalJobStatuses+`
			AND NOT EXISTS (SELECT 1 FROM batch_jobs j WHERE j.batch_id = b.id)
		UNION ALL SELECT j.deployment FROM batch_jobs j JOIN batches b ON b.id = j.batch_id
			WHERE b.`+nonTerminal+` AND b.model = ?
			AND j.job_arn <> '' AND j.job_status NOT IN `+finalJobStatuses+`) r GROUP BY dep`, model, model)
	type count struct {
		dep string
		n   int64
	}
	counts, err := Collect(rows, err, func(row Row) (count, error) {
		var c count
		err := row.Scan(&c.dep, &c.n)
		return c, err
	})
	if err != nil {
		return nil, s.D.errorf("count running jobs by deployment", err)
	}
	out := make(map[string]int, len(counts))
	for _, c := range counts {
		out[c.dep] = int(c.n)
	}
	return out, nil
}

// CountRunningBatchesOfFile counts the running batches of an input file.
func (s *Store) CountRunningBatchesOfFile(ctx context.Context, fileID string) (int, error) {
	var n int64
	err := s.Read.QueryRow(ctx, `SELECT count(*) FROM batches WHERE input_file_id = ? AND `+nonTerminal, fileID).Scan(&n)
	if err != nil {
		return 0, s.D.errorf("count running batches of file", err)
	}
	return int(n), nil
}

// SaveBatchJobs inserts or replaces the given jobs of a batch.
func (s *Store) SaveBatchJobs(ctx context.Context, batchID string, jobs []batchgate.BatchJob) error {
	err := s.InTx(ctx, func(tx Querier) error {
		for _, j := range jobs {
			if _, err := tx.Exec(ctx, `INSERT INTO batch_jobs (batch_id, idx, input_key, records,
				client_token, job_name, job_arn, job_status, message,
				requests_total, requests_completed, requests_failed, input_tokens, output_tokens, submitted_at, settled_at, deployment)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (batch_id, idx) DO UPDATE SET input_key = excluded.input_key, records = excluded.records,
				client_token = excluded.client_token, job_name = excluded.job_name, job_arn = excluded.job_arn,
				job_status = excluded.job_status, message = excluded.message,
				requests_total = excluded.requests_total, requests_completed = excluded.requests_completed,
				requests_failed = excluded.requests_failed, input_tokens = excluded.input_tokens,
				output_tokens = excluded.output_tokens, submitted_at = excluded.submitted_at, settled_at = excluded.settled_at,
				deployment = excluded.deployment`,
				batchID, j.Index, j.InputKey, j.Records, j.ClientToken, j.JobName, j.JobARN, j.JobStatus, j.Message,
				j.RequestCounts.Total, j.RequestCounts.Completed, j.RequestCounts.Failed,
				j.Usage.InputTokens, j.Usage.OutputTokens, s.D.TimePtr(j.SubmittedAt), s.D.TimePtr(j.SettledAt), j.Deployment); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.D.errorf("save batch jobs", err)
	}
	return nil
}

// FindBatchJobs returns a batch's jobs by index.
func (s *Store) FindBatchJobs(ctx context.Context, batchID string) ([]batchgate.BatchJob, error) {
	rows, err := s.Read.Query(ctx, `SELECT idx, input_key, records, client_token, job_name, job_arn, job_status, message,
		requests_total, requests_completed, requests_failed, input_tokens, output_tokens, submitted_at, settled_at, deployment
		FROM batch_jobs WHERE batch_id = ? ORDER BY idx`, batchID)
	jobs, err := Collect(rows, err, func(row Row) (batchgate.BatchJob, error) {
		var j batchgate.BatchJob
		err := row.Scan(&j.Index, &j.InputKey, &j.Records, &j.ClientToken, &j.JobName, &j.JobARN, &j.JobStatus, &j.Message,
			&j.RequestCounts.Total, &j.RequestCounts.Completed, &j.RequestCounts.Failed,
			&j.Usage.InputTokens, &j.Usage.OutputTokens, NullTime{&j.SubmittedAt}, NullTime{&j.SettledAt}, &j.Deployment)
		return j, err
	})
	if err != nil {
		return nil, s.D.errorf("find batch jobs", err)
	}
	return jobs, nil
}
