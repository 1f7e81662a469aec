package bedrocksim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/smithy-go"

	"github.com/batchgate/batchgate/bedrocksim"
)

// rawCall sends a request without an SDK and returns status, headers and body.
func rawCall(t *testing.T, method, url, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, url, b, err)
	}
	return resp.StatusCode, resp.Header, m
}

// TestErrors_WireShape checks every error type as raw HTTP and as the AWS SDK
// for Go v2 parses it, for each operation that models it.
func TestErrors_WireShape(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{})
	ctx := context.Background()
	calls := map[string]func() error{
		bedrocksim.OpCreateModelInvocationJob: func() error {
			_, err := e.bedrock.CreateModelInvocationJob(ctx, e.input())
			return err
		},
		bedrocksim.OpGetModelInvocationJob: func() error {
			_, err := e.bedrock.GetModelInvocationJob(ctx, &bedrock.GetModelInvocationJobInput{JobIdentifier: aws.String("abcdefghijkl")})
			return err
		},
		bedrocksim.OpListModelInvocationJobs: func() error {
			_, err := e.bedrock.ListModelInvocationJobs(ctx, &bedrock.ListModelInvocationJobsInput{})
			return err
		},
		bedrocksim.OpStopModelInvocationJob: func() error {
			_, err := e.bedrock.StopModelInvocationJob(ctx, &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String("abcdefghijkl")})
			return err
		},
	}
	// The errors each operation models (spec §1.2).
	modeled := map[string][]bedrocksim.ErrorType{
		bedrocksim.OpCreateModelInvocationJob: {"ResourceNotFoundException", "AccessDeniedException", "ValidationException", "ConflictException", "InternalServerException", "ServiceQuotaExceededException", "ThrottlingException"},
		bedrocksim.OpGetModelInvocationJob:    {"ResourceNotFoundException", "AccessDeniedException", "ValidationException", "InternalServerException", "ThrottlingException"},
		bedrocksim.OpListModelInvocationJobs:  {"AccessDeniedException", "ValidationException", "InternalServerException", "ThrottlingException"},
		bedrocksim.OpStopModelInvocationJob:   {"ResourceNotFoundException", "AccessDeniedException", "ValidationException", "ConflictException", "InternalServerException", "ThrottlingException"},
	}
	status := map[bedrocksim.ErrorType]int{
		"ValidationException": 400, "ConflictException": 400, "ServiceQuotaExceededException": 400,
		"AccessDeniedException": 403, "ResourceNotFoundException": 404, "ThrottlingException": 429, "InternalServerException": 500,
	}
	for op, types_ := range modeled {
		for _, et := range types_ {
			t.Run(op+"/"+string(et), func(t *testing.T) {
				msg := "injected " + string(et)
				if err := e.sim.InjectError(op, et, msg); err != nil {
					t.Fatal(err)
				}
				err := calls[op]()
				if !isType(err, et) {
					t.Fatalf("err=%v (%T), want typed %s", err, err, et)
				}
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != string(et) || ae.ErrorMessage() != msg {
					t.Errorf("APIError code=%q message=%q", ae.ErrorCode(), ae.ErrorMessage())
				}
				var re *awshttp.ResponseError
				if !errors.As(err, &re) || re.HTTPStatusCode() != status[et] || re.RequestID == "" {
					t.Errorf("status=%d requestID=%q, want %d and an id", re.HTTPStatusCode(), re.RequestID, status[et])
				}
			})
		}
	}

	t.Run("Raw", func(t *testing.T) {
		code, h, body := rawCall(t, "GET", e.url+"/model-invocation-job/abcdefghijkl", "")
		if code != 404 {
			t.Errorf("status=%d", code)
		}
		if got, want := h.Get("X-Amzn-ErrorType"), "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.bedrock/"; got != want {
			t.Errorf("X-Amzn-ErrorType=%q, want %q", got, want)
		}
		if h.Get("Content-Type") != "application/json" || !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(h.Get("X-Amzn-Requestid")) {
			t.Errorf("headers=%v", h)
		}
		if _, ok := body["message"].(string); !ok || len(body) != 1 {
			t.Errorf("body=%v, want only message", body)
		}
	})
	t.Run("RawSuccessHeaders", func(t *testing.T) {
		code, h, body := rawCall(t, "GET", e.url+"/model-invocation-jobs", "")
		if code != 200 || h.Get("Content-Type") != "application/json" || h.Get("X-Amzn-Requestid") == "" {
			t.Errorf("status=%d headers=%v", code, h)
		}
		if _, ok := body["invocationJobSummaries"]; !ok {
			t.Errorf("body=%v", body)
		}
	})
	t.Run("UnknownOperation", func(t *testing.T) {
		code, h, _ := rawCall(t, "DELETE", e.url+"/model-invocation-job/abcdefghijkl", "")
		if code != 404 || !strings.HasPrefix(h.Get("X-Amzn-ErrorType"), "UnknownOperationException:") {
			t.Errorf("status=%d type=%q", code, h.Get("X-Amzn-ErrorType"))
		}
	})
	t.Run("InjectErrorChecksArguments", func(t *testing.T) {
		if err := e.sim.InjectError("DeleteEverything", bedrocksim.ValidationException, "x"); err == nil {
			t.Error("unknown operation accepted")
		}
		if err := e.sim.InjectError("", "NoSuchException", "x"); err == nil {
			t.Error("unknown error type accepted")
		}
	})
}

