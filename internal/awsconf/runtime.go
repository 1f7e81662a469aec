package awsconf

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/batchgate/batchgate/internal/config"
)

// RuntimeMaxAttempts is how many times a runtime request of an on-demand
// batch is tried (throttling, 5xx, network errors) before the reconciler
// leaves it for a later pass.
const RuntimeMaxAttempts = 8

// BedrockRuntime returns the Bedrock runtime client of a deployment, for
// batches run on demand. Its endpoint is AWS_ENDPOINT_URL_BEDROCK_RUNTIME
// (the SDK's own setting) when set, else bedrock_endpoint_url (batchgate's
// emulator serves both APIs on one address), else AWS's.
func BedrockRuntime(ctx context.Context, p config.LiteLLMParams) (*bedrockruntime.Client, error) {
	cfg, err := jobConfig(ctx, p)
	if err != nil {
		return nil, err
	}
	// No stall guard: a model may think longer than StallTimeout before the
	// first byte of its answer.
	return bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		if p.BedrockEndpointURL != "" && os.Getenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") == "" {
			o.BaseEndpoint = aws.String(p.BedrockEndpointURL)
		}
		// More attempts than the SDK's 3: on-demand throttling is common,
		// and the batch's own concurrency bound already limits the rate, so
		// no client-side retry quota either.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = RuntimeMaxAttempts
			so.MaxBackoff = 20 * time.Second
			so.RateLimiter = ratelimit.None
		})
	}), nil
}
