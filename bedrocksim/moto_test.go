package bedrocksim_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/testenv"
)

// TestMoto_SSEKMS runs a job against a real S3-protocol server and checks the
// output objects were written with SSE-KMS under the job's key: moto echoes
// the headers it was sent in HeadObject (gofakes3 does not).
func TestMoto_SSEKMS(t *testing.T) {
	e := newEnvS3(t, bedrocksim.Config{}, testenv.MotoEndpoint(t))
	testenv.MotoOnly(t, "SSE-KMS headers echoed back")
	e.putRecords(t, "in/batch.jsonl", 100, claudeRecord)
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	arn := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) {
		in.OutputDataConfig = &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{
			Value: types.ModelInvocationJobS3OutputDataConfig{S3Uri: aws.String("s3://" + e.bucket + "/out/"), S3EncryptionKeyId: aws.String(key)},
		}
	})
	got := e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
	out, ok := got.OutputDataConfig.(*types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig)
	if !ok || aws.ToString(out.Value.S3EncryptionKeyId) != key {
		t.Errorf("outputDataConfig=%#v", got.OutputDataConfig)
	}
	for _, name := range []string{"batch.jsonl.out", "manifest.json.out"} {
		h, err := e.s3.HeadObject(context.Background(), &s3.HeadObjectInput{
			Bucket: aws.String(e.bucket), Key: aws.String("out/" + jobID(arn) + "/" + name),
		})
		if err != nil {
			t.Fatalf("head %s: %v", name, err)
		}
		if h.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != key {
			t.Errorf("%s: ServerSideEncryption=%q SSEKMSKeyId=%q", name, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId))
		}
	}
	if m := e.manifest(t, jobID(arn)); m.SuccessRecordCount != 100 {
		t.Errorf("manifest=%+v", m)
	}

	t.Run("NoKey", func(t *testing.T) {
		arn := e.create(t)
		e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
		h, err := e.s3.HeadObject(context.Background(), &s3.HeadObjectInput{
			Bucket: aws.String(e.bucket), Key: aws.String("out/" + jobID(arn) + "/manifest.json.out"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if h.ServerSideEncryption == s3types.ServerSideEncryptionAwsKms {
			t.Error("SSE-KMS without a key in the job")
		}
	})
}
