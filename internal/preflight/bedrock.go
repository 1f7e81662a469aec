package preflight

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
)

// BedrockEndpoint checks that the Bedrock control plane answers the
// deployment's credentials, with the cheapest call the gateway also makes.
func BedrockEndpoint(ctx context.Context, t *Target) []Result {
	endpoint := aws.ToString(t.Bedrock.Options().BaseEndpoint)
	if endpoint == "" {
		endpoint = "bedrock." + t.jobRegion() + ".amazonaws.com"
	}
	what := fmt.Sprintf("Bedrock endpoint %s answers ListModelInvocationJobs", endpoint)
	_, err := t.Bedrock.ListModelInvocationJobs(ctx, &bedrock.ListModelInvocationJobsInput{MaxResults: aws.Int32(1)})
	if err == nil {
		return []Result{t.result(OK, what, "")}
	}
	if fix := credentialsProblem(err); fix != "" {
		return []Result{t.result(Fail, what, fix)}
	}
	code, status := errCode(err)
	var detail string
	switch {
	case noResponse(err):
		detail = fmt.Sprintf("no answer from %s (%s): check the network, the region (litellm_params.aws_region_name), and litellm_params.bedrock_endpoint_url or AWS_ENDPOINT_URL_BEDROCK if set", endpoint, netText(err))
	case code == "AccessDeniedException" || status == 403:
		detail = fmt.Sprintf("%s: grant the credentials bedrock:ListModelInvocationJobs, bedrock:CreateModelInvocationJob, bedrock:GetModelInvocationJob and bedrock:StopModelInvocationJob, and iam:PassRole on litellm_params.aws_batch_role_arn", errText(err))
	default:
		detail = "ListModelInvocationJobs: " + errText(err)
	}
	return []Result{t.result(Fail, what, detail)}
}
