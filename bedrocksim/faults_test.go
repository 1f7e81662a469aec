package bedrocksim_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/batchgate/batchgate/bedrocksim"
)

func TestFaults_ThrottleAndServerErrors(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{Faults: bedrocksim.Faults{ThrottleFraction: 1}})
	ctx := context.Background()
	list := func() error {
		_, err := e.bedrock.ListModelInvocationJobs(ctx, &bedrock.ListModelInvocationJobsInput{})
		return err
	}
	var te *types.ThrottlingException
	if err := list(); !errors.As(err, &te) {
		t.Fatalf("err=%v, want ThrottlingException", err)
	}
	if _, err := e.bedrock.CreateModelInvocationJob(ctx, e.input()); !errors.As(err, &te) {
		t.Fatalf("create: err=%v, want ThrottlingException", err)
	}
	e.sim.SetFaults(bedrocksim.Faults{ServerErrorFraction: 1})
	if got := e.sim.Faults(); got.ServerErrorFraction != 1 || got.ThrottleFraction != 0 {
		t.Errorf("Faults()=%+v", got)
	}
	var ie *types.InternalServerException
	if err := list(); !errors.As(err, &ie) {
		t.Fatalf("err=%v, want InternalServerException", err)
	}
	e.sim.SetFaults(bedrocksim.Faults{})
	if err := list(); err != nil {
		t.Fatalf("no faults: %v", err)
	}
	// Nothing was created by the refused calls.
	out, _ := e.bedrock.ListModelInvocationJobs(ctx, &bedrock.ListModelInvocationJobsInput{})
	if n := len(out.InvocationJobSummaries); n != 0 {
		t.Errorf("jobs=%d, want 0", n)
	}
}

func TestFaults_FractionIsSeeded(t *testing.T) {
	outcomes := func() []bool {
		e := newEnv(t, bedrocksim.Config{Seed: 42, Faults: bedrocksim.Faults{ThrottleFraction: 0.5}})
		var got []bool
		for range 40 {
			_, err := e.bedrock.ListModelInvocationJobs(context.Background(), &bedrock.ListModelInvocationJobsInput{})
			got = append(got, err != nil)
		}
		return got
	}
	a, b := outcomes(), outcomes()
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different outcomes:\n%v\n%v", a, b)
	}
	if n := len(slices.DeleteFunc(slices.Clone(a), func(x bool) bool { return !x })); n == 0 || n == len(a) {
		t.Errorf("%d of %d calls throttled at fraction 0.5", n, len(a))
	}
}

func TestFaults_SeedGivesSameJobIDs(t *testing.T) {
	ids := func() []string {
		e := newEnv(t, bedrocksim.Config{Seed: 7, Faults: bedrocksim.Faults{HoldScheduled: true}})
		return []string{jobID(e.create(t)), jobID(e.create(t))}
	}
	if a, b := ids(), ids(); !slices.Equal(a, b) {
		t.Errorf("job ids %v and %v", a, b)
	}
}

func TestFaults_ForceFail(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, Faults: bedrocksim.Faults{ForceFail: "Internal failure injected by test"}})
	e.putRecords(t, "in/x.jsonl", 3, claudeRecord)
	arn := e.create(t)
	got := e.wait(t, arn, types.ModelInvocationJobStatusFailed)
	if aws.ToString(got.Message) != "Internal failure injected by test" {
		t.Errorf("message=%q", aws.ToString(got.Message))
	}
	hist, _ := e.sim.StatusHistory(arn)
	if want := []bedrocksim.Status{"Submitted", "Validating", "Scheduled", "InProgress", "Failed"}; !slices.Equal(hist, want) {
		t.Errorf("history=%v, want %v", hist, want)
	}
}

func TestFaults_PartiallyCompleted(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, Faults: bedrocksim.Faults{PartialFraction: 0.25}})
	e.putRecords(t, "in/x.jsonl", 10, claudeRecord)
	arn := e.create(t)
	got := e.wait(t, arn, types.ModelInvocationJobStatusPartiallyCompleted)
	// ceil(10 × 0.25) = 3 records left out.
	if aws.ToInt64(got.TotalRecordCount) != 10 || aws.ToInt64(got.ProcessedRecordCount) != 7 || aws.ToInt64(got.SuccessRecordCount) != 7 {
		t.Errorf("counts total %d processed %d success %d", aws.ToInt64(got.TotalRecordCount), aws.ToInt64(got.ProcessedRecordCount), aws.ToInt64(got.SuccessRecordCount))
	}
	if got.Message == nil {
		t.Error("no message")
	}
	m := e.manifest(t, jobID(arn))
	if m.TotalRecordCount != 10 || m.ProcessedRecordCount != 7 || m.SuccessRecordCount != 7 {
		t.Errorf("manifest=%+v", m)
	}
	if n := len(e.lines(t, "out/"+jobID(arn)+"/x.jsonl.out")); n != 7 {
		t.Errorf("lines=%d, want 7", n)
	}
}
