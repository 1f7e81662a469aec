package bedrocksim_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/batchgate/batchgate/bedrocksim"
)

func TestJob_Completed(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{})
	e.putRecords(t, "in/part-1.jsonl", 60, claudeRecord)
	e.putRecords(t, "in/part-2.jsonl", 40, func(i int) string { return claudeRecord(100 + i) })
	e.put(t, "in/image.png", []byte("not a record")) // content files are ignored
	before := time.Now().Add(-time.Second)
	arn := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) {
		in.ClientRequestToken = aws.String("token-1")
		in.TimeoutDurationInHours = aws.Int32(72)
		in.VpcConfig = &types.VpcConfig{SubnetIds: []string{"subnet-1"}, SecurityGroupIds: []string{"sg-1"}}
		in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("ml")}}
	})
	if !regexp.MustCompile(`^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/[a-z0-9]{12}$`).MatchString(arn) {
		t.Fatalf("jobArn=%s", arn)
	}
	got := e.wait(t, arn, types.ModelInvocationJobStatusCompleted)

	if got, want := aws.ToString(got.JobArn), arn; got != want {
		t.Errorf("jobArn=%s, want %s", got, want)
	}
	if got.ModelInvocationType != types.ModelInvocationTypeInvokeModel {
		t.Errorf("modelInvocationType=%q", got.ModelInvocationType)
	}
	if aws.ToString(got.ClientRequestToken) != "token-1" || aws.ToString(got.RoleArn) != testRole || aws.ToString(got.ModelId) != claudeID {
		t.Errorf("echoed fields: %+v", got)
	}
	if got.SubmitTime.Before(before) || got.EndTime == nil || got.EndTime.Before(*got.SubmitTime) || got.LastModifiedTime == nil {
		t.Errorf("times: submit %v end %v lastModified %v", got.SubmitTime, got.EndTime, got.LastModifiedTime)
	}
	if got, want := *got.JobExpirationTime, got.SubmitTime.Add(72*time.Hour); !got.Equal(want) {
		t.Errorf("jobExpirationTime=%v, want %v", got, want)
	}
	if aws.ToInt32(got.TimeoutDurationInHours) != 72 || got.VpcConfig == nil || got.VpcConfig.SubnetIds[0] != "subnet-1" {
		t.Errorf("timeout %v vpc %+v", got.TimeoutDurationInHours, got.VpcConfig)
	}
	for name, c := range map[string]*int64{"total": got.TotalRecordCount, "processed": got.ProcessedRecordCount, "success": got.SuccessRecordCount} {
		if aws.ToInt64(c) != 100 {
			t.Errorf("%sRecordCount=%v, want 100", name, aws.ToInt64(c))
		}
	}
	if aws.ToInt64(got.ErrorRecordCount) != 0 || got.Message != nil {
		t.Errorf("errorRecordCount=%d message=%q", aws.ToInt64(got.ErrorRecordCount), aws.ToString(got.Message))
	}
	in, ok := got.InputDataConfig.(*types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig)
	if !ok || aws.ToString(in.Value.S3Uri) != "s3://"+e.bucket+"/in/" {
		t.Errorf("inputDataConfig=%#v", got.InputDataConfig)
	}
	hist, _ := e.sim.StatusHistory(arn)
	if want := []bedrocksim.Status{"Submitted", "Validating", "Scheduled", "InProgress", "Completed"}; !slices.Equal(hist, want) {
		t.Errorf("history=%v, want %v", hist, want)
	}

	id := jobID(arn)
	raw := string(e.get(t, "out/"+id+"/part-1.jsonl.out"))
	if !strings.HasPrefix(raw, `{"modelInput":{"anthropic_version":"bedrock-2023-05-31"`) || !strings.Contains(raw, `,"recordId":"r000"}`) {
		t.Errorf("output line shape: %.300s", raw)
	}
	if n := len(e.lines(t, "out/"+id+"/part-1.jsonl.out")); n != 60 {
		t.Errorf("part-1 lines=%d, want 60", n)
	}
	if n := len(e.lines(t, "out/"+id+"/part-2.jsonl.out")); n != 40 {
		t.Errorf("part-2 lines=%d, want 40", n)
	}
	m := e.manifest(t, id)
	if m.TotalRecordCount != 100 || m.ProcessedRecordCount != 100 || m.SuccessRecordCount != 100 || m.ErrorRecordCount != 0 ||
		m.InputTokenCount < 100 || m.OutputTokenCount < 100 {
		t.Errorf("manifest=%+v", m)
	}
}

