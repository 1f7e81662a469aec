package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/testenv"
)

// checkEnv is what "batchgate check" runs against in these tests: moto_server
// for S3, IAM and STS (its account is 123456789012, the emulator's too), and
// an in-process Bedrock emulator, since moto has no batch jobs.
type checkEnv struct {
	moto    string
	s3      *s3.Client
	iam     *iam.Client
	bedrock string // the emulator's URL
	model   string // the deployment's litellm_params.model; config's default is Nova Lite
}

func newCheckEnv(t *testing.T) *checkEnv {
	t.Helper()
	moto := testenv.MotoEndpoint(t)
	testenv.MotoOnly(t, "IAM, STS and S3 regions")
	// The gateway's clients follow the SDK's chain: point all of it at moto.
	t.Setenv("AWS_ENDPOINT_URL", moto)
	t.Setenv("AWS_ACCESS_KEY_ID", testenv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testenv.SecretKey)
	t.Setenv("AWS_REGION", testenv.Region)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	sim := bedrocksim.New(bedrocksim.Config{S3: testenv.S3Client(moto)})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		sim.Close()
	})
	return &checkEnv{
		moto: moto,
		s3:   testenv.S3Client(moto),
		iam: iam.New(iam.Options{Region: testenv.Region, BaseEndpoint: aws.String(moto),
			Credentials: credentials.NewStaticCredentialsProvider(testenv.AccessKey, testenv.SecretKey, "")}),
		bedrock: srv.URL,
	}
}

// role creates an IAM role that the services may assume and returns its ARN.
func (e *checkEnv) role(t *testing.T, services ...string) string {
	t.Helper()
	quoted := make([]string, len(services))
	for i, s := range services {
		quoted[i] = `"` + s + `"`
	}
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":[%s]},"Action":"sts:AssumeRole"}]}`, strings.Join(quoted, ","))
	name := uniqueName("batchgate-check-")
	out, err := e.iam.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatalf("create role: %v", err)
	}
	return aws.ToString(out.Role.Arn)
}

// uniqueName is prefix and a random suffix: moto's state outlives a test.
func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// config writes a config with one deployment and returns its path.
func (e *checkEnv) config(t *testing.T, bucket, roleARN, bedrockURL string, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	model := e.model
	if model == "" {
		// In AWS's batch table for us-east-1, so a good config has no warning.
		model = "bedrock/amazon.nova-lite-v1:0"
	}
	cfg := fmt.Sprintf(`model_list:
  - model_name: claude
    litellm_params:
      model: %s
      s3_bucket_name: %s
      aws_batch_role_arn: %s
      aws_region_name: us-east-1
      bedrock_endpoint_url: %s
`, model, bucket, roleARN, bedrockURL)
	for _, l := range extra {
		cfg += "      " + l + "\n"
	}
	cfg += "    model_info:\n      mode: batch\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCheckCmd runs "batchgate check --config path" and returns its output.
func runCheckCmd(t *testing.T, path string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"batchgate", "check", "--config", path}, func(string) string { return "" }, &stdout, &stderr)
	t.Logf("batchgate check:\n%s%s", stdout.String(), stderr.String())
	return stdout.String(), err
}

// line returns the output line that starts with status and contains all of want.
func line(out, status string, want ...string) (string, bool) {
	for l := range strings.SplitSeq(out, "\n") {
		if !strings.HasPrefix(l, status+" ") {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			return l, true
		}
	}
	return "", false
}

