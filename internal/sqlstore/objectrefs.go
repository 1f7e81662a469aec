package sqlstore

import (
	"context"
)

// ReferencedObjects returns the keys in use among keys (in bucket): the
// input of a running batch counts in any bucket, for the copies placed in
// another deployment's bucket of a model group (as a job's part does). The
// keys go in as one argument (Dialect.StringList): a page of an S3 listing
// holds up to 1,000.
func (s *Store) ReferencedObjects(ctx context.Context, bucket string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	list, arg, err := s.D.StringList(keys)
	if err != nil {
		return nil, err
	}
	rows, err := s.Read.Query(ctx, `SELECT l.k FROM `+list+` l WHERE
		EXISTS (SELECT 1 FROM files f WHERE f.object_key = l.k AND f.bucket = ?)
		OR EXISTS (SELECT 1 FROM file_parts p JOIN files f ON f.id = p.file_id WHERE p.object_key = l.k AND f.bucket = ?)
		OR EXISTS (SELECT 1 FROM batch_jobs j JOIN batches b ON b.id = j.batch_id WHERE j.input_key = l.k AND b.`+nonTerminal+`)
		OR EXISTS (SELECT 1 FROM files f JOIN batches b ON b.input_file_id = f.id WHERE f.object_key = l.k AND b.`+nonTerminal+`)
		OR EXISTS (SELECT 1 FROM batches b WHERE b.`+nonTerminal+` AND b.output_prefix <> ''
			AND substr('s3://' || ? || '/' || l.k, 1, length(b.output_prefix)) = b.output_prefix)`, arg, bucket, bucket, bucket)
	used, err := Collect(rows, err, func(row Row) (string, error) {
		var k string
		err := row.Scan(&k)
		return k, err
	})
	if err != nil {
		return nil, s.D.errorf("referenced objects", err)
	}
	return used, nil
}
