package preflight

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Buckets checks that each bucket exists, that the credentials may use
// it, and that it is in the region the gateway signs for (real S3 refuses
// the other regions' requests) and, with a warning, in the jobs' region.
func Buckets(ctx context.Context, t *Target) []Result {
	var out []Result
	region, field := t.s3Region()
	for _, b := range t.buckets() {
		what := fmt.Sprintf("bucket %s exists in %s", b, region)
		got, err := bucketRegion(ctx, t.S3, b)
		if err != nil {
			t.missing[b] = true
			out = append(out, t.result(Fail, what, bucketProblem(t, b, region, err)))
			continue
		}
		if got != region {
			// Requests work on S3-compatible servers and through some
			// redirects, but real S3 answers PermanentRedirect or
			// AuthorizationHeaderMalformed to most of them.
			out = append(out, t.result(Fail, what, fmt.Sprintf("bucket %s is in %s, but %s says %s: set litellm_params.s3_region_name: %s (or use a bucket in %s)",
				b, got, field, region, got, region)))
			continue
		}
		out = append(out, t.result(OK, what, ""))
		if job := t.jobRegion(); job != got {
			out = append(out, t.result(Warn, fmt.Sprintf("bucket %s is in the jobs' region %s", b, job),
				fmt.Sprintf("bucket %s is in %s, but Bedrock jobs run in %s (litellm_params.aws_region_name): Bedrock may refuse a bucket in another region; keep the bucket and the jobs in one region", b, got, job)))
		}
	}
	return out
}

// bucketRegion returns the bucket's region: HeadBucket's
// x-amz-bucket-region (also sent with a wrong-region 301), else
// GetBucketLocation.
func bucketRegion(ctx context.Context, c *s3.Client, bucket string) (string, error) {
	head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.Response != nil && re.HTTPStatusCode() == http.StatusMovedPermanently {
			if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" {
				return r, nil
			}
		}
		return "", err
	}
	if r := aws.ToString(head.BucketRegion); r != "" {
		return r, nil
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		return "", err
	}
	switch r := string(loc.LocationConstraint); r {
	case "":
		return "us-east-1", nil // S3's name for us-east-1
	case "EU":
		return "eu-west-1", nil
	default:
		return r, nil
	}
}

// bucketProblem explains a failed HeadBucket.
func bucketProblem(t *Target, bucket, region string, err error) string {
	if fix := credentialsProblem(err); fix != "" {
		return fix
	}
	code, status := errCode(err)
	switch {
	case status == http.StatusNotFound || code == "NoSuchBucket" || code == "NotFound":
		return fmt.Sprintf("bucket %s does not exist: create it (aws s3 mb s3://%s --region %s) or fix %s", bucket, bucket, region, t.bucketField(bucket))
	case status == http.StatusForbidden:
		return fmt.Sprintf("access to bucket %s is denied: it belongs to another account, or the S3 credentials lack s3:ListBucket on arn:aws:s3:::%s; grant it (and s3:GetObject, s3:PutObject, s3:DeleteObject on arn:aws:s3:::%s/*)", bucket, bucket, bucket)
	case noResponse(err):
		return fmt.Sprintf("S3 did not answer (%s): check the network, litellm_params.s3_endpoint_url and AWS_ENDPOINT_URL_S3", netText(err))
	}
	return fmt.Sprintf("HeadBucket %s: %s", bucket, errText(err))
}

// Probe writes a small object to each bucket as the gateway writes its
// files (SSE-KMS with s3_encryption_key_id when set), reads it back (the
// gateway reads what Bedrock writes with that key) and deletes it.
func Probe(ctx context.Context, t *Target) []Result {
	var out []Result
	kms := t.Model.LiteLLMParams.S3EncryptionKeyID
	for _, b := range t.buckets() {
		if t.missing[b] {
			continue // the bucket check said why
		}
		what := fmt.Sprintf("write, read and delete a probe object in s3://%s", b)
		if kms != "" {
			what = fmt.Sprintf("write (SSE-KMS with key %s), read and delete a probe object in s3://%s", kms, b)
			if problem := keyRegionProblem(t, kms); problem != "" {
				out = append(out, t.result(Fail, what, problem))
				continue
			}
		}
		var id [8]byte
		_, _ = rand.Read(id[:])
		key := "batchgate-preflight/" + hex.EncodeToString(id[:]) + ".jsonl"
		body := []byte(`{"batchgate":"preflight"}` + "\n")
		in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body),
			ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/jsonl")}
		if kms != "" {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(kms)
		}
		if _, err := t.S3.PutObject(ctx, in); err != nil {
			out = append(out, t.result(Fail, what, objectProblem(t, "PutObject", "s3:PutObject", b, kms, err)))
			continue
		}
		problem := ""
		got, err := t.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
		if err == nil {
			var data []byte
			data, err = io.ReadAll(got.Body)
			got.Body.Close()
			if err == nil && !bytes.Equal(data, body) {
				problem = fmt.Sprintf("read back %q from s3://%s/%s, wrote %q", data, b, key, body)
			}
		}
		if err != nil {
			problem = objectProblem(t, "GetObject", "s3:GetObject", b, kms, err)
		}
		if _, err := t.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)}); err != nil && problem == "" {
			problem = objectProblem(t, "DeleteObject", "s3:DeleteObject", b, "", err) + fmt.Sprintf(" (the probe s3://%s/%s is left behind)", b, key)
		}
		if problem != "" {
			out = append(out, t.result(Fail, what, problem))
			continue
		}
		out = append(out, t.result(OK, what, ""))
	}
	return out
}

// keyRegionProblem: SSE-KMS needs a key in the bucket's region, which a
// key ARN names.
func keyRegionProblem(t *Target, key string) string {
	a, err := arn.Parse(key)
	if err != nil || a.Region == "" {
		return ""
	}
	if region, field := t.s3Region(); a.Region != region {
		return fmt.Sprintf("KMS key %s is in %s, but the bucket is used in %s (%s): S3 encrypts only with a key of the bucket's region; use a key in %s (litellm_params.s3_encryption_key_id)",
			key, a.Region, region, field, region)
	}
	return ""
}

// objectProblem explains a failed object operation.
func objectProblem(t *Target, op, action, bucket, kms string, err error) string {
	if fix := credentialsProblem(err); fix != "" {
		return fix
	}
	code, status := errCode(err)
	msg := errText(err)
	if kms != "" && (strings.HasPrefix(code, "KMS.") || strings.Contains(strings.ToLower(msg), "kms")) {
		return fmt.Sprintf("%s s3://%s with KMS key %s: %s: give the S3 credentials kms:GenerateDataKey and kms:Decrypt on the key (in its key policy or an IAM policy), and check the key exists and is enabled in the bucket's region",
			op, bucket, kms, msg)
	}
	if status == http.StatusForbidden {
		return fmt.Sprintf("%s s3://%s is denied (%s): grant the S3 credentials %s on arn:aws:s3:::%s/* (and check the bucket policy)", op, bucket, msg, action, bucket)
	}
	if noResponse(err) {
		return fmt.Sprintf("%s s3://%s: S3 did not answer (%s)", op, bucket, netText(err))
	}
	return fmt.Sprintf("%s s3://%s: %s", op, bucket, msg)
}