func TestJob_SingleFileAndNestedInput(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1})
	e.putRecords(t, "in/a/x.jsonl", 2, claudeRecord)
	e.putRecords(t, "in/b/x.jsonl", 3, claudeRecord)
	e.putRecords(t, "in/b/x.jsonl2", 3, claudeRecord) // not .jsonl: ignored

	t.Run("Folder", func(t *testing.T) {
		arn := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) {
			// No trailing slash: still a folder, not the prefix "in*".
			in.InputDataConfig = &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{
				Value: types.ModelInvocationJobS3InputDataConfig{S3Uri: aws.String("s3://" + e.bucket + "/in"), S3InputFormat: types.S3InputFormatJsonl},
			}
		})
		got := e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
		if aws.ToInt64(got.TotalRecordCount) != 5 {
			t.Errorf("totalRecordCount=%d, want 5", aws.ToInt64(got.TotalRecordCount))
		}
		if n := len(e.lines(t, "out/"+jobID(arn)+"/a/x.jsonl.out")); n != 2 {
			t.Errorf("a/x.jsonl.out lines=%d", n)
		}
		if n := len(e.lines(t, "out/"+jobID(arn)+"/b/x.jsonl.out")); n != 3 {
			t.Errorf("b/x.jsonl.out lines=%d", n)
		}
	})
	t.Run("SingleObject", func(t *testing.T) {
		arn := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) {
			in.InputDataConfig = &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{
				Value: types.ModelInvocationJobS3InputDataConfig{S3Uri: aws.String("s3://" + e.bucket + "/in/b/x.jsonl")},
			}
			in.OutputDataConfig = &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{
				Value: types.ModelInvocationJobS3OutputDataConfig{S3Uri: aws.String("s3://" + e.bucket + "/out")},
			}
		})
		got := e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
		if aws.ToInt64(got.TotalRecordCount) != 3 {
			t.Errorf("totalRecordCount=%d, want 3", aws.ToInt64(got.TotalRecordCount))
		}
		if n := len(e.lines(t, "out/"+jobID(arn)+"/x.jsonl.out")); n != 3 {
			t.Errorf("x.jsonl.out lines=%d", n)
		}
	})
}

func TestJob_RecordIDSynthesized(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1})
	e.put(t, "in/x.jsonl", []byte(`{"modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}]},"extra":1}`+"\r\n"))
	arn := e.create(t)
	e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
	lines := e.lines(t, "out/"+jobID(arn)+"/x.jsonl.out")
	if len(lines) != 1 {
		t.Fatalf("lines=%d", len(lines))
	}
	if id := string(lines[0]["recordId"]); !regexp.MustCompile(`^"[A-Z0-9]{11}"$`).MatchString(id) {
		t.Errorf("recordId=%s, want 11 alphanumerics", id)
	}
}