func isType(err error, et bedrocksim.ErrorType) bool {
	switch et {
	case bedrocksim.ValidationException:
		var x *types.ValidationException
		return errors.As(err, &x)
	case bedrocksim.ConflictException:
		var x *types.ConflictException
		return errors.As(err, &x)
	case bedrocksim.ServiceQuotaExceededException:
		var x *types.ServiceQuotaExceededException
		return errors.As(err, &x)
	case bedrocksim.AccessDeniedException:
		var x *types.AccessDeniedException
		return errors.As(err, &x)
	case bedrocksim.ResourceNotFoundException:
		var x *types.ResourceNotFoundException
		return errors.As(err, &x)
	case bedrocksim.ThrottlingException:
		var x *types.ThrottlingException
		return errors.As(err, &x)
	case bedrocksim.InternalServerException:
		var x *types.InternalServerException
		return errors.As(err, &x)
	}
	return false
}

type createMod = func(*bedrock.CreateModelInvocationJobInput)

func s3In(uri string) createMod {
	return func(in *bedrock.CreateModelInvocationJobInput) {
		in.InputDataConfig = &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{
			Value: types.ModelInvocationJobS3InputDataConfig{S3Uri: aws.String(uri)},
		}
	}
}

// TestCreate_Validation covers every constraint of CreateModelInvocationJob
// the Go SDK lets through to the server.
func TestCreate_Validation(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{})
	ids := func(n int, id string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%d", id, i)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		mod  createMod
		want string // substring of the message
	}{
		{"ErrJobNameEmpty", func(in *bedrock.CreateModelInvocationJobInput) { in.JobName = aws.String("") },
			"Value '' at 'jobName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"ErrJobNameUnderscore", func(in *bedrock.CreateModelInvocationJobInput) { in.JobName = aws.String("my_job") },
			`Value 'my_job' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}`},
		{"ErrJobNameLeadingDash", func(in *bedrock.CreateModelInvocationJobInput) { in.JobName = aws.String("-job") }, "at 'jobName'"},
		{"ErrJobNameTooLong", func(in *bedrock.CreateModelInvocationJobInput) { in.JobName = aws.String(strings.Repeat("a", 64)) },
			"Member must have length less than or equal to 63"},
		{"ErrRoleARN", func(in *bedrock.CreateModelInvocationJobInput) { in.RoleArn = aws.String("arn:aws:iam::123:role/x") }, "at 'roleArn'"},
		{"ErrRoleARNNotRole", func(in *bedrock.CreateModelInvocationJobInput) {
			in.RoleArn = aws.String("arn:aws:iam::123456789012:user/x")
		}, "at 'roleArn'"},
		{"ErrToken", func(in *bedrock.CreateModelInvocationJobInput) { in.ClientRequestToken = aws.String("abc_def") }, "at 'clientRequestToken'"},
		{"ErrTokenTooLong", func(in *bedrock.CreateModelInvocationJobInput) {
			in.ClientRequestToken = aws.String(strings.Repeat("a", 257))
		},
			"at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"ErrModelIDPattern", func(in *bedrock.CreateModelInvocationJobInput) {
			in.ModelId = aws.String("bedrock/qwen.qwen3-32b-v1:0")
		}, "at 'modelId'"},
		{"ErrModelIDEmpty", func(in *bedrock.CreateModelInvocationJobInput) { in.ModelId = aws.String("") }, "at 'modelId'"},
		{"ErrS3URIUpperBucket", s3In("s3://Bucket/in/"), "at 'inputDataConfig.s3InputDataConfig.s3Uri'"},
		{"ErrS3URIShortBucket", s3In("s3://b/in/"), "at 'inputDataConfig.s3InputDataConfig.s3Uri'"},
		{"ErrS3URISpace", s3In("s3://bucket/in put/"), "at 'inputDataConfig.s3InputDataConfig.s3Uri'"},
		{"ErrS3URIDoubleSlash", s3In("s3://bucket//in"), "at 'inputDataConfig.s3InputDataConfig.s3Uri'"},
		{"ErrS3URIScheme", s3In("https://bucket/in"), "at 'inputDataConfig.s3InputDataConfig.s3Uri'"},
		{"ErrS3URITooLong", s3In("s3://bucket/" + strings.Repeat("a", 1020)), "Member must have length less than or equal to 1024"},
		{"ErrInputFormat", func(in *bedrock.CreateModelInvocationJobInput) {
			in.InputDataConfig = &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{
				Value: types.ModelInvocationJobS3InputDataConfig{S3Uri: aws.String("s3://bucket/in/"), S3InputFormat: "CSV"},
			}
		}, "Value 'CSV' at 'inputDataConfig.s3InputDataConfig.s3InputFormat' failed to satisfy constraint: Member must satisfy enum value set: [JSONL]"},
		{"ErrInputBucketOwner", func(in *bedrock.CreateModelInvocationJobInput) {
			in.InputDataConfig = &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{
				Value: types.ModelInvocationJobS3InputDataConfig{S3Uri: aws.String("s3://bucket/in/"), S3BucketOwner: aws.String("123")},
			}
		}, "at 'inputDataConfig.s3InputDataConfig.s3BucketOwner'"},
		{"ErrOutputURI", func(in *bedrock.CreateModelInvocationJobInput) {
			in.OutputDataConfig = &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{
				Value: types.ModelInvocationJobS3OutputDataConfig{S3Uri: aws.String("s3://bucket/a=b/")},
			}
		}, "at 'outputDataConfig.s3OutputDataConfig.s3Uri'"},
		{"ErrKMSKey", func(in *bedrock.CreateModelInvocationJobInput) {
			in.OutputDataConfig = &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{
				Value: types.ModelInvocationJobS3OutputDataConfig{S3Uri: aws.String("s3://bucket/out/"), S3EncryptionKeyId: aws.String("my key")},
			}
		}, "at 'outputDataConfig.s3OutputDataConfig.s3EncryptionKeyId'"},
		{"ErrOutputBucketOwner", func(in *bedrock.CreateModelInvocationJobInput) {
			in.OutputDataConfig = &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{
				Value: types.ModelInvocationJobS3OutputDataConfig{S3Uri: aws.String("s3://bucket/out/"), S3BucketOwner: aws.String("abc")},
			}
		}, "at 'outputDataConfig.s3OutputDataConfig.s3BucketOwner'"},
		{"ErrTimeoutLow", func(in *bedrock.CreateModelInvocationJobInput) { in.TimeoutDurationInHours = aws.Int32(23) },
			"1 validation error detected: Value '23' at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value greater than or equal to 24"},
		{"ErrTimeoutHigh", func(in *bedrock.CreateModelInvocationJobInput) { in.TimeoutDurationInHours = aws.Int32(169) },
			"Value '169' at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value less than or equal to 168"},
		{"ErrSubnetsEmpty", func(in *bedrock.CreateModelInvocationJobInput) {
			in.VpcConfig = &types.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{"sg-1"}}
		}, "at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"ErrSubnetsTooMany", func(in *bedrock.CreateModelInvocationJobInput) {
			in.VpcConfig = &types.VpcConfig{SubnetIds: ids(17, "subnet"), SecurityGroupIds: []string{"sg-1"}}
		}, "at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must have length less than or equal to 16"},
		{"ErrSecurityGroupsTooMany", func(in *bedrock.CreateModelInvocationJobInput) {
			in.VpcConfig = &types.VpcConfig{SubnetIds: []string{"subnet-1"}, SecurityGroupIds: ids(6, "sg")}
		}, "at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must have length less than or equal to 5"},
		{"ErrSubnetID", func(in *bedrock.CreateModelInvocationJobInput) {
			in.VpcConfig = &types.VpcConfig{SubnetIds: []string{"subnet_1"}, SecurityGroupIds: []string{"sg-1"}}
		}, "at 'vpcConfig.subnetIds.1.member'"},
		{"ErrSecurityGroupIDLong", func(in *bedrock.CreateModelInvocationJobInput) {
			in.VpcConfig = &types.VpcConfig{SubnetIds: []string{"subnet-1"}, SecurityGroupIds: []string{strings.Repeat("s", 33)}}
		}, "at 'vpcConfig.securityGroupIds.1.member' failed to satisfy constraint: Member must have length less than or equal to 32"},
		{"ErrTagsTooMany", func(in *bedrock.CreateModelInvocationJobInput) {
			for i := range 201 {
				in.Tags = append(in.Tags, types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
			}
		}, "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200"},
		{"ErrTagKeyEmpty", func(in *bedrock.CreateModelInvocationJobInput) {
			in.Tags = []types.Tag{{Key: aws.String(""), Value: aws.String("v")}}
		}, "at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"ErrTagKeyPattern", func(in *bedrock.CreateModelInvocationJobInput) {
			in.Tags = []types.Tag{{Key: aws.String("ok"), Value: aws.String("v")}, {Key: aws.String("bad!"), Value: aws.String("v")}}
		}, "at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"ErrTagValueLong", func(in *bedrock.CreateModelInvocationJobInput) {
			in.Tags = []types.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}
		}, "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"ErrInvocationType", func(in *bedrock.CreateModelInvocationJobInput) { in.ModelInvocationType = "Batch" },
			"Value 'Batch' at 'modelInvocationType' failed to satisfy constraint: Member must satisfy enum value set: [InvokeModel, Converse]"},
		{"ErrTwo", func(in *bedrock.CreateModelInvocationJobInput) {
			in.JobName = aws.String("a_b")
			in.TimeoutDurationInHours = aws.Int32(1)
		}, "2 validation errors detected: Value 'a_b' at 'jobName'"},
		{"ErrUnknownModel", func(in *bedrock.CreateModelInvocationJobInput) { in.ModelId = aws.String("acme.unknown-model-v1:0") },
			"The provided model identifier is invalid."},
		{"ErrConverseEmbedding", func(in *bedrock.CreateModelInvocationJobInput) {
			in.ModelId = aws.String("amazon.titan-embed-text-v2:0")
			in.ModelInvocationType = types.ModelInvocationTypeConverse
		}, "doesn't support the Converse API"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.bedrock.CreateModelInvocationJob(context.Background(), e.input(tc.mod))
			var ve *types.ValidationException
			if !errors.As(err, &ve) {
				t.Fatalf("err=%v, want ValidationException", err)
			}
			if !strings.Contains(ve.ErrorMessage(), tc.want) {
				t.Errorf("message=%q\nwant it to contain %q", ve.ErrorMessage(), tc.want)
			}
		})
	}

	// What the Go SDK checks itself (required members, unions) or cannot
	// send (wrong JSON types) goes over raw HTTP.
	valid := map[string]any{
		"jobName": "raw", "roleArn": testRole, "modelId": claudeID,
		"inputDataConfig":  map[string]any{"s3InputDataConfig": map[string]any{"s3Uri": "s3://bucket/in/"}},
		"outputDataConfig": map[string]any{"s3OutputDataConfig": map[string]any{"s3Uri": "s3://bucket/out/"}},
	}
	for _, tc := range []struct {
		name     string
		key      string
		value    any // nil deletes key
		wantType string
		want     string
	}{
		{"ErrNoJobName", "jobName", nil, "ValidationException", "1 validation error detected: Value null at 'jobName' failed to satisfy constraint: Member must not be null"},
		{"ErrNoRoleARN", "roleArn", nil, "ValidationException", "Value null at 'roleArn'"},
		{"ErrNoModelID", "modelId", nil, "ValidationException", "Value null at 'modelId'"},
		{"ErrNoInput", "inputDataConfig", nil, "ValidationException", "Value null at 'inputDataConfig'"},
		{"ErrNoOutput", "outputDataConfig", nil, "ValidationException", "Value null at 'outputDataConfig'"},
		{"ErrEmptyInputUnion", "inputDataConfig", map[string]any{}, "ValidationException", "Value null at 'inputDataConfig.s3InputDataConfig'"},
		{"ErrNoInputURI", "inputDataConfig", map[string]any{"s3InputDataConfig": map[string]any{}}, "ValidationException", "Value null at 'inputDataConfig.s3InputDataConfig.s3Uri'"},
		{"ErrNoOutputURI", "outputDataConfig", map[string]any{"s3OutputDataConfig": map[string]any{}}, "ValidationException", "Value null at 'outputDataConfig.s3OutputDataConfig.s3Uri'"},
		{"ErrVPCNoSubnets", "vpcConfig", map[string]any{"securityGroupIds": []string{"sg-1"}}, "ValidationException", "Value null at 'vpcConfig.subnetIds'"},
		{"ErrTagNoValue", "tags", []any{map[string]any{"key": "k"}}, "ValidationException", "Value null at 'tags.1.member.value'"},
		{"ErrTimeoutType", "timeoutDurationInHours", "24", "SerializationException", ""},
		{"ErrTimeoutFraction", "timeoutDurationInHours", 24.5, "SerializationException", ""},
	} {
		t.Run("Raw/"+tc.name, func(t *testing.T) {
			body := map[string]any{}
			for k, v := range valid {
				body[k] = v
			}
			if tc.value == nil {
				delete(body, tc.key)
			} else {
				body[tc.key] = tc.value
			}
			b, _ := json.Marshal(body)
			code, h, resp := rawCall(t, "POST", e.url+"/model-invocation-job", string(b))
			if code != 400 || !strings.HasPrefix(h.Get("X-Amzn-ErrorType"), tc.wantType+":") {
				t.Fatalf("status=%d type=%q body=%v", code, h.Get("X-Amzn-ErrorType"), resp)
			}
			if msg, _ := resp["message"].(string); !strings.Contains(msg, tc.want) {
				t.Errorf("message=%q, want it to contain %q", msg, tc.want)
			}
		})
	}
	t.Run("Raw/ErrNotJSON", func(t *testing.T) {
		code, h, _ := rawCall(t, "POST", e.url+"/model-invocation-job", "{not json")
		if code != 400 || !strings.HasPrefix(h.Get("X-Amzn-ErrorType"), "SerializationException:") {
			t.Errorf("status=%d type=%q", code, h.Get("X-Amzn-ErrorType"))
		}
	})
}

