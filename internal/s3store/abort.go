package s3store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// AbortUploads aborts the unfinished multipart uploads under prefix in
// bucket that were initiated before before (and whose key match accepts,
// when match is set), and returns how many it aborted. A process killed
// mid-upload cannot abort its own upload; S3 keeps (and bills) its parts
// until someone does.
func (s *Store) AbortUploads(ctx context.Context, bucket, prefix string, before time.Time, match func(key string) bool) (int, error) {
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: &prefix}
	n := 0
	for {
		out, err := s.Client.ListMultipartUploads(ctx, in)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload" {
			return n, nil // gofakes3's answer when there are none
		}
		if err != nil {
			return n, fmt.Errorf("list multipart uploads s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, u := range out.Uploads {
			if u.Initiated != nil && !u.Initiated.Before(before) || match != nil && !match(aws.ToString(u.Key)) {
				continue
			}
			if _, err := s.Client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId}); err != nil && !isNotFound(err) {
				return n, fmt.Errorf("abort multipart upload s3://%s/%s: %w", bucket, *u.Key, err)
			}
			n++
		}
		if out.IsTruncated == nil || !*out.IsTruncated {
			return n, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}
