// Package preflight checks a deployment's AWS set-up before its first batch:
// the buckets exist in the configured region and take the gateway's writes,
// the batch role is in the caller's account and trusts Bedrock, and the
// Bedrock endpoint answers. Each problem comes with the fix, because these
// are the questions users otherwise meet as a failed job (PassRole
// AccessDenied, a trust policy without bedrock.amazonaws.com, a bucket in
// another region, a KMS key the credentials cannot use).
package preflight

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/batchgate/batchgate/internal/awsconf"
	"github.com/batchgate/batchgate/internal/config"
)

// Status is a check's outcome.
type Status string

const (
	OK   Status = "OK"
	Warn Status = "WARN" // could not tell, or works but is likely to bite later
	Fail Status = "FAIL" // batches will fail until it is fixed
)

// Result is one line of the report.
type Result struct {
	Status     Status
	Deployment string // model_name
	What       string // what was checked, e.g. "bucket b exists in us-east-1"
	Detail     string // for WARN and FAIL: what is wrong and how to fix it
}

func (r Result) String() string {
	s := fmt.Sprintf("%-4s %s: %s", r.Status, r.Deployment, r.What)
	if r.Detail != "" {
		s += " -- " + r.Detail
	}
	return s
}

// Target is one deployment with the clients the gateway would use for it.
type Target struct {
	Model   config.Model
	S3      *s3.Client
	STS     *sts.Client
	IAM     *iam.Client
	Bedrock *bedrock.Client

	// missing holds the buckets the bucket check found absent or
	// unreachable, so that later checks do not report them again.
	missing map[string]bool
}

// ClientsTarget is the target of a deployment whose S3 and Bedrock clients
// are already built (the gateway's own), for checks that use only those:
// Buckets and BedrockEndpoint (GET /health).
func ClientsTarget(m config.Model, s3c *s3.Client, br *bedrock.Client) *Target {
	return &Target{Model: m, S3: s3c, Bedrock: br, missing: map[string]bool{}}
}

// NewTarget builds the clients of a deployment as the gateway does (awsconf).
func NewTarget(ctx context.Context, m config.Model) (*Target, error) {
	t := &Target{Model: m, missing: map[string]bool{}}
	var err error
	p := m.LiteLLMParams
	if t.S3, err = awsconf.S3(ctx, p); err != nil {
		return nil, err
	}
	if t.STS, err = awsconf.STS(ctx, p); err != nil {
		return nil, err
	}
	if t.IAM, err = awsconf.IAM(ctx, p); err != nil {
		return nil, err
	}
	if t.Bedrock, err = awsconf.Bedrock(ctx, p); err != nil {
		return nil, err
	}
	return t, nil
}

// Check is one preflight check of a deployment; it returns a result per
// thing it looked at (a check of both buckets returns two).
type Check func(ctx context.Context, t *Target) []Result

// Checks are the checks Run makes, in order.
var Checks = []Check{ModelRegion, Buckets, Probe, Role, BedrockEndpoint}

// Timeout bounds each check, so that an endpoint that never answers cannot
// hang the command.
var Timeout = 60 * time.Second

// Run runs the checks on each target in turn and returns every result.
func Run(ctx context.Context, targets []*Target, checks []Check) []Result {
	var out []Result
	for _, t := range targets {
		if t.missing == nil {
			t.missing = map[string]bool{}
		}
		for _, c := range checks {
			cctx, cancel := context.WithTimeout(ctx, Timeout)
			out = append(out, c(cctx, t)...)
			cancel()
		}
	}
	return out
}

// result is a shorthand for the target's results.
func (t *Target) result(s Status, what, detail string) Result {
	return Result{Status: s, Deployment: t.Model.ModelName, What: what, Detail: detail}
}

// buckets are the deployment's distinct buckets: input first.
func (t *Target) buckets() []string {
	p := t.Model.LiteLLMParams
	if out := p.OutputBucket(); out != p.S3BucketName {
		return []string{p.S3BucketName, out}
	}
	return []string{p.S3BucketName}
}

// bucketField names the config field of a bucket, for fixes.
func (t *Target) bucketField(bucket string) string {
	if bucket == t.Model.LiteLLMParams.S3BucketName {
		return "litellm_params.s3_bucket_name"
	}
	return "litellm_params.s3_output_bucket_name"
}

// s3Region is the region the gateway signs S3 requests for, and the field
// that set it.
func (t *Target) s3Region() (region, field string) {
	p := t.Model.LiteLLMParams
	switch {
	case p.S3RegionName != "":
		return p.S3RegionName, "litellm_params.s3_region_name"
	case p.AWSRegionName != "":
		return p.AWSRegionName, "litellm_params.aws_region_name"
	}
	return t.S3.Options().Region, "the SDK's default region (AWS_REGION)"
}

// jobRegion is the region the deployment's Bedrock jobs run in.
func (t *Target) jobRegion() string { return t.Bedrock.Options().Region }

// errCode returns the AWS error code and HTTP status of err, if it has them.
func errCode(err error) (code string, status int) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// errText is err without the SDK's "operation error ...: https response
// error StatusCode: ..., RequestID: ..." wrapping, when it has an API error.
func errText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return ae.ErrorCode() + ": " + msg
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

// noResponse reports whether err came before any HTTP response: the
// endpoint is down, unreachable, or timed out. The SDK wraps such errors
// in a ResponseError too, with status 0.
func noResponse(err error) bool {
	var re *awshttp.ResponseError
	return !errors.As(err, &re) || re.Response == nil || re.HTTPStatusCode() == 0
}

// netText is the network error under err ("dial tcp ...: connection
// refused") without the SDK's wrapping, else err.
func netText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}

// credentialsProblem returns a fix when err says the credentials are
// missing, unknown or expired, and "" otherwise.
func credentialsProblem(err error) string {
	code, status := errCode(err)
	switch code {
	case "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
		"ExpiredToken", "ExpiredTokenException", "InvalidToken", "AuthFailure":
		return "the credentials are not valid (" + errText(err) + "): check aws_access_key_id/aws_secret_access_key, aws_profile_name or the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE), and refresh expired session credentials"
	}
	if status == 0 && strings.Contains(err.Error(), "failed to retrieve credentials") {
		return "no AWS credentials found: set aws_access_key_id/aws_secret_access_key or aws_profile_name in litellm_params, or AWS_ACCESS_KEY_ID/AWS_PROFILE in the environment"
	}
	return ""
}