func TestCreate_AccessDeniedCrossAccountRole(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{})
	_, err := e.bedrock.CreateModelInvocationJob(context.Background(), e.input(func(in *bedrock.CreateModelInvocationJobInput) {
		in.RoleArn = aws.String("arn:aws:iam::999999999999:role/Other")
	}))
	var ad *types.AccessDeniedException
	if !errors.As(err, &ad) || !strings.Contains(ad.ErrorMessage(), "iam:PassRole") {
		t.Fatalf("err=%v, want AccessDeniedException about iam:PassRole", err)
	}
}

func TestCreate_DuplicateName(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{Faults: bedrocksim.Faults{HoldScheduled: true}})
	e.create(t, func(in *bedrock.CreateModelInvocationJobInput) { in.JobName = aws.String("same") })
	_, err := e.bedrock.CreateModelInvocationJob(context.Background(), e.input(func(in *bedrock.CreateModelInvocationJobInput) {
		in.JobName = aws.String("same")
	}))
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "job name is currently in use") {
		t.Fatalf("err=%v, want ValidationException about the name", err)
	}
}

func TestCreate_Idempotent(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{Faults: bedrocksim.Faults{HoldScheduled: true}})
	first := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) { in.ClientRequestToken = aws.String("tok-1") })
	// Same token, even with other parameters: the original job, no second one (spec §1.7).
	again := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) { in.ClientRequestToken = aws.String("tok-1") })
	if again != first {
		t.Errorf("second create=%s, want %s", again, first)
	}
	other := e.create(t, func(in *bedrock.CreateModelInvocationJobInput) { in.ClientRequestToken = aws.String("tok-2") })
	if other == first {
		t.Error("a new token returned the old job")
	}
	list, err := e.bedrock.ListModelInvocationJobs(context.Background(), &bedrock.ListModelInvocationJobsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.InvocationJobSummaries); n != 2 {
		t.Errorf("jobs=%d, want 2", n)
	}

	t.Run("SDKRetry", func(t *testing.T) {
		// The SDK reuses its generated token across retries, so a throttled
		// create retried by the SDK makes one job.
		client := bedrockClient(e.url, 3)
		if err := e.sim.InjectError(bedrocksim.OpCreateModelInvocationJob, bedrocksim.ThrottlingException, "slow down"); err != nil {
			t.Fatal(err)
		}
		out, err := client.CreateModelInvocationJob(context.Background(), e.input())
		if err != nil {
			t.Fatalf("create with retries: %v", err)
		}
		if got := e.getJob(t, aws.ToString(out.JobArn)); aws.ToString(got.ClientRequestToken) == "" {
			t.Error("the SDK token was not recorded")
		}
	})
}

