// Package awsconf builds aws-sdk-go-v2 clients for a deployment from its
// litellm_params, on top of the SDK's standard configuration chain
// (environment, shared config, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_BEDROCK).
// Real AWS and the local emulator differ only by endpoint and credentials.
package awsconf

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/batchgate/batchgate/internal/config"
)

// load returns the SDK config for a region and optional static credentials.
func load(ctx context.Context, region, profile, akid, secret, token string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	if akid != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(akid, secret, token)))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// S3 returns the S3 client for a deployment. s3_* credentials win over aws_*
// ones, and s3_region_name over aws_region_name, as in LiteLLM.
func S3(ctx context.Context, p config.LiteLLMParams) (*s3.Client, error) {
	akid, secret, token := p.S3AccessKeyID, p.S3SecretAccessKey, p.S3SessionToken
	if akid == "" {
		akid, secret, token = p.AWSAccessKeyID, p.AWSSecretAccessKey, p.AWSSessionToken
	}
	region := p.S3RegionName
	if region == "" {
		region = p.AWSRegionName
	}
	cfg, err := load(ctx, region, p.AWSProfileName, akid, secret, token)
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = withStallGuard(cfg.HTTPClient, "S3")
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if p.S3EndpointURL != "" {
			o.BaseEndpoint = aws.String(p.S3EndpointURL)
		}
		// S3-compatible servers need path-style addressing; anyone who overrides
		// the endpoint is talking to one (or to a VPC endpoint that accepts it).
		if p.S3EndpointURL != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
			o.UsePathStyle = true
		}
		// Objects streamed in chunks carry no whole-object checksum; the SDK
		// would otherwise log a DEBUG line on every such GET.
		o.DisableLogOutputChecksumValidationSkipped = true
		// No CRC32 of every part and every download on top of SigV4's
		// payload hash (or TLS): it costs CPU on GB-scale files and no S3
		// operation batchgate uses requires it.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

// Bedrock returns the Bedrock control-plane client for a deployment.
func Bedrock(ctx context.Context, p config.LiteLLMParams) (*bedrock.Client, error) {
	cfg, err := jobConfig(ctx, p)
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = withStallGuard(cfg.HTTPClient, "Bedrock")
	return bedrock.NewFromConfig(cfg, func(o *bedrock.Options) {
		if p.BedrockEndpointURL != "" {
			o.BaseEndpoint = aws.String(p.BedrockEndpointURL)
		}
	}), nil
}

// STS returns an STS client with the credentials that create the
// deployment's Bedrock jobs (aws_*), to ask whose they are.
func STS(ctx context.Context, p config.LiteLLMParams) (*sts.Client, error) {
	cfg, err := jobConfig(ctx, p)
	if err != nil {
		return nil, err
	}
	return sts.NewFromConfig(cfg), nil
}

// IAM returns an IAM client with the credentials that create the
// deployment's Bedrock jobs (and so pass its aws_batch_role_arn). The
// endpoint follows the SDK's chain (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL).
func IAM(ctx context.Context, p config.LiteLLMParams) (*iam.Client, error) {
	cfg, err := jobConfig(ctx, p)
	if err != nil {
		return nil, err
	}
	return iam.NewFromConfig(cfg), nil
}

// jobConfig is the SDK config of the deployment's Bedrock side: aws_*
// credentials, aws_region_name (else s3_region_name).
func jobConfig(ctx context.Context, p config.LiteLLMParams) (aws.Config, error) {
	region := p.AWSRegionName
	if region == "" {
		region = p.S3RegionName
	}
	return load(ctx, region, p.AWSProfileName, p.AWSAccessKeyID, p.AWSSecretAccessKey, p.AWSSessionToken)
}