func TestCheckGoodConfig(t *testing.T) {
	e := newCheckEnv(t)
	bucket := testenv.Bucket(t, e.s3, "check")
	role := e.role(t, "bedrock.amazonaws.com")
	out, err := runCheckCmd(t, e.config(t, bucket, role, e.bedrock))
	if err != nil {
		t.Fatalf("check of a good config failed: %v", err)
	}
	roleName := role[strings.LastIndex(role, "/")+1:]
	for _, want := range [][]string{
		{"claude:", "bucket " + bucket + " exists in us-east-1"},
		{"claude:", "probe object in s3://" + bucket},
		{"claude:", "role " + roleName + " is in the credentials' account 123456789012"},
		{"claude:", "role " + roleName + " trusts bedrock.amazonaws.com"},
		{"claude:", "Bedrock endpoint " + e.bedrock + " answers"},
		{"claude:", "model can run batch jobs in us-east-1"},
	} {
		if _, ok := line(out, "OK", want...); !ok {
			t.Errorf("no OK line with %q", want)
		}
	}
	if strings.Contains(out, "FAIL") || strings.Contains(out, "WARN") {
		t.Errorf("a good config has FAIL or WARN lines")
	}
	// The probe cleans up after itself.
	list, err := e.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 0 {
		t.Errorf("the probe left %s behind", aws.ToString(list.Contents[0].Key))
	}
}

func TestCheckMissingBucket(t *testing.T) {
	e := newCheckEnv(t)
	bucket := uniqueName("batchgate-check-missing-")
	out, err := runCheckCmd(t, e.config(t, bucket, e.role(t, "bedrock.amazonaws.com"), e.bedrock))
	if err == nil {
		t.Fatal("check passed with a missing bucket")
	}
	if _, ok := line(out, "FAIL", "claude:", "bucket "+bucket+" does not exist", "litellm_params.s3_bucket_name"); !ok {
		t.Errorf("no FAIL line naming the missing bucket %s", bucket)
	}
	if strings.Contains(out, "probe object in s3://"+bucket) {
		t.Errorf("the probe of a missing bucket is reported too")
	}
	if _, ok := line(out, "OK", "trusts bedrock.amazonaws.com"); !ok {
		t.Errorf("the other checks did not run")
	}
}

func TestCheckBucketInAnotherRegion(t *testing.T) {
	e := newCheckEnv(t)
	bucket := uniqueName("batchgate-check-eu-")
	if _, err := e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	out, err := runCheckCmd(t, e.config(t, bucket, e.role(t, "bedrock.amazonaws.com"), e.bedrock))
	if err == nil {
		t.Fatal("check passed with a bucket in another region")
	}
	if _, ok := line(out, "FAIL", "bucket "+bucket+" is in eu-west-1, but litellm_params.aws_region_name says us-east-1", "s3_region_name: eu-west-1"); !ok {
		t.Errorf("no FAIL line naming the bucket's region and the fix")
	}
}

// TestCheckKMSKey: the probe writes with the configured key as the gateway
// does, and a key of another region than the bucket's fails.
func TestCheckKMSKey(t *testing.T) {
	e := newCheckEnv(t)
	bucket := testenv.Bucket(t, e.s3, "check")
	role := e.role(t, "bedrock.amazonaws.com")
	key := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	out, err := runCheckCmd(t, e.config(t, bucket, role, e.bedrock, "s3_encryption_key_id: "+key))
	if err != nil {
		t.Fatalf("check with a KMS key of the bucket's region: %v", err)
	}
	if _, ok := line(out, "OK", "write (SSE-KMS with key "+key+")", "s3://"+bucket); !ok {
		t.Errorf("no OK line for the SSE-KMS probe")
	}

	other := strings.Replace(key, "us-east-1", "eu-west-1", 1)
	out, err = runCheckCmd(t, e.config(t, bucket, role, e.bedrock, "s3_encryption_key_id: "+other))
	if err == nil {
		t.Fatal("check passed with a KMS key of another region")
	}
	if _, ok := line(out, "FAIL", "KMS key "+other+" is in eu-west-1", "use a key in us-east-1"); !ok {
		t.Errorf("no FAIL line naming the key's region")
	}
}