func TestCreate_ConcurrentJobQuota(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, MaxConcurrentJobsPerModel: 2, Faults: bedrocksim.Faults{HoldScheduled: true}})
	e.putRecords(t, "in/x.jsonl", 1, claudeRecord)
	first := e.create(t)
	e.create(t, func(in *bedrock.CreateModelInvocationJobInput) {
		in.ModelId = aws.String("arn:aws:bedrock:us-east-1::foundation-model/" + claudeID)
	})
	for _, id := range []string{claudeID, "us." + claudeID} {
		_, err := e.bedrock.CreateModelInvocationJob(context.Background(), e.input(func(in *bedrock.CreateModelInvocationJobInput) { in.ModelId = aws.String(id) }))
		var qe *types.ServiceQuotaExceededException
		if !errors.As(err, &qe) || !strings.Contains(qe.ErrorMessage(), "quota of 2") {
			t.Fatalf("%s: err=%v, want ServiceQuotaExceededException", id, err)
		}
	}
	e.create(t, func(in *bedrock.CreateModelInvocationJobInput) { in.ModelId = aws.String("amazon.nova-lite-v1:0") })
	// A stopped job no longer counts.
	if _, err := e.bedrock.StopModelInvocationJob(context.Background(), &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String(first)}); err != nil {
		t.Fatal(err)
	}
	e.wait(t, first, types.ModelInvocationJobStatusStopped)
	e.create(t)
}

