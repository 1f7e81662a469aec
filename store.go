// Package batchgate holds the domain types of the gateway: files, batches,
// keys and spend, and the interfaces the adapters implement (Store,
// ObjectStore, JobRunner). It imports only the standard library; the HTTP API,
// the SQL stores, S3 and Bedrock live in internal packages.
//
// The files are named by domain noun: batch.go, file.go, key.go, user.go,
// team.go, spend.go, event.go and job.go each hold a noun's types, filters
// and its part of the store interface; store.go composes Store from those
// parts and holds what they share (Owner, Scope, Page, ObjectStore).
package batchgate

import (
	"context"
	"io"
	"time"
)

// Owner says who created a file or batch. Every read is checked against it.
// A key owns by its ID, never by its secret's hash: a custom secret issued
// again after its key was deleted makes a new key with a new ID, which must
// not inherit the old key's files, batches, reservations or spend.
type Owner struct {
	KeyID  string // Key.ID of the virtual key; empty for the master key
	UserID string
	TeamID string
}

// Scope limits what a caller may see. The zero Scope sees nothing; All sees everything.
type Scope struct {
	All    bool   // the master key
	KeyID  string // objects created by the key with this Key.ID
	TeamID string // and, when set, objects of this team
}

// Allows reports whether the scope may see an object owned by o.
func (s Scope) Allows(o Owner) bool {
	switch {
	case s.All:
		return true
	case s.KeyID != "" && o.KeyID == s.KeyID:
		return true
	case s.TeamID != "" && o.TeamID == s.TeamID:
		return true
	}
	return false
}

// Page selects a page of a listing ordered by creation time, newest first
// as OpenAI lists are, or oldest first when Ascending (OpenAI's order=asc).
// After is the id of the last item of the previous page.
type Page struct {
	After     string
	Limit     int
	Ascending bool
}

// Store persists keys, files, batches and spend. It is composed of one
// interface per domain noun (KeyStore, FileStore, BatchStore, ...), each
// declared next to its types. Throughout, FindXByID/ByToken, Update and
// Delete return an *Error with code ENOTFOUND when the object does not
// exist; listings return an empty result. Create returns ECONFLICT for a
// duplicate id (CreateKey: a duplicate ID or Token; EINVALID for an empty
// ID). UpdateKey never changes Spend (only RecordSpend does), nor ID.
type Store interface {
	// Ping returns an error if the database cannot be reached.
	Ping(ctx context.Context) error

	KeyStore
	FileStore
	BatchStore
	UserStore
	TeamStore
	SpendStore

	// WithLock runs fn while holding the lock called name: no other
	// WithLock(name) on the same database runs its fn at the same time, in
	// this process or in another replica. fn's own store calls may use other
	// connections. fn must not call WithLock. The lock is released when fn
	// returns, fails or panics. WithLock returns ctx's error if the lock
	// could not be had, else fn's. Keep fn short: it blocks the others.
	WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error

	JobStore
	BatchOpsStore
	FileExpiryStore
	ObjectRefStore

	// Close releases the store's database connections.
	Close() error
}

// ObjectRefStore tells which S3 objects batchgate still uses, for the sweep
// that deletes the objects a crashed gateway left behind (an upload killed
// between its S3 write and its file row); it is part of Store.
type ObjectRefStore interface {
	// ReferencedObjects returns those of keys, objects in bucket, that are
	// in use: the object of a file (its Bucket and Key), a part of a file
	// (FilePart.Key, in the file's bucket), the input of a job of a batch
	// that has not ended (BatchJob.InputKey), or an object under the
	// OutputPrefix of a batch that has not ended. The order is unspecified.
	ReferencedObjects(ctx context.Context, bucket string, keys []string) ([]string, error)
}

// Object is a listed S3 object.
type Object struct {
	Key          string
	Size         int64
	LastModified time.Time
}

// ObjectStore reads and writes objects in S3.
type ObjectStore interface {
	// Put streams r to bucket/key (multipart for large bodies) and returns
	// the bytes written. kmsKeyID, when set, requests SSE-KMS.
	Put(ctx context.Context, bucket, key string, r io.Reader, kmsKeyID string) (int64, error)
	// Get opens bucket/key for reading. It returns ENOTFOUND if the object
	// does not exist.
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
	// List returns the objects under prefix in bucket; none match: an empty
	// result, not an error.
	List(ctx context.Context, bucket, prefix string) ([]Object, error)
	// Delete removes bucket/key. A missing object is not an error.
	Delete(ctx context.Context, bucket, key string) error
}
