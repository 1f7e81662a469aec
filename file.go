package batchgate

import (
	"context"
	"time"
)

// FilePurpose values, as OpenAI names them.
const (
	PurposeBatch       = "batch"
	PurposeBatchOutput = "batch_output"
)

// File is an uploaded batch input or a batch's output or error file.
// Its S3 location is never shown to clients: the ID is opaque.
type File struct {
	ID        string
	Purpose   string
	Filename  string
	Bytes     int64 // size the client sees (the OpenAI form for input files)
	Records   int   // lines in the file
	CreatedAt time.Time
	ExpiresAt *time.Time
	Owner     Owner

	Kind     string // FileInput, FileOutput or FileError
	Endpoint string // for input files: the url of every line, e.g. /v1/chat/completions
	Model    string // model_name of the deployment the file was prepared for
	Bucket   string // where the object lives; for input files it holds the translated Bedrock records
	Key      string
	BatchID  string // for output and error files

	// Worst-case token counts of an input file, for budget reservations:
	// input tokens estimated from the translated records, and the sum of
	// every request's output token limit.
	EstimatedInputTokens int64
	MaxOutputTokens      int64
}

// File kinds. Output and error files of a batch share the Bedrock output
// object: each serves the lines of its own kind.
const (
	FileInput  = "input"
	FileOutput = "output"
	FileError  = "error"
)

// FileFilter selects files.
type FileFilter struct {
	Scope   Scope
	Purpose string
	Page
}

// FileStore keeps file records (the objects themselves are in an
// ObjectStore); it is part of Store.
type FileStore interface {
	// CreateFile stores f. It returns ECONFLICT if a file with f.ID exists.
	CreateFile(ctx context.Context, f *File) error
	// FindFileByID returns the file with the given id. It returns ENOTFOUND
	// if the file does not exist. It does not check scope: the caller does,
	// with Scope.Allows(f.Owner).
	FindFileByID(ctx context.Context, id string) (*File, error)
	// FindFiles returns a page of the files filter.Scope may see (of
	// filter.Purpose, when set), newest first or oldest first when
	// filter.Ascending. None match: an empty result, not an error.
	FindFiles(ctx context.Context, filter FileFilter) ([]*File, error)
	// DeleteFile deletes the file record with the given id. It returns
	// ENOTFOUND if the file does not exist. The S3 objects are the caller's
	// to delete.
	DeleteFile(ctx context.Context, id string) error
}

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
