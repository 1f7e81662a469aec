package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
)

// OpenAI's bounds on a file's expires_after[seconds]: 1 hour to 30 days.
const (
	MinFileExpiry = time.Hour
	MaxFileExpiry = 30 * 24 * time.Hour
)

// expireFilesPage is how many expired files one store query returns.
const expireFilesPage = 500

// inputExpiry returns when an input file created at created expires: after
// the upload's expires_after when it gave one, else after FileExpireAfter,
// else never (nil).
func (g *Gateway) inputExpiry(created time.Time, after time.Duration) *time.Time {
	if after <= 0 {
		after = g.FileExpireAfter
	}
	if after <= 0 {
		return nil
	}
	return ptr(created.Add(after))
}

// outputExpiry returns when an output or error file of batch b created at
// created expires: after the batch's output_expires_after, else after
// OutputExpireAfter, else never (nil).
func (g *Gateway) outputExpiry(b *batchgate.Batch, created time.Time) *time.Time {
	after := time.Duration(b.OutputExpiresAfter) * time.Second
	if after <= 0 {
		after = g.OutputExpireAfter
	}
	if after <= 0 {
		return nil
	}
	return ptr(created.Add(after))
}

// SetFileExpiry makes input file f, just uploaded, expire after the given
// time from its creation: for an expires_after that came after the file in
// the multipart form, when the file was already stored.
func (g *Gateway) SetFileExpiry(ctx context.Context, f *batchgate.File, after time.Duration) error {
	if after < MinFileExpiry || after > MaxFileExpiry {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "expires_after[seconds]",
			Message: fmt.Sprintf("expires_after[seconds] must be between %d and %d", int64(MinFileExpiry/time.Second), int64(MaxFileExpiry/time.Second))}
	}
	at := f.CreatedAt.Add(after)
	if err := g.Store.SetFileExpiry(ctx, f.ID, &at); err != nil {
		return err
	}
	f.ExpiresAt = &at
	return nil
}

// ExpireFiles deletes the files whose expires_at has passed, as DELETE
// /v1/files would: an input file with its S3 objects, an output or error
// file's record only (Bedrock's output objects stay in the admin's bucket).
// An input file that a running batch uses is left until the batch ends.
// Replicas may run it at once: a file another replica deleted first is
// skipped. It returns how many files it deleted.
func (g *Gateway) ExpireFiles(ctx context.Context) (int, error) {
	admin := Caller{Scope: batchgate.Scope{All: true}}
	deleted := 0
	var errs []error
	for {
		files, err := g.Store.FindExpiredFiles(ctx, g.now(), expireFilesPage)
		if err != nil {
			return deleted, err
		}
		gone := 0
		for _, f := range files {
			if ctx.Err() != nil {
				return deleted, ctx.Err()
			}
			err := g.DeleteFile(ctx, admin, f.ID)
			switch {
			case err == nil:
				deleted++
				gone++
				g.Log.InfoContext(ctx, "file expired", "file_id", f.ID, "kind", f.Kind, "expires_at", f.ExpiresAt)
			case batchgate.IsNotFound(err): // another replica was first
				gone++
			case batchgate.ErrorCode(err) == batchgate.ECONFLICT:
				// A batch took the file up since the query: it expires when the batch ends.
			default:
				errs = append(errs, fmt.Errorf("expire %s: %w", f.ID, err))
			}
		}
		// A short page is the last; a page of which nothing could go would
		// only come back again.
		if len(files) < expireFilesPage || gone == 0 {
			return deleted, errors.Join(errs...)
		}
	}
}
