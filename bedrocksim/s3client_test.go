package bedrocksim_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/testenv"
)

func TestNewS3ClientFromEnv(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PROFILE": "",
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
	} {
		t.Setenv(k, v)
	}
	t.Run("EndpointOverride", func(t *testing.T) {
		endpoint := testenv.FakeS3(t)
		t.Setenv("AWS_ENDPOINT_URL_S3", endpoint)
		t.Setenv("AWS_REGION", "eu-west-1")
		c, err := bedrocksim.NewS3ClientFromEnv(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		o := c.Options()
		if aws.ToString(o.BaseEndpoint) != endpoint || !o.UsePathStyle || o.Region != "eu-west-1" {
			t.Errorf("BaseEndpoint=%v UsePathStyle=%v Region=%q", aws.ToString(o.BaseEndpoint), o.UsePathStyle, o.Region)
		}
		// The client reaches the local server.
		bucket := testenv.Bucket(t, c, "envclient")
		if _, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Errorf("head bucket: %v", err)
		}
	})
	t.Run("Default", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_S3", "")
		c, err := bedrocksim.NewS3ClientFromEnv(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if o := c.Options(); o.UsePathStyle || o.Region != "us-east-1" {
			t.Errorf("UsePathStyle=%v Region=%q, want virtual-hosted and us-east-1", o.UsePathStyle, o.Region)
		}
	})
}