// TestJob_ValidationFailures covers each input rule and quota checked while
// Validating: the job ends Failed with a message.
func TestJob_ValidationFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   bedrocksim.Config
		setup func(t *testing.T, e *env)
		uri   string // input location under the bucket; default in/
		want  string
	}{
		{"ErrMinRecords", bedrocksim.Config{}, func(t *testing.T, e *env) { e.putRecords(t, "in/x.jsonl", 99, claudeRecord) },
			"", "fewer than the minimum of 100 records"},
		{"ErrMaxRecordsPerFile", bedrocksim.Config{MinRecordsPerJob: 1, MaxRecordsPerFile: 10}, func(t *testing.T, e *env) {
			e.putRecords(t, "in/x.jsonl", 11, claudeRecord)
		}, "", "more than the quota of 10 records per input file"},
		{"ErrMaxRecordsPerJob", bedrocksim.Config{MinRecordsPerJob: 1, MaxRecordsPerJob: 10}, func(t *testing.T, e *env) {
			e.putRecords(t, "in/x.jsonl", 6, claudeRecord)
			e.putRecords(t, "in/y.jsonl", 5, claudeRecord)
		}, "", "11 records, more than the quota of 10 records per batch inference job"},
		{"ErrMaxFileBytes", bedrocksim.Config{MinRecordsPerJob: 1, MaxFileBytes: 1000}, func(t *testing.T, e *env) {
			e.putRecords(t, "in/x.jsonl", 20, claudeRecord)
		}, "", "more than the quota of 1000 bytes per batch inference input file"},
		{"ErrMaxJobBytes", bedrocksim.Config{MinRecordsPerJob: 1, MaxJobBytes: 3000}, func(t *testing.T, e *env) {
			e.putRecords(t, "in/x.jsonl", 10, claudeRecord)
			e.putRecords(t, "in/y.jsonl", 10, claudeRecord)
		}, "", "more than the quota of 3000 bytes per batch inference job"},
		{"ErrNotJSONL", bedrocksim.Config{MinRecordsPerJob: 1}, func(t *testing.T, e *env) {
			e.putRecords(t, "in/x.json", 1, claudeRecord)
		}, "in/x.json", "must end in .jsonl"},
		{"ErrNoFiles", bedrocksim.Config{MinRecordsPerJob: 1}, func(t *testing.T, e *env) {
			e.putRecords(t, "in/x.txt", 1, claudeRecord)
		}, "", "No .jsonl input files"},
		{"ErrNotJSONObject", bedrocksim.Config{MinRecordsPerJob: 1}, func(t *testing.T, e *env) {
			e.put(t, "in/x.jsonl", []byte(claudeRecord(0)+"\n[1,2]\n"))
		}, "", "Line 2 of the input file s3://"},
		{"ErrBlankLine", bedrocksim.Config{MinRecordsPerJob: 1}, func(t *testing.T, e *env) {
			e.put(t, "in/x.jsonl", []byte(claudeRecord(0)+"\n\n"+claudeRecord(1)+"\n"))
		}, "", "Line 2 of the input file"},
		{"ErrNoModelInput", bedrocksim.Config{MinRecordsPerJob: 1}, func(t *testing.T, e *env) {
			e.put(t, "in/x.jsonl", []byte(`{"recordId":"a"}`+"\n"))
		}, "", "has no modelInput"},
		{"ErrModelInputNotObject", bedrocksim.Config{MinRecordsPerJob: 1}, func(t *testing.T, e *env) {
			e.put(t, "in/x.jsonl", []byte(`{"recordId":"a","modelInput":"hello"}`+"\n"))
		}, "", "modelInput that is not a JSON object"},
		{"ErrRecordIDNotString", bedrocksim.Config{MinRecordsPerJob: 1}, func(t *testing.T, e *env) {
			e.put(t, "in/x.jsonl", []byte(`{"recordId":7,"modelInput":{}}`+"\n"))
		}, "", "recordId that is not a string"},
		{"ErrNoBucket", bedrocksim.Config{MinRecordsPerJob: 1}, func(t *testing.T, e *env) {}, "missing", "Unable to list the input location"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.cfg)
			tc.setup(t, e)
			uri := "s3://" + e.bucket + "/in/"
			if tc.uri == "missing" {
				uri = "s3://no-such-bucket-bedrocksim/in/"
			} else if tc.uri != "" {
				uri = "s3://" + e.bucket + "/" + tc.uri
			}
			arn := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) {
				in.InputDataConfig = &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{
					Value: types.ModelInvocationJobS3InputDataConfig{S3Uri: aws.String(uri)},
				}
			})
			got := e.wait(t, arn, types.ModelInvocationJobStatusFailed)
			if msg := aws.ToString(got.Message); !strings.Contains(msg, tc.want) {
				t.Errorf("message=%q, want it to contain %q", msg, tc.want)
			}
			if got.EndTime == nil {
				t.Error("endTime not set")
			}
			hist, _ := e.sim.StatusHistory(jobID(arn))
			if want := []bedrocksim.Status{"Submitted", "Validating", "Failed"}; !slices.Equal(hist, want) {
				t.Errorf("history=%v, want %v", hist, want)
			}
		})
	}
}