func TestGet(t *testing.T) {
	e := newEnv(t, bedrocksim.Config{Faults: bedrocksim.Faults{HoldScheduled: true}})
	arn := e.create(t)
	for _, ident := range []string{arn, jobID(arn)} {
		if got := e.getJob(t, ident); aws.ToString(got.JobArn) != arn {
			t.Errorf("get %s: jobArn=%s", ident, aws.ToString(got.JobArn))
		}
	}
	// The ARN arrives percent-encoded as one path segment (spec §1.3).
	code, _, body := rawCall(t, "GET", e.url+"/model-invocation-job/"+url.QueryEscape(arn), "")
	if code != 200 || body["jobArn"] != arn {
		t.Errorf("escaped ARN: status=%d body=%v", code, body)
	}
	for _, tc := range []struct {
		ident string
		want  bedrocksim.ErrorType
	}{
		{"abcdefghijkl", bedrocksim.ResourceNotFoundException},
		{strings.Replace(arn, "123456789012", "210987654321", 1), bedrocksim.ResourceNotFoundException},
		{strings.Replace(arn, "us-east-1", "eu-west-1", 1), bedrocksim.ResourceNotFoundException},
		{"ABCD1234EFGH", bedrocksim.ValidationException},
		{"abc1234567", bedrocksim.ValidationException},
		{"arn:aws:bedrock:us-east-1:123456789012:model-customization-job/abcdefghijkl", bedrocksim.ValidationException},
	} {
		_, err := e.bedrock.GetModelInvocationJob(context.Background(), &bedrock.GetModelInvocationJobInput{JobIdentifier: aws.String(tc.ident)})
		if !isType(err, tc.want) {
			t.Errorf("get %s: err=%v, want %s", tc.ident, err, tc.want)
		}
	}
}

