package bedrock

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Runtime runs single requests through Bedrock's runtime API, for batches
// below the batch minimum that run on demand. It sends the record bodies
// batchgate already translated for batch jobs, unchanged: a batch record's
// modelInput is an InvokeModel body, or for a Converse job a Converse request
// without modelId, which is exactly the body of the Converse operation. Both
// go through the SDK's InvokeModel (Converse with its path set to
// /model/{modelId}/converse), so there is one translation path and no
// re-encoding into the SDK's Converse types; the answer body is what a batch
// .out line carries as modelOutput.
type Runtime struct {
	Client *bedrockruntime.Client
}

// RequestError is Bedrock refusing one request (a 4xx other than
// throttling): the request fails, as a record of a batch job fails with an
// error line, and retrying it would not help.
type RequestError struct {
	Status  int
	Code    string // e.g. ValidationException
	Message string
}

func (e *RequestError) Error() string { return e.Code + ": " + e.Message }

// Invoke sends body to modelID (Converse when converse) and returns the
// answer body. The SDK retries throttling, 5xx and network errors with
// backoff first; what is left is a *RequestError for a refused request, or
// another error that the caller retries later.
func (r *Runtime) Invoke(ctx context.Context, modelID string, converse bool, body []byte) ([]byte, error) {
	in := &bedrockruntime.InvokeModelInput{
		ModelId: aws.String(modelID), Body: body,
		ContentType: aws.String("application/json"), Accept: aws.String("application/json"),
	}
	var opts []func(*bedrockruntime.Options)
	if converse {
		opts = append(opts, func(o *bedrockruntime.Options) {
			o.APIOptions = append(o.APIOptions, conversePath)
		})
	}
	out, err := r.Client.InvokeModel(ctx, in, opts...)
	if err != nil {
		return nil, runtimeError(err)
	}
	return out.Body, nil
}

// conversePath turns the serialized InvokeModel request into a Converse
// request: same body, path /model/{modelId}/converse. It runs in the build
// step, before the request is signed.
func conversePath(stack *middleware.Stack) error {
	return stack.Build.Add(middleware.BuildMiddlewareFunc("batchgateConversePath",
		func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				req.URL.Path = strings.TrimSuffix(req.URL.Path, "/invoke") + "/converse"
				if req.URL.RawPath != "" {
					req.URL.RawPath = strings.TrimSuffix(req.URL.RawPath, "/invoke") + "/converse"
				}
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
}

// runtimeError sorts an error left after the SDK's retries: a 4xx answer
// other than throttling is the request's own failure.
func runtimeError(err error) error {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || Throttled(err) {
		return fmt.Errorf("bedrock runtime: %w", err)
	}
	status := re.HTTPStatusCode()
	if status < 400 || status >= 500 || status == 408 {
		return fmt.Errorf("bedrock runtime: %w", err)
	}
	e := &RequestError{Status: status, Code: "BedrockError", Message: err.Error()}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code, e.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	return e
}