func TestJob_OutputUnwritable(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1})
	e.putRecords(t, "in/x.jsonl", 2, claudeRecord)
	arn := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) {
		in.OutputDataConfig = &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{
			Value: types.ModelInvocationJobS3OutputDataConfig{S3Uri: aws.String("s3://no-such-bucket-bedrocksim/out/")},
		}
	})
	got := e.wait(t, arn, types.ModelInvocationJobStatusFailed)
	if !strings.Contains(aws.ToString(got.Message), "Unable to write the output object s3://no-such-bucket-bedrocksim/out/"+jobID(arn)+"/x.jsonl.out") {
		t.Errorf("message=%q", aws.ToString(got.Message))
	}
}

func TestJob_NoS3Client(t *testing.T) {
	sim := bedrocksim.New(bedrocksim.Config{StepDelay: time.Millisecond})
	e := &env{sim: sim, bedrock: bedrockClient(serve(t, sim), 1), bucket: "some-bucket"}
	got := e.wait(t, e.create(t), types.ModelInvocationJobStatusFailed)
	if !strings.Contains(aws.ToString(got.Message), "no S3 client") {
		t.Errorf("message=%q", aws.ToString(got.Message))
	}
}

func TestJob_Stop(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, Faults: bedrocksim.Faults{HoldScheduled: true}})
	e.putRecords(t, "in/x.jsonl", 3, claudeRecord)
	arn := e.create(t)
	e.wait(t, arn, types.ModelInvocationJobStatusScheduled)
	if _, err := e.bedrock.StopModelInvocationJob(context.Background(), &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String(arn)}); err != nil {
		t.Fatalf("stop: %v", err)
	}
	got := e.wait(t, arn, types.ModelInvocationJobStatusStopped)
	if got.EndTime == nil {
		t.Error("endTime not set")
	}
	hist, _ := e.sim.StatusHistory(arn)
	if want := []bedrocksim.Status{"Submitted", "Validating", "Scheduled", "Stopping", "Stopped"}; !slices.Equal(hist, want) {
		t.Errorf("history=%v, want %v", hist, want)
	}

	t.Run("ErrTerminal", func(t *testing.T) {
		_, err := e.bedrock.StopModelInvocationJob(context.Background(), &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String(jobID(arn))})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "State was: Stopped") {
			t.Fatalf("err=%v, want ValidationException naming the state", err)
		}
	})
	t.Run("ErrCompleted", func(t *testing.T) {
		e.sim.SetFaults(bedrocksim.Faults{})
		arn := e.create(t)
		e.wait(t, arn, types.ModelInvocationJobStatusCompleted)
		_, err := e.bedrock.StopModelInvocationJob(context.Background(), &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String(arn)})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || !strings.HasSuffix(ve.ErrorMessage(), "State was: Completed") {
			t.Fatalf("err=%v, want ValidationException ending State was: Completed", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.bedrock.StopModelInvocationJob(context.Background(), &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String("abcdefghijkl")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("err=%v, want ResourceNotFoundException", err)
		}
	})
	t.Run("InProgress", func(t *testing.T) {
		// A job stopped while it runs ends Stopped too; whatever it
		// processed is in the manifest.
		e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, StepDelay: 50 * time.Millisecond})
		e.putRecords(t, "in/x.jsonl", 3, claudeRecord)
		arn := e.create(t)
		e.wait(t, arn, types.ModelInvocationJobStatusInProgress)
		if _, err := e.bedrock.StopModelInvocationJob(context.Background(), &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String(arn)}); err != nil {
			var ve *types.ValidationException
			if errors.As(err, &ve) && strings.Contains(ve.ErrorMessage(), "State was: Completed") {
				t.Skip("the job completed before the stop arrived")
			}
			t.Fatalf("stop: %v", err)
		}
		got := e.wait(t, arn, types.ModelInvocationJobStatusStopped)
		m := e.manifest(t, jobID(arn))
		if m.ProcessedRecordCount != aws.ToInt64(got.ProcessedRecordCount) {
			t.Errorf("manifest processed %d, Get %d", m.ProcessedRecordCount, aws.ToInt64(got.ProcessedRecordCount))
		}
	})
}

