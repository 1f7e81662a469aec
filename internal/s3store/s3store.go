// Package s3store implements batchgate.ObjectStore over aws-sdk-go-v2's S3
// client. Put streams: it reads at most PartSize*(Concurrency+1) bytes ahead,
// so memory does not grow with the object.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/crash"
)

// Part sizes: real S3 refuses parts under 5 MiB (except the last). 8 MiB
// parts with 4 in flight hold ~40 MB of buffers, which keeps a gateway
// uploading a 1 GB file well under 150 MB of RSS (16 MiB parts reached
// ~150 MB), and allow objects up to 80 GB (10,000 parts).
const (
	MinPartSize     = 5 << 20
	DefaultPartSize = 8 << 20
)

// Store is an ObjectStore on one S3 client.
type Store struct {
	Client      *s3.Client
	PartSize    int // bytes per multipart part; DefaultPartSize when 0
	Concurrency int // parts in flight; 4 when 0

	pool sync.Pool
}

var _ batchgate.ObjectStore = (*Store)(nil)

// New returns a Store using client.
func New(client *s3.Client) *Store { return &Store{Client: client} }

func (s *Store) partSize() int {
	if s.PartSize < MinPartSize {
		if s.PartSize > 0 {
			return MinPartSize
		}
		return DefaultPartSize
	}
	return s.PartSize
}

func (s *Store) buffer() []byte {
	if b, ok := s.pool.Get().(*[]byte); ok && len(*b) == s.partSize() {
		return *b
	}
	return make([]byte, s.partSize())
}

func (s *Store) release(b []byte) { s.pool.Put(&b) }

func sse(kmsKeyID string) (types.ServerSideEncryption, *string) {
	if kmsKeyID == "" {
		return "", nil
	}
	return types.ServerSideEncryptionAwsKms, aws.String(kmsKeyID)
}

// Put streams r to bucket/key. Bodies smaller than one part go in a single
// PutObject; larger ones in a multipart upload that is aborted on any error,
// so an interrupted upload leaves no object and no billed parts behind.
func (s *Store) Put(ctx context.Context, bucket, key string, r io.Reader, kmsKeyID string) (int64, error) {
	first := s.buffer()
	n, err := io.ReadFull(r, first)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		s.release(first)
		return 0, err
	}
	alg, kms := sse(kmsKeyID)
	if n < len(first) {
		defer s.release(first)
		_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &bucket, Key: &key, Body: bytesReader(first[:n]), ContentLength: aws.Int64(int64(n)),
			ContentType: aws.String("application/jsonl"), ServerSideEncryption: alg, SSEKMSKeyId: kms,
		})
		if err != nil {
			return 0, fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
		}
		return int64(n), nil
	}
	return s.multipart(ctx, bucket, key, first, r, kmsKeyID)
}

func (s *Store) multipart(ctx context.Context, bucket, key string, first []byte, r io.Reader, kmsKeyID string) (total int64, err error) {
	alg, kms := sse(kmsKeyID)
	up, err := s.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &bucket, Key: &key, ContentType: aws.String("application/jsonl"),
		ServerSideEncryption: alg, SSEKMSKeyId: kms,
	})
	if err != nil {
		s.release(first)
		return 0, fmt.Errorf("create multipart upload s3://%s/%s: %w", bucket, key, err)
	}
	defer func() {
		if err != nil {
			// A fresh context: the request's may be what was cancelled.
			_, _ = s.Client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId})
		}
	}()

	conc := s.Concurrency
	if conc <= 0 {
		conc = 4
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		parts []types.CompletedPart
		sem   = make(chan struct{}, conc)
	)
	upload := func(num int32, buf []byte, n int) {
		defer wg.Done()
		defer func() { <-sem }()
		defer s.release(buf)
		out, err := s.Client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(num),
			Body: bytesReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			cancel(fmt.Errorf("upload part %d: %w", num, err))
			return
		}
		mu.Lock()
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		mu.Unlock()
		crash.At(crash.DuringUpload)
	}

	buf, n := first, len(first)
	for num := int32(1); ; num++ {
		if num > 10000 {
			err = errors.New("object needs more than 10,000 parts: raise the part size")
			break
		}
		total += int64(n)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go upload(num, buf, n)

		buf = s.buffer()
		var rerr error
		n, rerr = io.ReadFull(r, buf)
		if rerr == io.EOF {
			s.release(buf)
			break
		}
		if rerr != nil && rerr != io.ErrUnexpectedEOF {
			s.release(buf)
			err = rerr
			break
		}
		if n == 0 {
			s.release(buf)
			break
		}
	}
	wg.Wait()
	if err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		return 0, fmt.Errorf("multipart upload s3://%s/%s: %w", bucket, key, err)
	}
	sortParts(parts)
	_, err = s.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return 0, fmt.Errorf("complete multipart upload s3://%s/%s: %w", bucket, key, err)
	}
	return total, nil
}

// Get opens bucket/key for reading. A missing object is ENOTFOUND.
func (s *Store) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		if isNotFound(err) {
			return nil, &batchgate.Error{Code: batchgate.ENOTFOUND, Message: "object not found", Err: err}
		}
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	return out.Body, nil
}

// List returns the keys under prefix.
func (s *Store) List(ctx context.Context, bucket, prefix string) ([]batchgate.Object, error) {
	var keys []batchgate.Object
	err := s.ListPages(ctx, bucket, prefix, func(page []batchgate.Object) error {
		keys = append(keys, page...)
		return nil
	})
	return keys, err
}

// ListPages calls fn with each page (up to 1,000 objects) of the listing
// of prefix, in key order, and stops at fn's first error, which it returns.
// Memory does not grow with the number of objects.
func (s *Store) ListPages(ctx context.Context, bucket, prefix string, fn func(page []batchgate.Object) error) error {
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		objs := make([]batchgate.Object, 0, len(page.Contents))
		for _, o := range page.Contents {
			objs = append(objs, batchgate.Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified)})
		}
		if err := fn(objs); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes bucket/key; a missing object is not an error.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	_, err := s.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")
}

// CheckBucket reports whether bucket exists and these credentials reach it
// (HeadBucket), for the gateway's readiness probe.
func (s *Store) CheckBucket(ctx context.Context, bucket string) error {
	if _, err := s.Client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err != nil {
		return fmt.Errorf("head bucket %s: %w", bucket, err)
	}
	return nil
}
