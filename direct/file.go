package direct

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// FileContent is the one-line equivalent of LiteLLM's direct download,
// file_content(file_id=batch.output_file_id, custom_llm_provider="bedrock",
// aws_region_name=...): it reads a batch's output straight from S3 with the
// caller's AWS credentials, bypassing the gateway, and returns Bedrock's
// raw output lines (every record of the batch's jobs: modelOutput, or error
// for a failed record), as LiteLLM does:
//
//	rc, err := direct.FileContent(ctx, batch.OutputFileID, direct.Options{Region: "us-west-2", Bucket: "litellm-proxy"})
//
// fileID is the batch's output_file_id (file-output-...), or an s3:// URI
// (an object, or a folder as Open reads it). ToOpenAI turns the lines into
// OpenAI batch output lines (OutputLines: what the gateway serves for the
// output file; ErrorLines: its error file).
func FileContent(ctx context.Context, fileID string, opts Options) (io.ReadCloser, error) {
	uri, err := FileURI(fileID, opts.Bucket)
	if err != nil {
		return nil, err
	}
	return Open(ctx, uri, opts)
}

// FileURI returns the S3 folder holding the Bedrock output of a batch's
// output file: s3://{bucket}/{prefix}batchgate/output/{batch_id}/, where
// batchgate's jobs write. bucket is the output bucket of the batch's model
// as configured (s3_output_bucket_name, else s3_bucket_name; "bucket/prefix"
// as in the config); empty: AWS_S3_OUTPUT_BUCKET_NAME, else
// AWS_S3_BUCKET_NAME, as LiteLLM reads them. An s3:// URI is returned as is.
func FileURI(fileID, bucket string) (string, error) {
	if strings.HasPrefix(fileID, "s3://") {
		return fileID, nil
	}
	suffix, ok := strings.CutPrefix(fileID, "file-output-")
	if !ok || suffix == "" || strings.ContainsAny(suffix, "/?#") {
		if strings.HasPrefix(fileID, "file-error-") {
			return "", fmt.Errorf("%q is an error file: pass the batch's output_file_id (its records are among Bedrock's output), and ToOpenAI with ErrorLines for the failures", fileID)
		}
		return "", fmt.Errorf("%q is not a batch's output_file_id (file-output-...) or an s3:// URI", fileID)
	}
	if bucket == "" {
		bucket = os.Getenv("AWS_S3_OUTPUT_BUCKET_NAME")
	}
	if bucket == "" {
		bucket = os.Getenv("AWS_S3_BUCKET_NAME")
	}
	if bucket == "" {
		return "", fmt.Errorf("the output bucket of %s is not known: set Options.Bucket (the model's s3_output_bucket_name or s3_bucket_name), or AWS_S3_BUCKET_NAME", fileID)
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(bucket, "s3://"), "/")
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		prefix += "/"
	}
	return fmt.Sprintf("s3://%s/%sbatchgate/output/batch_%s/", bucket, prefix, suffix), nil
}
