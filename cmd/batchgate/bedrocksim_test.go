package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
)

// TestBedrockSim_ModelARNFlag: bedrock-sim --model-arn lets jobs name an
// application inference profile ARN; without it the ARN is not found.
func TestBedrockSim_ModelARNFlag(t *testing.T) {
	const appProfile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/flag12345678"
	client := startBedrockSim(t, "--model-arn", appProfile+"=anthropic.claude-3-haiku-20240307-v1:0", "--output-order-seed", "7")
	create := func(model string) error {
		_, err := createSimJob(client, "flag-"+model[len(model)-12:], "", model)
		return err
	}
	if err := create(appProfile); err != nil {
		t.Errorf("mapped ARN: %v", err)
	}
	var nf *types.ResourceNotFoundException
	if err := create(strings.Replace(appProfile, "flag12345678", "other1234567", 1)); !errors.As(err, &nf) {
		t.Errorf("unmapped ARN: err=%v, want ResourceNotFoundException", err)
	}
}

func TestBedrockSim_ModelARNFlagInvalid(t *testing.T) {
	var stdout, stderr syncBuffer
	err := runBedrockSim(context.Background(), []string{"--model-arn", "anthropic.claude-3-haiku-20240307-v1:0"},
		func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "want ARN=MODEL_ID") {
		t.Errorf("err=%v, want a flag error", err)
	}
}

// TestBedrockSim_NameBeforeTokenFlag: with --name-before-token, the retry of a
// create (same name, same clientRequestToken) is refused as a name in use;
// without it, it answers the job it created.
func TestBedrockSim_NameBeforeTokenFlag(t *testing.T) {
	const model = "anthropic.claude-3-haiku-20240307-v1:0"
	plain := startBedrockSim(t)
	first, err := createSimJob(plain, "retried", "token-1", model)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := createSimJob(plain, "retried", "token-1", model); err != nil || aws.ToString(again.JobArn) != aws.ToString(first.JobArn) {
		t.Errorf("retry without the flag: %v, %v; want the same job %s", again, err, aws.ToString(first.JobArn))
	}

	strict := startBedrockSim(t, "--name-before-token")
	if _, err := createSimJob(strict, "retried", "token-1", model); err != nil {
		t.Fatal(err)
	}
	var ve *types.ValidationException
	if _, err := createSimJob(strict, "retried", "token-1", model); !errors.As(err, &ve) || !strings.Contains(err.Error(), "in use") {
		t.Errorf("retry with --name-before-token: %v; want ValidationException naming the job name in use", err)
	}
}

// startBedrockSim runs "batchgate bedrock-sim" with args on a free port until
// the test ends and returns a Bedrock client for it.
func startBedrockSim(t *testing.T, args ...string) *bedrock.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	env := map[string]string{"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"}
	go func() {
		done <- runBedrockSim(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bedrock-sim: %v", err)
		}
	})
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if _, after, ok := strings.Cut(stdout.String(), "listening on "); ok {
			url = strings.TrimSpace(after)
		} else if time.Now().After(deadline) {
			t.Fatalf("bedrock-sim did not start: %s", stderr.String())
		}
	}
	return bedrock.New(bedrock.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")})
}

// createSimJob creates a job named name on model; token may be empty.
func createSimJob(client *bedrock.Client, name, token, model string) (*bedrock.CreateModelInvocationJobOutput, error) {
	in := &bedrock.CreateModelInvocationJobInput{
		JobName: aws.String(name), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		ModelId: aws.String(model),
		InputDataConfig: &types.ModelInvocationJobInputDataConfigMemberS3InputDataConfig{
			Value: types.ModelInvocationJobS3InputDataConfig{S3Uri: aws.String("s3://bucket/in/")}},
		OutputDataConfig: &types.ModelInvocationJobOutputDataConfigMemberS3OutputDataConfig{
			Value: types.ModelInvocationJobS3OutputDataConfig{S3Uri: aws.String("s3://bucket/out/")}},
	}
	if token != "" {
		in.ClientRequestToken = aws.String(token)
	}
	return client.CreateModelInvocationJob(context.Background(), in)
}
