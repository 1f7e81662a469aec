package bedrock

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/batchgate/batchgate"
)

// Throttled reports whether err is Bedrock's ThrottlingException (the API's
// rate limit) after the SDK's own retries, or the SDK's client-side retry
// quota running dry: the caller should slow down before calling again.
func Throttled(err error) bool {
	if err == nil {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ThrottlingException", "TooManyRequestsException", "Throttling":
			return true
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == 429 {
		return true
	}
	var qe ratelimit.QuotaExceededError
	return errors.As(err, &qe)
}

// Transient reports whether err should be retried later with the same
// request: throttling, a 5xx, a full concurrent-job quota, or a network
// error. Permanent errors are not.
func Transient(err error) bool {
	return err != nil && !Permanent(err)
}

// QuotaFull reports whether err is Bedrock's ServiceQuotaExceededException
// (or batchgate's own concurrent-job limit): the batch waits for a slot.
func QuotaFull(err error) bool {
	return batchgate.ErrorCode(err) == batchgate.ERATELIMIT
}
