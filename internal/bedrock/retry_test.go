package bedrock

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// quotaExceeded returns the error a call meets when the SDK's client-side
// retry quota is used up, built the way the SDK builds it: the standard
// retryer's GetRetryToken on an empty token bucket, wrapped in the
// operation error the client returns.
func quotaExceeded(t *testing.T) error {
	t.Helper()
	r := retry.NewStandard(func(o *retry.StandardOptions) {
		o.RateLimiter = ratelimit.NewTokenRateLimit(0)
	})
	_, err := r.GetRetryToken(context.Background(), errors.New("connection reset"))
	var qe ratelimit.QuotaExceededError
	if !errors.As(err, &qe) {
		t.Fatalf("GetRetryToken on an empty bucket = %v; want a ratelimit.QuotaExceededError", err)
	}
	return &smithy.OperationError{ServiceID: "Bedrock", OperationName: "CreateModelInvocationJob",
		Err: fmt.Errorf("retry quota exhausted: %w", err)}
}

func TestThrottledRetryQuota(t *testing.T) {
	if err := quotaExceeded(t); !Throttled(err) {
		t.Errorf("Throttled(%v) = false; want true", err)
	}
	// The SDK's wording in another error (here a validation message echoing
	// user input) is not the retry quota.
	echo := &smithy.GenericAPIError{Code: "ValidationException", Message: `job name "retry quota exceeded" is invalid`}
	if Throttled(echo) {
		t.Errorf("Throttled(%v) = true; want false", echo)
	}
}

func TestThrottled(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{&smithy.GenericAPIError{Code: "ValidationException"}, false},
		{errors.New("connection reset"), false},
	} {
		if got := Throttled(tc.err); got != tc.want {
			t.Errorf("Throttled(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}
