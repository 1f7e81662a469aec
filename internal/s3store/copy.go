package s3store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Copy copies srcBucket/srcKey to dstBucket/dstKey inside S3 (CopyObject:
// the bytes never pass through batchgate), encrypted with kmsKeyID when set.
// The client is the destination's (another region's bucket, for a model
// group's deployment); its credentials must read the source. CopyObject
// takes objects up to 5 GB, above any one input part batchgate writes
// (Bedrock's 1 GB per file).
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey, kmsKeyID string) error {
	in := &s3.CopyObjectInput{
		Bucket: &dstBucket, Key: &dstKey,
		CopySource: aws.String(srcBucket + "/" + srcKey), // batchgate's keys need no escaping
	}
	if kmsKeyID != "" {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, &kmsKeyID
	}
	if _, err := s.Client.CopyObject(ctx, in); err != nil {
		return fmt.Errorf("copy s3://%s/%s to s3://%s/%s: %w", srcBucket, srcKey, dstBucket, dstKey, err)
	}
	return nil
}
