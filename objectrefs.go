package batchgate

import "context"

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
