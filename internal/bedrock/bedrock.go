// Package bedrock runs batch jobs as Bedrock model invocation jobs through
// aws-sdk-go-v2's service/bedrock client, and translates its errors into
// batchgate errors at the boundary.
package bedrock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/batchgate/batchgate"
)

// JobSpec is what CreateModelInvocationJob needs.
type JobSpec struct {
	Name           string
	ClientToken    string // idempotency token: the same token never starts a second job
	RoleARN        string
	ModelID        string
	InputURI       string // s3://bucket/key.jsonl
	OutputURI      string // s3://bucket/prefix/
	KMSKeyID       string // SSE-KMS key for the output, optional
	TimeoutHours   int32  // 24..168
	InvocationType string // "" (InvokeModel) or "Converse"
	Tags           map[string]string
}

// Job is the state of a job as Bedrock reports it.
type Job struct {
	ARN     string
	Name    string
	Status  string // Bedrock status, e.g. "InProgress"
	Message string
	// What the job was created with (set by FindJobs).
	ClientToken, InputURI, OutputURI string
	Total                            int64
	Processed                        int64
	Success                          int64
	Errors                           int64
	EndTime                          *time.Time
}

// Runner creates, reads and stops jobs on one Bedrock client.
type Runner struct {
	Client *bedrock.Client
}

// Create starts the job and returns its ARN.
func (r *Runner) Create(ctx context.Context, s JobSpec) (string, error) {
	in := &bedrock.CreateModelInvocationJobInput{
		JobName:            aws.String(s.Name),
		ClientRequestToken: aws.String(s.ClientToken),
		RoleArn:            aws.String(s.RoleARN),
		ModelId:            aws.String(s.ModelID),
		InputDataConfig: &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{Value: types.ModelInvocationJobS3InputDataConfig{
			S3Uri: aws.String(s.InputURI), S3InputFormat: types.S3InputFormatJsonl,
		}},
		OutputDataConfig: &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{Value: types.ModelInvocationJobS3OutputDataConfig{
			S3Uri: aws.String(s.OutputURI), S3EncryptionKeyId: nonEmpty(s.KMSKeyID),
		}},
	}
	if s.TimeoutHours > 0 {
		in.TimeoutDurationInHours = aws.Int32(s.TimeoutHours)
	}
	if s.InvocationType != "" {
		in.ModelInvocationType = types.ModelInvocationType(s.InvocationType)
	}
	for k, v := range s.Tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := r.Client.CreateModelInvocationJob(ctx, in)
	if err != nil {
		return "", wrap("create model invocation job", err)
	}
	return aws.ToString(out.JobArn), nil
}

// Get reads the job.
func (r *Runner) Get(ctx context.Context, arn string) (*Job, error) {
	out, err := r.Client.GetModelInvocationJob(ctx, &bedrock.GetModelInvocationJobInput{JobIdentifier: aws.String(arn)})
	if err != nil {
		return nil, wrap("get model invocation job", err)
	}
	return &Job{
		ARN:       aws.ToString(out.JobArn),
		Status:    string(out.Status),
		Message:   aws.ToString(out.Message),
		Total:     aws.ToInt64(out.TotalRecordCount),
		Processed: aws.ToInt64(out.ProcessedRecordCount),
		Success:   aws.ToInt64(out.SuccessRecordCount),
		Errors:    aws.ToInt64(out.ErrorRecordCount),
		EndTime:   out.EndTime,
	}, nil
}

// FindJobs returns the jobs named name (ListModelInvocationJobs with
// nameContains, keeping the exact matches), with what they were created with.
func (r *Runner) FindJobs(ctx context.Context, name string) ([]Job, error) {
	var out []Job
	p := bedrock.NewListModelInvocationJobsPaginator(r.Client, &bedrock.ListModelInvocationJobsInput{NameContains: aws.String(name), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("list model invocation jobs", err)
		}
		for _, s := range page.InvocationJobSummaries {
			if aws.ToString(s.JobName) != name {
				continue
			}
			j := Job{ARN: aws.ToString(s.JobArn), Name: name, Status: string(s.Status), Message: aws.ToString(s.Message),
				ClientToken: aws.ToString(s.ClientRequestToken)}
			if in, ok := s.InputDataConfig.(*types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig); ok {
				j.InputURI = aws.ToString(in.Value.S3Uri)
			}
			if o, ok := s.OutputDataConfig.(*types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig); ok {
				j.OutputURI = aws.ToString(o.Value.S3Uri)
			}
			out = append(out, j)
		}
	}
	return out, nil
}

