package batchgate

import (
	"context"
	"time"
)

// FileExpiryStore holds the file expiry operations of Store: the OpenAI
// expires_after of an upload and the configured defaults set a file's
// ExpiresAt, and the reconciler deletes the files whose time has come.
type FileExpiryStore interface {
	// SetFileExpiry sets a file's ExpiresAt (nil: the file never expires)
	// and nothing else. It returns ENOTFOUND for a missing file.
	SetFileExpiry(ctx context.Context, id string, at *time.Time) error
	// FindExpiredFiles returns up to limit files (limit <= 0: none) whose
	// ExpiresAt is at or before now, the earliest ExpiresAt first (then id).
	// It leaves out input files that a running (non-Terminal) batch uses,
	// so that they cannot crowd out the others: they expire once it ends.
	FindExpiredFiles(ctx context.Context, now time.Time, limit int) ([]*File, error)
}