func TestJob_Expired(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, Now: c.Now, Faults: bedrocksim.Faults{HoldScheduled: true}})
	e.putRecords(t, "in/x.jsonl", 3, claudeRecord)
	arn := e.create(t)
	got := e.wait(t, arn, types.ModelInvocationJobStatusScheduled)
	if want := c.Now().Add(24 * time.Hour); !got.JobExpirationTime.Equal(want) {
		t.Errorf("jobExpirationTime=%v, want %v (default timeout 24h)", got.JobExpirationTime, want)
	}
	c.Add(24 * time.Hour)
	got = e.wait(t, arn, types.ModelInvocationJobStatusExpired)
	if got.Message == nil || got.EndTime == nil || !got.EndTime.Equal(c.Now()) {
		t.Errorf("message %q endTime %v", aws.ToString(got.Message), got.EndTime)
	}
}

func TestJob_CloseStopsWork(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, Faults: bedrocksim.Faults{HoldScheduled: true}})
	e.putRecords(t, "in/x.jsonl", 3, claudeRecord)
	arn := e.create(t)
	e.wait(t, arn, types.ModelInvocationJobStatusScheduled)
	done := make(chan struct{})
	go func() {
		e.sim.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(pollWithin):
		t.Fatal("Close did not return")
	}
	_, err := e.bedrock.CreateModelInvocationJob(context.Background(), e.input())
	var ie *types.InternalServerException
	if !errors.As(err, &ie) {
		t.Fatalf("create after Close: err=%v, want InternalServerException", err)
	}
	if got := e.getJob(t, arn); got.Status != types.ModelInvocationJobStatusScheduled {
		t.Errorf("status after Close=%s", got.Status)
	}
}

// TestJob_CountsRiseInProgress: while a job is InProgress its record counts
// rise, as Bedrock's do, so that a client can show how far along it is; they
// are whole when it completes.
func TestJob_CountsRiseInProgress(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{StepDelay: time.Second})
	e.putRecords(t, "in/part-1.jsonl", 100, claudeRecord)
	arn := e.create(t)
	seen := map[int64]bool{}
	for {
		got := e.getJob(t, arn)
		if got.Status == types.ModelInvocationJobStatusInProgress {
			seen[aws.ToInt64(got.ProcessedRecordCount)] = true
		}
		if bedrocksim.Status(got.Status).Terminal() {
			if got.Status != types.ModelInvocationJobStatusCompleted || aws.ToInt64(got.ProcessedRecordCount) != 100 || aws.ToInt64(got.SuccessRecordCount) != 100 {
				t.Fatalf("ended %s with %d processed, want Completed with 100", got.Status, aws.ToInt64(got.ProcessedRecordCount))
			}
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	between := 0
	for n := range seen {
		if n > 0 && n < 100 {
			between++
		}
	}
	if between < 2 {
		t.Errorf("processedRecordCount while InProgress took the values %v; want it to rise through several between 0 and 100", seen)
	}
}
