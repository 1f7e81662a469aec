package bedrocksim

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// NewS3ClientFromEnv builds the S3 client for Config.S3 from the standard AWS
// SDK configuration: environment (AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, …), shared
// config files and the default credential chain. optFns adjust the loading.
//
// When an endpoint override is configured the client uses path-style
// addressing, which S3-compatible servers on a plain host:port need. Without
// a configured region it uses us-east-1.
func NewS3ClientFromEnv(ctx context.Context, optFns ...func(*config.LoadOptions) error) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// BaseEndpoint is resolved from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL
		// (and config files) before the option functions run.
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	}), nil
}
