package s3store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/s3store"
	"github.com/batchgate/batchgate/internal/testenv"
)

func servers(t *testing.T) map[string]string {
	return map[string]string{"gofakes3": testenv.FakeS3(t), "moto": testenv.MotoEndpoint(t)}
}

func TestPutGetListDelete(t *testing.T) {
	ctx := context.Background()
	for name, endpoint := range servers(t) {
		t.Run(name, func(t *testing.T) {
			client := testenv.S3Client(endpoint)
			bucket := testenv.Bucket(t, client, "s3store")
			st := s3store.New(client)
			st.PartSize = s3store.MinPartSize

			sizes := map[string]int{"empty": 0, "small": 1000, "exact-part": s3store.MinPartSize, "multipart": 2*s3store.MinPartSize + 12345}
			for key, size := range sizes {
				data := make([]byte, size)
				_, _ = rand.Read(data)
				n, err := st.Put(ctx, bucket, "dir/"+key, bytes.NewReader(data), "")
				if err != nil {
					t.Fatalf("put %s: %v", key, err)
				}
				if n != int64(size) {
					t.Errorf("put %s: n=%d, want %d", key, n, size)
				}
				rc, err := st.Get(ctx, bucket, "dir/"+key)
				if err != nil {
					t.Fatalf("get %s: %v", key, err)
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(got, data) {
					t.Errorf("get %s: %d bytes differ from the %d put", key, len(got), len(data))
				}
			}
			objs, err := st.List(ctx, bucket, "dir/")
			if err != nil || len(objs) != len(sizes) {
				t.Fatalf("list = %v, %v; want %d objects", objs, err, len(sizes))
			}
			for _, o := range objs {
				if want := int64(sizes[o.Key[len("dir/"):]]); o.Size != want {
					t.Errorf("list %s size=%d, want %d", o.Key, o.Size, want)
				}
			}
			if err := st.Delete(ctx, bucket, "dir/small"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Get(ctx, bucket, "dir/small"); !batchgate.IsNotFound(err) {
				t.Errorf("get after delete: err=%v, want ENOTFOUND", err)
			}
			if err := st.Delete(ctx, bucket, "dir/never-existed"); err != nil {
				t.Errorf("delete of a missing object: %v", err)
			}
		})
	}
}

// failingReader fails after n bytes, like a client that disconnects mid-upload.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("client went away")
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func TestInterruptedUploadLeavesNothing(t *testing.T) {
	ctx := context.Background()
	client := testenv.S3Client(testenv.MotoEndpoint(t))
	bucket := testenv.Bucket(t, client, "s3store-abort")
	st := s3store.New(client)
	st.PartSize = s3store.MinPartSize

	_, err := st.Put(ctx, bucket, "partial", &failingReader{n: 3 * s3store.MinPartSize / 2}, "")
	if err == nil {
		t.Fatal("put of a failing reader succeeded")
	}
	if _, err := st.Get(ctx, bucket, "partial"); !batchgate.IsNotFound(err) {
		t.Errorf("object exists after a failed upload: %v", err)
	}
	ups, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d multipart uploads left open, want 0 (aborted)", len(ups.Uploads))
	}
}

func TestSSEKMS(t *testing.T) {
	ctx := context.Background()
	client := testenv.S3Client(testenv.MotoEndpoint(t))
	testenv.MotoOnly(t, "SSE-KMS headers echoed back")
	bucket := testenv.Bucket(t, client, "s3store-kms")
	st := s3store.New(client)
	st.PartSize = s3store.MinPartSize
	const kmsKey = "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012"
	for key, size := range map[string]int{"single": 10, "multi": s3store.MinPartSize + 1} {
		if _, err := st.Put(ctx, bucket, key, bytes.NewReader(make([]byte, size)), kmsKey); err != nil {
			t.Fatal(err)
		}
		head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if head.ServerSideEncryption != "aws:kms" || aws.ToString(head.SSEKMSKeyId) != kmsKey {
			t.Errorf("%s: sse=%q key=%q, want aws:kms %s", key, head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), kmsKey)
		}
	}
}
