// Package local runs batchgate's embedded default: an in-process S3 (gofakes3,
// persisted in the data directory) and the in-process Bedrock batch emulator,
// each on its own loopback listener so that the gateway reaches them through
// the AWS SDK exactly as it reaches AWS. The listeners answer only requests
// signed (SigV4) with credentials generated for the run, so that other local
// users cannot read or delete prompts through them.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/config"
)

// Names used by the local mode.
const (
	Bucket    = "batchgate-local"
	Region    = "us-east-1"
	AccountID = "123456789012"
	RoleARN   = "arn:aws:iam::123456789012:role/batchgate-local"
	ModelName = "bedrock-batch-claude"
	ModelID   = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"
	// CredentialsFile, in the data directory, holds this run's credentials
	// for the local S3 as an AWS shared credentials file with one profile,
	// Profile, for tools outside the process (the CLI's
	// `files content s3://...`). It is written 0600 and removed on Close.
	CredentialsFile = "aws_credentials"
	Profile         = "batchgate-local"
)

// Options configure the local environment.
type Options struct {
	DataDir   string        // S3 objects live in DataDir/s3
	StepDelay time.Duration // the emulator's delay per job state
	// MinRecordsPerJob is the emulator's Bedrock minimum (0: Bedrock's 100);
	// the gateway refuses smaller batches with the same limit.
	MinRecordsPerJob int
	Log              *slog.Logger
	// Models are extra model_list entries after the default one. Only
	// ModelName, LiteLLMParams.Model (and optionally InvocationType,
	// MinRecordsPerJob) and ModelInfo need to be set: the connection fields
	// (bucket, region, credentials, endpoints, role) are filled in to point at
	// the local servers.
	Models []config.Model
	// Faults are the emulator's initial fault-injection settings.
	Faults bedrocksim.Faults
	// SimConfig, when set, adjusts the emulator's configuration (quotas, seed)
	// before it starts.
	SimConfig func(*bedrocksim.Config)
}

// Env is a running local environment.
type Env struct {
	S3URL      string
	BedrockURL string
	Config     *config.Config // the default model, pointing at the local servers

	creds    aws.Credentials // generated per run
	credPath string          // CredentialsFile's path, once written
	servers  []*http.Server
	sim      *bedrocksim.Server
	inflight atomic.Int64 // requests being served
}