func TestList(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, bedrocksim.Config{MinRecordsPerJob: 1, Now: c.Now, Faults: bedrocksim.Faults{HoldScheduled: true}})
	ctx := context.Background()
	names := []string{"alpha-0", "alpha-1", "beta-2", "beta-3", "gamma-4"}
	var arns []string
	for _, n := range names {
		arns = append(arns, e.create(t, func(in *bedrock.CreateModelInvocationJobInput) { in.JobName = aws.String(n) }))
		c.Add(time.Second)
	}
	if _, err := e.bedrock.StopModelInvocationJob(ctx, &bedrock.StopModelInvocationJobInput{JobIdentifier: aws.String(arns[3])}); err != nil {
		t.Fatal(err)
	}
	e.wait(t, arns[3], types.ModelInvocationJobStatusStopped)

	list := func(in *bedrock.ListModelInvocationJobsInput) []string {
		t.Helper()
		var got []string
		p := bedrock.NewListModelInvocationJobsPaginator(e.bedrock, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if in.MaxResults != nil && len(page.InvocationJobSummaries) > int(*in.MaxResults) {
				t.Fatalf("page of %d, maxResults %d", len(page.InvocationJobSummaries), *in.MaxResults)
			}
			for _, s := range page.InvocationJobSummaries {
				got = append(got, aws.ToString(s.JobName))
			}
		}
		return got
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		in   *bedrock.ListModelInvocationJobsInput
		want string
	}{
		{"DefaultNewestFirst", &bedrock.ListModelInvocationJobsInput{}, "gamma-4 beta-3 beta-2 alpha-1 alpha-0"},
		{"Ascending", &bedrock.ListModelInvocationJobsInput{SortBy: types.SortJobsByCreationTime, SortOrder: types.SortOrderAscending}, "alpha-0 alpha-1 beta-2 beta-3 gamma-4"},
		{"Paginated", &bedrock.ListModelInvocationJobsInput{MaxResults: aws.Int32(2)}, "gamma-4 beta-3 beta-2 alpha-1 alpha-0"},
		{"PaginatedAscending", &bedrock.ListModelInvocationJobsInput{MaxResults: aws.Int32(1), SortOrder: types.SortOrderAscending}, "alpha-0 alpha-1 beta-2 beta-3 gamma-4"},
		{"NameContains", &bedrock.ListModelInvocationJobsInput{NameContains: aws.String("ALPHA")}, "alpha-1 alpha-0"},
		{"StatusEquals", &bedrock.ListModelInvocationJobsInput{StatusEquals: types.ModelInvocationJobStatusStopped}, "beta-3"},
		{"SubmitTimeAfter", &bedrock.ListModelInvocationJobsInput{SubmitTimeAfter: aws.Time(t0.Add(2500 * time.Millisecond))}, "gamma-4 beta-3"},
		{"SubmitTimeBefore", &bedrock.ListModelInvocationJobsInput{SubmitTimeBefore: aws.Time(t0.Add(1500 * time.Millisecond))}, "alpha-1 alpha-0"},
		{"Window", &bedrock.ListModelInvocationJobsInput{SubmitTimeAfter: aws.Time(t0.Add(500 * time.Millisecond)), SubmitTimeBefore: aws.Time(t0.Add(3500 * time.Millisecond)), MaxResults: aws.Int32(1)}, "beta-3 beta-2 alpha-1"},
		{"None", &bedrock.ListModelInvocationJobsInput{NameContains: aws.String("delta")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(list(tc.in), " "); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	t.Run("SummaryFields", func(t *testing.T) {
		out, err := e.bedrock.ListModelInvocationJobs(ctx, &bedrock.ListModelInvocationJobsInput{StatusEquals: types.ModelInvocationJobStatusStopped})
		if err != nil {
			t.Fatal(err)
		}
		s := out.InvocationJobSummaries[0]
		if aws.ToString(s.JobArn) != arns[3] || s.SubmitTime == nil || s.EndTime == nil || s.JobExpirationTime == nil ||
			aws.ToString(s.RoleArn) != testRole || s.InputDataConfig == nil || s.OutputDataConfig == nil || s.Status != types.ModelInvocationJobStatusStopped {
			t.Errorf("summary=%+v", s)
		}
	})
	for _, tc := range []struct {
		name string
		in   *bedrock.ListModelInvocationJobsInput
		want string
	}{
		{"ErrMaxResultsZero", &bedrock.ListModelInvocationJobsInput{MaxResults: aws.Int32(0)}, "at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"ErrMaxResultsHigh", &bedrock.ListModelInvocationJobsInput{MaxResults: aws.Int32(1001)}, "Member must have value less than or equal to 1000"},
		{"ErrSortOrder", &bedrock.ListModelInvocationJobsInput{SortOrder: "Up"}, "Value 'Up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [Ascending, Descending]"},
		{"ErrSortBy", &bedrock.ListModelInvocationJobsInput{SortBy: "Name"}, "at 'sortBy'"},
		{"ErrStatus", &bedrock.ListModelInvocationJobsInput{StatusEquals: "Done"}, "at 'statusEquals'"},
		{"ErrNameContains", &bedrock.ListModelInvocationJobsInput{NameContains: aws.String("a_b")}, "at 'nameContains'"},
		{"ErrNextToken", &bedrock.ListModelInvocationJobsInput{NextToken: aws.String("not-a-token")}, "at 'nextToken'"},
		{"ErrNextTokenSpace", &bedrock.ListModelInvocationJobsInput{NextToken: aws.String("a b")}, "at 'nextToken'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.bedrock.ListModelInvocationJobs(ctx, tc.in)
			var ve *types.ValidationException
			if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), tc.want) {
				t.Fatalf("err=%v, want ValidationException containing %q", err, tc.want)
			}
		})
	}
	t.Run("ErrRawTimestamp", func(t *testing.T) {
		code, h, _ := rawCall(t, "GET", e.url+"/model-invocation-jobs?submitTimeAfter=yesterday", "")
		if code != 400 || !strings.HasPrefix(h.Get("X-Amzn-ErrorType"), "ValidationException:") {
			t.Errorf("status=%d type=%q", code, h.Get("X-Amzn-ErrorType"))
		}
	})
}
