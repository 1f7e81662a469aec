package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/sqlstore"
)

// ClaimBatches leases free running batches to owner, as sqlstore.CheckClaim
// describes.
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
	if err := sqlstore.CheckClaim(owner, ttl); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `WITH claimed AS (
			SELECT id FROM batches
			WHERE `+sqlstore.NonTerminal+`
			AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= $3 OR lease_owner = $1)
			ORDER BY updated_at, id
			LIMIT $4
			FOR UPDATE SKIP LOCKED
		)
		UPDATE batches SET lease_owner = $1, lease_until = $2
		WHERE id IN (TABLE claimed)
		RETURNING `+sqlstore.BatchColumns,
		owner, now.Add(ttl), now, min(limit, MaxLimit))
	batches, err := sqlstore.Collect(sqlstore.Rows(rows), err, sqlstore.ScanBatch)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim batches: %w", err)
	}
	sqlstore.SortStalestFirst(batches) // RETURNING has no order
	return batches, nil
}