// Start starts the in-process S3 and Bedrock emulator.
func Start(ctx context.Context, o Options) (*Env, error) {
	dir := filepath.Join(o.DataDir, "s3")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	fs, err := s3afero.FsPath(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("s3 directory: %w", err)
	}
	backend, err := s3afero.MultiBucket(fs)
	if err != nil {
		return nil, fmt.Errorf("s3 backend: %w", err)
	}
	e := &Env{creds: newCredentials()}
	if err := e.writeCredentials(o.DataDir); err != nil {
		return nil, err
	}
	if e.S3URL, err = e.serve(gofakes3.New(backend, gofakes3.WithAutoBucket(true)).Server(), "s3"); err != nil {
		e.Close()
		return nil, err
	}
	client := e.S3Client()
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(Bucket)}); err != nil {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(Bucket)}); err != nil {
			e.Close()
			return nil, fmt.Errorf("create bucket: %w", err)
		}
	}
	simCfg := bedrocksim.Config{
		Region: Region, AccountID: AccountID, S3: client, StepDelay: o.StepDelay, Logger: o.Log,
		MinRecordsPerJob: o.MinRecordsPerJob, Faults: o.Faults,
	}
	if o.SimConfig != nil {
		o.SimConfig(&simCfg)
	}
	e.sim = bedrocksim.New(simCfg)
	if e.BedrockURL, err = e.serve(e.sim, "bedrock"); err != nil {
		e.Close()
		return nil, err
	}
	accessKey, secretKey := e.creds.AccessKeyID, e.creds.SecretAccessKey
	e.Config = &config.Config{ModelList: []config.Model{{
		ModelName: ModelName,
		LiteLLMParams: config.LiteLLMParams{
			Model: "bedrock/" + ModelID, S3BucketName: Bucket, S3RegionName: Region,
			S3AccessKeyID: accessKey, S3SecretAccessKey: secretKey, S3EndpointURL: e.S3URL,
			AWSAccessKeyID: accessKey, AWSSecretAccessKey: secretKey, AWSRegionName: Region,
			AWSBatchRoleARN: RoleARN, BedrockEndpointURL: e.BedrockURL,
		},
		// A first try accepts any size: a batch below the minimum runs
		// on demand (the emulator serves the runtime API too).
		ModelInfo: config.ModelInfo{Mode: "batch", BatchBelowMinimum: config.BelowMinimumOnDemand},
	}}}
	if o.MinRecordsPerJob > 0 {
		e.Config.ModelList[0].LiteLLMParams.MinRecordsPerJob = &o.MinRecordsPerJob
	}
	for _, m := range o.Models {
		p := &m.LiteLLMParams
		*p = config.LiteLLMParams{
			Model: p.Model, InvocationType: p.InvocationType, MinRecordsPerJob: p.MinRecordsPerJob,
			S3BucketName: Bucket, S3RegionName: Region,
			S3AccessKeyID: accessKey, S3SecretAccessKey: secretKey, S3EndpointURL: e.S3URL,
			AWSAccessKeyID: accessKey, AWSSecretAccessKey: secretKey, AWSRegionName: Region,
			AWSBatchRoleARN: RoleARN, BedrockEndpointURL: e.BedrockURL,
		}
		if p.MinRecordsPerJob == nil && o.MinRecordsPerJob > 0 {
			p.MinRecordsPerJob = &o.MinRecordsPerJob
		}
		if m.ModelInfo.Mode == "" {
			m.ModelInfo.Mode = "batch"
		}
		e.Config.ModelList = append(e.Config.ModelList, m)
	}
	return e, nil
}

// Sim returns the in-process Bedrock emulator, e.g. to change its faults.
func (e *Env) Sim() *bedrocksim.Server { return e.sim }

// Credentials returns the credentials the local servers accept (this run's).
func (e *Env) Credentials() aws.Credentials { return e.creds }

// S3Client returns a client for the local S3.
func (e *Env) S3Client() *s3.Client {
	return s3.New(s3.Options{
		Region: Region, BaseEndpoint: aws.String(e.S3URL), UsePathStyle: true,
		Credentials: credentials.StaticCredentialsProvider{Value: e.creds},
	})
}

// writeCredentials writes CredentialsFile into dir, readable by its owner
// only (a file left by an earlier run, with whatever mode, is replaced).
func (e *Env) writeCredentials(dir string) error {
	path := filepath.Join(dir, CredentialsFile)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("local credentials: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("local credentials: %w", err)
	}
	_, err = fmt.Fprintf(f, "# batchgate's local S3, this run only (AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=%s)\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		path, Profile, Profile, e.creds.AccessKeyID, e.creds.SecretAccessKey)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("local credentials: %w", err)
	}
	e.credPath = path
	return nil
}

// serve serves h on a loopback port, to requests signed for service.
func (e *Env) serve(h http.Handler, service string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	// Requests are counted, so that Close can wait for those in flight: a
	// client that gave up (a cancelled context) leaves its handler writing
	// into the data directory after the connection is gone.
	h = requireSigV4(h, e.creds, service)
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.inflight.Add(1)
		defer e.inflight.Add(-1)
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: counted, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("local server", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the emulator and the servers, and waits (up to 10 s) for the
// requests they were serving to end, so that nothing writes into the data
// directory once it returns.
func (e *Env) Close() {
	if e.sim != nil {
		e.sim.Close()
	}
	for _, s := range e.servers {
		_ = s.Close()
	}
	if e.credPath != "" {
		_ = os.Remove(e.credPath)
	}
	// (A counter polled, not a WaitGroup: a request may still start while
	// the servers close.)
	for deadline := time.Now().Add(10 * time.Second); e.inflight.Load() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			slog.Warn("local servers: requests still running after 10 s")
			return
		}
	}
}
