package sqlite

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
// The claim is a single UPDATE: SQLite runs one writer at a time (and this
// store queues its writers on one connection), so concurrent claims never
// lease a batch to two owners.
func (db *DB) ClaimBatches(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*batchgate.Batch, error) {
	if err := sqlstore.CheckClaim(owner, ttl); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.Write.Query(ctx, `UPDATE batches SET lease_owner = ?1, lease_until = ?2
		WHERE id IN (SELECT id FROM batches
			WHERE `+sqlstore.NonTerminal+`
			AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= ?3 OR lease_owner = ?1)
			ORDER BY updated_at, id LIMIT ?4)
		RETURNING `+sqlstore.BatchColumns,
		owner, dialect.Time(now.Add(ttl)), dialect.Time(now), min(limit, MaxLimit))
	batches, err := sqlstore.Collect(rows, err, sqlstore.ScanBatch)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim batches: %w", err)
	}
	sqlstore.SortStalestFirst(batches) // RETURNING has no order
	return batches, nil
}
