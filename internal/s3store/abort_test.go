package s3store_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/internal/s3store"
	"github.com/batchgate/batchgate/internal/testenv"
)

// TestAbortUploads: unfinished multipart uploads under the prefix that are
// old enough (and match, given a filter) are aborted; newer ones, other
// prefixes and keys the filter refuses are left alone.
func TestAbortUploads(t *testing.T) {
	for name, server := range map[string]func(testing.TB) string{"gofakes3": testenv.FakeS3, "moto": testenv.MotoEndpoint} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			client := testenv.S3Client(server(t))
			bucket := "abort-" + name + "-" + time.Now().Format("150405.000000")
			bucket = string(bytes.ReplaceAll([]byte(bucket), []byte("."), []byte("-")))
			if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatal(err)
			}
			st := s3store.New(client)
			if n, err := st.AbortUploads(ctx, bucket, "in/", time.Now(), nil); err != nil || n != 0 {
				t.Fatalf("no uploads: AbortUploads = %d, %v", n, err)
			}
			for _, k := range []string{"in/a.jsonl", "in/b.jsonl", "out/c.jsonl", "out/j/d.out", "out/openai/e.jsonl"} {
				if _, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String(k)}); err != nil {
					t.Fatal(err)
				}
			}
			// moto reports every upload as initiated in 2010: only gofakes3
			// (like S3) has the times to tell recent uploads from stale ones.
			if name == "gofakes3" {
				if n, err := st.AbortUploads(ctx, bucket, "in/", time.Now().Add(-time.Hour), nil); err != nil || n != 0 {
					t.Fatalf("recent uploads: AbortUploads = %d, %v; want 0", n, err)
				}
			}
			if n, err := st.AbortUploads(ctx, bucket, "in/", time.Now().Add(time.Minute), nil); err != nil || n != 2 {
				t.Fatalf("AbortUploads = %d, %v; want 2", n, err)
			}
			openai := func(key string) bool { return strings.Contains(key, "/openai/") }
			if n, err := st.AbortUploads(ctx, bucket, "out/", time.Now().Add(time.Minute), openai); err != nil || n != 1 {
				t.Fatalf("AbortUploads(out/, /openai/ only) = %d, %v; want 1", n, err)
			}
			out, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, u := range out.Uploads {
				left = append(left, aws.ToString(u.Key))
			}
			slices.Sort(left)
			if !slices.Equal(left, []string{"out/c.jsonl", "out/j/d.out"}) {
				t.Errorf("uploads left: %v; want out/c.jsonl and out/j/d.out", left)
			}
		})
	}
}
