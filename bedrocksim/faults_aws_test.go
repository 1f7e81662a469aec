package bedrocksim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/bedrocksim"
)

func TestFaults_OmitManifest(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, Faults: bedrocksim.Faults{OmitManifest: true}})
	e.putRecords(t, "in/x.jsonl", 4, claudeRecord)
	arn := e.create(t)
	e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
	if n := len(e.lines(t, "out/"+jobID(arn)+"/x.jsonl.out")); n != 4 {
		t.Errorf("lines=%d, want 4", n)
	}
	list, err := e.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(e.bucket), Prefix: aws.String("out/" + jobID(arn) + "/")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Contents {
		if strings.HasSuffix(aws.ToString(o.Key), "manifest.json.out") {
			t.Errorf("manifest written: %s", aws.ToString(o.Key))
		}
	}
}

// A create whose response is lost: the job exists, the client got a 500.
// The SDK's retry (same token) gets the job back by default, and is refused
// as a name in use with NameBeforeToken. Either way there is one job.
func TestFaults_LoseCreateResponse(t *testing.T) {
	for _, nameFirst := range []bool{false, true} {
		e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, NameBeforeToken: nameFirst,
			Faults: bedrocksim.Faults{HoldScheduled: true, LoseCreateResponses: 1}})
		e.putRecords(t, "in/x.jsonl", 2, claudeRecord)
		client := bedrockClient(e.url, 3) // the SDK retries the 500 with the same token
		out, err := client.CreateModelInvocationJob(context.Background(), e.input(func(in *bedrock.CreateModelInvocationJobInput) {
			in.ClientRequestToken = aws.String("token-lost")
		}))
		var ve *types.ValidationException
		switch {
		case !nameFirst && err != nil:
			t.Errorf("token first: retry answered %v, want the job", err)
		case nameFirst && (!errors.As(err, &ve) || !strings.Contains(err.Error(), "name is currently in use")):
			t.Errorf("name first: retry answered %v, %v; want the name in use", out, err)
		}
		jobs, err := e.bedrock.ListModelInvocationJobs(context.Background(), &bedrock.ListModelInvocationJobsInput{})
		if err != nil || len(jobs.InvocationJobSummaries) != 1 {
			t.Fatalf("jobs %v, %v; want one", jobs, err)
		}
		if e.sim.Faults().LoseCreateResponses != 0 {
			t.Errorf("fault not used up: %+v", e.sim.Faults())
		}
		if !nameFirst && aws.ToString(out.JobArn) != aws.ToString(jobs.InvocationJobSummaries[0].JobArn) {
			t.Errorf("retry answered %s, the job is %s", aws.ToString(out.JobArn), aws.ToString(jobs.InvocationJobSummaries[0].JobArn))
		}
	}
}
