// Command reconbench measures the reconciler at scale: it creates -jobs
// Bedrock batch jobs in an emulator (`batchgate bedrock-sim`, run with
// --min-records -1 and a --max-concurrent-jobs above -jobs), records one
// running batch per job in a SQLite store, waits for the jobs to finish, then
// starts the gateway's reconciler and times how long it takes to observe and
// settle every completion. The gateway runs in this process, the emulator in
// its own, so the CPU figure is the gateway's alone. It prints:
//
//	jobs seconds bedrock_calls calls_per_s cpu_s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsbedrock "github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/s3store"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// profile is the -cpuprofile file; latency the -latency delay.
var (
	profile string
	latency time.Duration
)

const modelID = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"

// counter counts the HTTP requests the Bedrock client makes, each delayed
// by latency once the reconciliation starts (the round trip to a Bedrock
// endpoint, which the emulator on the same machine does not have).
type counter struct {
	n       atomic.Int64
	latency atomic.Int64 // time.Duration
	next    http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	time.Sleep(time.Duration(c.latency.Load()))
	return c.next.RoundTrip(r)
}

func main() {
	jobs := flag.Int("jobs", 10_000, "jobs to create")
	s3URL := flag.String("s3", "", "S3 endpoint")
	bedrockURL := flag.String("bedrock", "", "emulator endpoint")
	bucket := flag.String("bucket", "bench", "bucket")
	wait := flag.Duration("wait", 3*time.Second, "time for the emulator to finish the jobs after the last is created")
	interval := flag.Duration("interval", time.Second, "reconcile interval")
	workers := flag.Int("workers", 0, "batches a reconciliation pass works at once (0: the gateway's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the reconciliation to this file")
	flag.DurationVar(&latency, "latency", 0, "added to each Bedrock call of the reconciler, as the network round trip to a real endpoint")
	flag.Parse()
	profile = *cpuprofile
	if err := run(*jobs, *s3URL, *bedrockURL, *bucket, *wait, *interval, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "reconbench:", err)
		os.Exit(1)
	}
}

func run(n int, s3URL, bedrockURL, bucket string, wait, interval time.Duration, workers int) error {
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3URL), UsePathStyle: true, Credentials: creds,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired, ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired})
	calls := &counter{next: &http.Transport{MaxIdleConnsPerHost: 64}}
	br := awsbedrock.New(awsbedrock.Options{Region: "us-east-1", BaseEndpoint: aws.String(bedrockURL), Credentials: creds,
		HTTPClient: &http.Client{Transport: calls}})
	runner := &bedrock.Runner{Client: br}
	objects := s3store.New(s3c)

	dir, err := os.MkdirTemp("", "reconbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, dir+"/batchgate.db")
	if err != nil {
		return err
	}
	defer store.Close()

	// One small input file shared by every job.
	rec := `{"recordId":"r1","modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}}` + "\n"
	inKey := "batchgate/input/reconbench.jsonl"
	if _, err := objects.Put(ctx, bucket, inKey, strings.NewReader(rec), ""); err != nil {
		return err
	}
	m := config.Model{ModelName: "bedrock-batch-claude", LiteLLMParams: config.LiteLLMParams{
		Model: "bedrock/" + modelID, S3BucketName: bucket, AWSBatchRoleARN: "arn:aws:iam::123456789012:role/bench",
	}}
	dep := deploy.FromConfig(m, "us-east-1", objects, runner)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := gateway.New(store, []*gateway.Deployment{dep}, log)
	g.ReconcileWorkers = workers

	t0 := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				id := gateway.NewID("batch_")
				now := time.Now().UTC()
				b := &batchgate.Batch{
					ID: id, Endpoint: "/v1/chat/completions", InputFileID: "file-reconbench", CompletionWindow: "24h",
					Owner: batchgate.Owner{KeyID: "bench"}, Model: m.ModelName, ModelID: modelID,
					Status: batchgate.StatusInProgress, ClientToken: strings.ReplaceAll(id, "_", ""), JobName: strings.ReplaceAll(id, "_", "-"),
					OutputPrefix: "s3://" + bucket + "/batchgate/output/", CreatedAt: now, UpdatedAt: now,
				}
				arn, err := runner.Create(ctx, bedrock.JobSpec{Name: b.JobName, ClientToken: b.ClientToken, RoleARN: m.LiteLLMParams.AWSBatchRoleARN,
					ModelID: modelID, InputURI: "s3://" + bucket + "/" + inKey, OutputURI: b.OutputPrefix, TimeoutHours: 24})
				if err == nil {
					b.JobARN, b.JobStatus = arn, "Submitted"
					err = store.CreateBatch(ctx, b)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "created %d jobs in %s\n", n, time.Since(t0).Round(time.Millisecond))
	time.Sleep(wait)

	calls.n.Store(0)
	calls.latency.Store(int64(latency))
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := cpuTime()
	start := time.Now()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go g.RunReconciler(rctx, interval)
	for {
		left, err := store.FindBatches(ctx, batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, NonTerminal: true, Page: batchgate.Page{Limit: 1}})
		if err != nil {
			return err
		}
		if len(left) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	secs := time.Since(start).Seconds()
	cancel()
	cpu := cpuTime() - cpu0
	done, err := store.FindBatches(ctx, batchgate.BatchFilter{Scope: batchgate.Scope{All: true}, Page: batchgate.Page{Limit: 1}})
	if err != nil || len(done) == 0 || done[0].Status != batchgate.StatusCompleted || done[0].OutputFileID == "" {
		return fmt.Errorf("batches did not complete with output: %v %+v", err, done)
	}
	c := calls.n.Load()
	fmt.Printf("%d\t%.1f\t%d\t%.0f\t%.1f\n", n, secs, c, float64(c)/secs, cpu)
	return nil
}

func cpuTime() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
