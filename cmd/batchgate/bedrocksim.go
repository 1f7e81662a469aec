package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/bedrocksim"
)

// runBedrockSim runs the Bedrock batch emulator standalone until ctx ends.
// It reaches S3 through the standard AWS SDK configuration
// (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_REGION).
func runBedrockSim(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bedrock-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, stderr, "batchgate bedrock-sim [--addr 127.0.0.1:4001] [--step-delay 1s] [--min-records 100] [--flag VALUE ...]",
		"run the Bedrock batch emulator standalone (its S3 through the AWS SDK's settings)", awsEnv)
	region := bedrocksim.DefaultRegion
	if r := getenv("AWS_REGION"); r != "" {
		region = r
	}
	var cfg bedrocksim.Config
	addr := fs.String("addr", "127.0.0.1:4001", "listen address `HOST:PORT`")
	fs.DurationVar(&cfg.StepDelay, "step-delay", time.Second, "time a job spends in each state")
	fs.StringVar(&cfg.Region, "region", region, "region in job ARNs (default: $AWS_REGION, else us-east-1)")
	fs.StringVar(&cfg.AccountID, "account-id", bedrocksim.DefaultAccountID, "account id in job ARNs")
	fs.IntVar(&cfg.MinRecordsPerJob, "min-records", bedrocksim.DefaultMinRecordsPerJob, "minimum records per job; negative disables the check")
	fs.IntVar(&cfg.MaxRecordsPerFile, "max-records-per-file", bedrocksim.DefaultMaxRecordsPerFile, "maximum records per input file")
	fs.IntVar(&cfg.MaxRecordsPerJob, "max-records-per-job", bedrocksim.DefaultMaxRecordsPerJob, "maximum records per job")
	fs.Int64Var(&cfg.MaxFileBytes, "max-file-bytes", bedrocksim.DefaultMaxFileBytes, "maximum size of an input file")
	fs.Int64Var(&cfg.MaxJobBytes, "max-job-bytes", bedrocksim.DefaultMaxJobBytes, "maximum size of a job's input")
	fs.IntVar(&cfg.MaxConcurrentJobsPerModel, "max-concurrent-jobs", bedrocksim.DefaultMaxConcurrentJobsPerModel, "maximum submitted and in-progress jobs per model")
	fs.Float64Var(&cfg.Faults.ThrottleFraction, "throttle-fraction", 0, "fraction of API calls answered ThrottlingException")
	fs.Float64Var(&cfg.Faults.ServerErrorFraction, "server-error-fraction", 0, "fraction of API calls answered InternalServerException")
	fs.StringVar(&cfg.Faults.ForceFail, "force-fail", "", "end every job Failed with this message")
	fs.Float64Var(&cfg.Faults.PartialFraction, "partial-fraction", 0, "fraction of each job's records left unprocessed (job ends PartiallyCompleted)")
	fs.BoolVar(&cfg.Faults.HoldScheduled, "hold-scheduled", false, "keep jobs Scheduled until stopped or expired")
	fs.BoolVar(&cfg.Faults.OmitManifest, "omit-manifest", false, "write no manifest.json.out when a job ends")
	fs.IntVar(&cfg.Faults.LoseCreateResponses, "lose-create-responses", 0, "the first N creates make the job, then answer 500 (a lost response)")
	fs.BoolVar(&cfg.NameBeforeToken, "name-before-token", false, "refuse a job name in use before looking at clientRequestToken (a retried create is then refused)")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed for job ids and injected faults (0: random)")
	fs.Uint64Var(&cfg.OutputOrderSeed, "output-order-seed", 0, "seed of the shuffled output line order for every job (0: seeded by each job's id)")
	fs.Func("model-arn", "`ARN=MODEL_ID`: run jobs on this application inference profile or custom model ARN as MODEL_ID (repeatable)", func(v string) error {
		arn, id, ok := strings.Cut(v, "=")
		if !ok || !strings.HasPrefix(arn, "arn:") || id == "" {
			return fmt.Errorf("want ARN=MODEL_ID, got %q", v)
		}
		if cfg.ModelARNs == nil {
			cfg.ModelARNs = map[string]string{}
		}
		cfg.ModelARNs[arn] = id
		return nil
	})
	s3Endpoint := fs.String("s3-endpoint", "", "S3 endpoint URL (default: the AWS SDK configuration, e.g. $AWS_ENDPOINT_URL_S3)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bedrock-sim: unexpected arguments %q", fs.Args())
	}
	for _, f := range []float64{cfg.Faults.ThrottleFraction, cfg.Faults.ServerErrorFraction, cfg.Faults.PartialFraction} {
		if f < 0 || f > 1 {
			return fmt.Errorf("bedrock-sim: fractions must be between 0 and 1, got %v", f)
		}
	}

	client, err := bedrocksim.NewS3ClientFromEnv(ctx)
	if err != nil {
		return fmt.Errorf("bedrock-sim: %w", err)
	}
	if *s3Endpoint != "" {
		client = s3.New(client.Options(), func(o *s3.Options) {
			o.BaseEndpoint = aws.String(*s3Endpoint)
			o.UsePathStyle = true
		})
	}
	cfg.S3 = client
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	sim := bedrocksim.New(cfg)
	defer sim.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("bedrock-sim: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "bedrock-sim listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("bedrock-sim: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("bedrock-sim: shutdown: %w", err)
	}
	return nil
}