// NameInUse reports whether err may be Bedrock refusing a job name already
// taken: "The provided job name is currently in use." (a ValidationException
// on Bedrock's sibling job APIs; undocumented for batch jobs, where the
// modeled ConflictException may say the same).
func NameInUse(err error) bool {
	switch batchgate.ErrorCode(err) {
	case batchgate.ECONFLICT:
		return true
	case batchgate.EINVALID:
		msg := strings.ToLower(err.Error())
		return strings.Contains(msg, "name") && (strings.Contains(msg, "in use") || strings.Contains(msg, "already exists"))
	}
	return false
}

// Stop asks Bedrock to stop the job. A job that has already ended is not an
// error: Bedrock answers ValidationException "… State was: Completed" (spec §1.6).
func (r *Runner) Stop(ctx context.Context, arn string) error {
	_, err := r.Client.StopModelInvocationJob(ctx, &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String(arn)})
	var ve *types.ValidationException
	if errors.As(err, &ve) && strings.Contains(aws.ToString(ve.Message), "State was") {
		return nil
	}
	if err != nil {
		return wrap("stop model invocation job", err)
	}
	return nil
}

// JobID returns the 12-character id at the end of a job ARN; Bedrock writes
// output under {outputUri}/{jobId}/ (spec §2.3).
func JobID(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// Terminal reports whether a Bedrock job status is final.
func Terminal(status string) bool {
	switch types.ModelInvocationJobStatus(status) {
	case types.ModelInvocationJobStatusCompleted, types.ModelInvocationJobStatusPartiallyCompleted,
		types.ModelInvocationJobStatusFailed, types.ModelInvocationJobStatusStopped, types.ModelInvocationJobStatusExpired:
		return true
	}
	return false
}

// OpenAIStatus maps a Bedrock job status to an OpenAI batch status.
// Scheduled is in_progress (LiteLLM maps it inconsistently, litellm-analysis §8);
// PartiallyCompleted is completed, with the failures counted.
func OpenAIStatus(status string) string {
	switch types.ModelInvocationJobStatus(status) {
	case types.ModelInvocationJobStatusSubmitted, types.ModelInvocationJobStatusValidating:
		return batchgate.StatusValidating
	case types.ModelInvocationJobStatusScheduled, types.ModelInvocationJobStatusInProgress:
		return batchgate.StatusInProgress
	case types.ModelInvocationJobStatusCompleted, types.ModelInvocationJobStatusPartiallyCompleted:
		return batchgate.StatusCompleted
	case types.ModelInvocationJobStatusFailed:
		return batchgate.StatusFailed
	case types.ModelInvocationJobStatusStopping:
		return batchgate.StatusCancelling
	case types.ModelInvocationJobStatusStopped:
		return batchgate.StatusCancelled
	case types.ModelInvocationJobStatusExpired:
		return batchgate.StatusExpired
	}
	return batchgate.StatusInProgress
}

// wrap turns Bedrock's modeled errors into batchgate errors: client mistakes
// become EINVALID (shown to the caller), a full quota ERATELIMIT (the batch
// waits), a missing job ENOTFOUND. Throttling and 5xx have already been
// retried by the SDK and stay internal: the reconciler tries again later.
func wrap(op string, err error) error {
	var (
		ve *types.ValidationException
		qe *types.ServiceQuotaExceededException
		nf *types.ResourceNotFoundException
		ad *types.AccessDeniedException
		ce *types.ConflictException
	)
	switch {
	case errors.As(err, &ve):
		return &batchgate.Error{Code: batchgate.EINVALID, Message: "Bedrock rejected the job: " + aws.ToString(ve.Message), Err: err}
	case errors.As(err, &qe):
		return &batchgate.Error{Code: batchgate.ERATELIMIT, Message: "Bedrock's concurrent batch job quota for this model is full: " + aws.ToString(qe.Message), Err: err}
	case errors.As(err, &nf):
		return &batchgate.Error{Code: batchgate.ENOTFOUND, Message: "Bedrock job not found: " + aws.ToString(nf.Message), Err: err}
	case errors.As(err, &ad):
		return &batchgate.Error{Code: batchgate.EFORBIDDEN, Message: "Bedrock denied access: " + aws.ToString(ad.Message), Err: err}
	case errors.As(err, &ce):
		return &batchgate.Error{Code: batchgate.ECONFLICT, Message: "Bedrock reported a conflict: " + aws.ToString(ce.Message), Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Permanent reports whether err will not go away by retrying.
func Permanent(err error) bool {
	switch batchgate.ErrorCode(err) {
	case batchgate.EINVALID, batchgate.EFORBIDDEN, batchgate.ENOTFOUND, batchgate.ECONFLICT:
		return true
	}
	return false
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
