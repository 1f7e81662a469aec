package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/batchgate/batchgate"
)

// refused turns a permanent Bedrock refusal of a job into an error fit for
// the tenant. AWS's own message may name the IAM role, the account or a
// bucket, so it goes to the gateway log only; the tenant sees the AWS
// request id (or the batch id) to quote. The code is kept, and so are the
// HTTP status and bedrock.Permanent; the original error stays wrapped.
func (g *Gateway) refused(ctx context.Context, b *batchgate.Batch, err error) error {
	var rid interface{ ServiceRequestID() string }
	ref := "batch " + b.ID
	if errors.As(err, &rid) && rid.ServiceRequestID() != "" {
		ref = "request id " + rid.ServiceRequestID()
	}
	g.Log.ErrorContext(ctx, "bedrock refused the job", "batch_id", b.ID, "ref", ref, "err", err)
	return &batchgate.Error{Code: batchgate.ErrorCode(err), Err: err,
		Message: fmt.Sprintf("Bedrock refused the job (%s); the administrator can find the details in the gateway log.", ref)}
}
