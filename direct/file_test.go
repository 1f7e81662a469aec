package direct_test

import (
	"strings"
	"testing"

	"github.com/batchgate/batchgate/direct"
)

// TestFileURI: a batch's output_file_id and the model's output bucket (with
// LiteLLM's bucket/prefix) locate the batch's Bedrock output folder.
func TestFileURI(t *testing.T) {
	t.Setenv("AWS_S3_OUTPUT_BUCKET_NAME", "")
	t.Setenv("AWS_S3_BUCKET_NAME", "env-bucket")
	for _, tt := range []struct{ id, bucket, want, err string }{
		{"file-output-0123abcd", "litellm-proxy", "s3://litellm-proxy/batchgate/output/batch_0123abcd/", ""},
		{"file-output-0123abcd", "litellm-proxy/teams/ml/", "s3://litellm-proxy/teams/ml/batchgate/output/batch_0123abcd/", ""},
		{"file-output-0123abcd", "", "s3://env-bucket/batchgate/output/batch_0123abcd/", ""},
		{"s3://b/k.jsonl.out", "", "s3://b/k.jsonl.out", ""},
		{"file-error-0123abcd", "b", "", "error file"},
		{"file-0123abcd", "b", "", "output_file_id"},
	} {
		got, err := direct.FileURI(tt.id, tt.bucket)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("FileURI(%q, %q) = %q, %v; want %q, %q", tt.id, tt.bucket, got, err, tt.want, tt.err)
		}
	}
	t.Setenv("AWS_S3_BUCKET_NAME", "")
	if _, err := direct.FileURI("file-output-0123abcd", ""); err == nil || !strings.Contains(err.Error(), "Bucket") {
		t.Errorf("no bucket: %v", err)
	}
}