func TestCheckRoleOnlyEC2MayAssume(t *testing.T) {
	e := newCheckEnv(t)
	bucket := testenv.Bucket(t, e.s3, "check")
	role := e.role(t, "ec2.amazonaws.com")
	roleName := role[strings.LastIndex(role, "/")+1:]
	out, err := runCheckCmd(t, e.config(t, bucket, role, e.bedrock))
	if err == nil {
		t.Fatal("check passed with a role only EC2 may assume")
	}
	want := "role " + roleName + " trusts ec2.amazonaws.com but not bedrock.amazonaws.com: add bedrock.amazonaws.com"
	if _, ok := line(out, "FAIL", "claude:", want, "to its trust policy"); !ok {
		t.Errorf("no FAIL line %q", want)
	}
	if !strings.Contains(out, "1 failed") {
		t.Errorf("want exactly one failed check")
	}
}

func TestCheckRoleInAnotherAccount(t *testing.T) {
	e := newCheckEnv(t)
	bucket := testenv.Bucket(t, e.s3, "check")
	out, err := runCheckCmd(t, e.config(t, bucket, "arn:aws:iam::999999999999:role/BedrockBatch", e.bedrock))
	if err == nil {
		t.Fatal("check passed with a role of another account")
	}
	if _, ok := line(out, "FAIL", "role arn:aws:iam::999999999999:role/BedrockBatch is in account 999999999999", "are account 123456789012", "use a role in account 123456789012"); !ok {
		t.Errorf("no FAIL line naming the two accounts")
	}
	if strings.Contains(out, "does not exist") {
		t.Errorf("a role of another account is reported missing")
	}
}

func TestCheckBedrockDown(t *testing.T) {
	e := newCheckEnv(t)
	bucket := testenv.Bucket(t, e.s3, "check")
	down := httptest.NewServer(nil)
	down.Close() // nothing listens at its address now
	out, err := runCheckCmd(t, e.config(t, bucket, e.role(t, "bedrock.amazonaws.com"), down.URL))
	if err == nil {
		t.Fatal("check passed with the Bedrock endpoint down")
	}
	if _, ok := line(out, "FAIL", "claude:", "Bedrock endpoint "+down.URL, "no answer from "+down.URL); !ok {
		t.Errorf("no FAIL line naming the Bedrock endpoint")
	}
	if _, ok := line(out, "OK", "probe object"); !ok {
		t.Errorf("the S3 checks did not pass")
	}
}

func TestCheckHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"batchgate", "check", "--help"}, func(string) string { return "" }, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("check --help: %v", err)
	}
	for _, want := range []string{"Usage: batchgate check --config FILE", "bedrock.amazonaws.com", "--config"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("check --help does not say %q:\n%s", want, stderr.String())
		}
	}
	err = run(context.Background(), []string{"batchgate", "check"}, func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--config is required") {
		t.Errorf("check without --config: %v", err)
	}
}

// A model AWS's batch table does not list is a warning (check passes); one
// the table rules out in the region fails, saying how to fix it.
func TestCheckModelRegion(t *testing.T) {
	e := newCheckEnv(t)
	bucket := testenv.Bucket(t, e.s3, "check")
	role := e.role(t, "bedrock.amazonaws.com")

	e.model = "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
	out, err := runCheckCmd(t, e.config(t, bucket, role, e.bedrock))
	if err != nil {
		t.Errorf("an unlisted model failed the check: %v", err)
	}
	if _, ok := line(out, "WARN", "claude:", "model can run batch jobs in us-east-1", "not in batchgate's table"); !ok {
		t.Errorf("no WARN line for a model the batch table does not list")
	}

	e.model = "bedrock/amazon.nova-premier-v1:0" // batch jobs only through an inference profile
	out, err = runCheckCmd(t, e.config(t, bucket, role, e.bedrock))
	if err == nil {
		t.Errorf("check passed a model that cannot run batch jobs in its region")
	}
	if _, ok := line(out, "FAIL", "claude:", "us.amazon.nova-premier-v1:0"); !ok {
		t.Errorf("no FAIL line naming the inference profile to use")
	}
}
