package httpapi_test

import (
	"github.com/batchgate/batchgate"
	"io"

	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/metrics"
)

// groupEnv is a gateway whose model is a group of two deployments: east
// (the embedded emulator, us-east-1, bucket batchgate-local) and west (a
// second emulator, us-west-2, bucket batchgate-west), on one S3 as AWS's
// regions share one S3 service.
type groupEnv struct {
	*env
	east, west *bedrocksim.Server
	s3         *s3.Client // both deployments' S3
}

// startGroupEnv starts the group; westFirst lists west first in
// model_list; maxJobs is each deployment's batch_max_concurrent_jobs.
// edit, if given, changes both deployments' model_list entries.
func startGroupEnv(t *testing.T, db string, westFirst bool, maxJobs int, edit ...func(*config.Model)) *groupEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	le, err := local.Start(ctx, local.Options{DataDir: dir, StepDelay: 10 * time.Millisecond, MinRecordsPerJob: 1, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	s3c := le.S3Client()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("batchgate-west")}); err != nil {
		t.Fatal(err)
	}
	west := bedrocksim.New(bedrocksim.Config{Region: "us-west-2", AccountID: local.AccountID, S3: s3c, StepDelay: 10 * time.Millisecond, MinRecordsPerJob: 1, Logger: log})
	westSrv := httptest.NewServer(west)
	t.Cleanup(westSrv.Close)
	t.Cleanup(func() { west.Close() })

	east := le.Config.ModelList[0]
	east.ModelInfo.BatchMaxConcurrentJobs = &maxJobs
	for _, e := range edit {
		e(&east)
	}
	w := east
	// West keeps batchgate's objects under a prefix of its bucket.
	w.LiteLLMParams.AWSRegionName, w.LiteLLMParams.BedrockEndpointURL, w.LiteLLMParams.S3BucketName = "us-west-2", westSrv.URL, "batchgate-west"
	w.LiteLLMParams.S3KeyPrefix = "west/" // as s3_bucket_name: batchgate-west/west gives
	models := []config.Model{east, w}
	if westFirst {
		models = []config.Model{w, east}
	}
	store := openStore(t, dir, db)
	deps, _, err := deploy.All(ctx, models)
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(store, deps, log)
	gw.Retry = gateway.RetryPolicy{Base: time.Hour, Max: time.Hour} // a deployment set aside stays aside in the test
	gw.StaleUploadAge = time.Millisecond                            // DeleteOrphanObjects sees every object as old
	runReconciler(t, gw, 20*time.Millisecond)
	m := metrics.New()
	m.WatchDeployments(func(ctx context.Context) ([]metrics.DeploymentSlots, error) {
		sts, err := gw.AllDeploymentStatuses(ctx)
		var out []metrics.DeploymentSlots
		for _, s := range sts {
			out = append(out, metrics.DeploymentSlots{Model: s.Model, ID: s.ID, Region: s.Region, Running: s.JobsRunning, Max: s.MaxConcurrentJobs, Aside: s.AsideUntil != nil})
		}
		return out, err
	}, log)
	srv := httptest.NewServer((&httpapi.Server{Gateway: gw, MasterKey: master, Log: log, Version: "test", MaxUploadBytes: 1 << 20, Metrics: m.Handler()}).Handler())
	t.Cleanup(srv.Close)
	return &groupEnv{env: &env{t: t, url: srv.URL, gw: gw, dir: dir}, east: le.Sim(), west: west, s3: s3c}
}

type groupDeployment struct {
	ID                string  `json:"id"`
	Region            string  `json:"region"`
	JobsRunning       int     `json:"jobs_running"`
	MaxConcurrentJobs *int    `json:"max_concurrent_jobs"`
	SetAsideUntil     *string `json:"set_aside_until"`
}

func (g *groupEnv) deployments() map[string]groupDeployment {
	g.t.Helper()
	var info struct {
		Data []struct {
			ModelGroup  string            `json:"model_group"`
			Deployments []groupDeployment `json:"deployments"`
		}
	}
	r := g.json(master, "GET", "/model_group/info?model_group="+model, nil)
	r.json(g.t, &info)
	if r.status != 200 || len(info.Data) != 1 {
		g.t.Fatalf("model_group/info: %d %s", r.status, r.body)
	}
	out := map[string]groupDeployment{}
	for _, d := range info.Data[0].Deployments {
		out[d.Region] = d
	}
	return out
}

func regionOf(arn string) string {
	if parts := strings.Split(arn, ":"); len(parts) > 3 {
		return parts[3]
	}
	return ""
}

// TestModelGroupRunsBatchesOnEachDeployment: two deployments of one model
// name, each with one job slot, run two batches at once, one job on each
// emulator; /model_group/info shows each deployment's slot in use.
func TestModelGroupRunsBatchesOnEachDeployment(t *testing.T) {
	eachStore(t, testModelGroupRunsBatchesOnEachDeployment)
}

func testModelGroupRunsBatchesOnEachDeployment(t *testing.T, db string) {
	g := startGroupEnv(t, db, false, 1)
	hold := bedrocksim.Faults{HoldScheduled: true} // the jobs stay running until released
	g.east.SetFaults(hold)
	g.west.SetFaults(hold)
	key := g.key(model)
	var ids []string
	for range 2 {
		ids = append(ids, g.createBatch(key, g.uploadOK(key, lines(3, model))).ID)
	}
	regions := map[string]bool{}
	for _, id := range ids {
		b := g.waitBatch(key, id, func(b batchObj) bool { return b.Bedrock != nil && b.Bedrock.JobARN != "" })
		regions[regionOf(b.Bedrock.JobARN)] = true
		if b.Bedrock.OutputS3URI == "" {
			t.Errorf("batch %s has no output uri", id)
		}
	}
	if !regions["us-east-1"] || !regions["us-west-2"] {
		t.Errorf("jobs ran in %v, want one in us-east-1 and one in us-west-2", regions)
	}
	deps := g.deployments()
	for _, region := range []string{"us-east-1", "us-west-2"} {
		if d := deps[region]; d.JobsRunning != 1 || d.MaxConcurrentJobs == nil || *d.MaxConcurrentJobs != 1 || d.ID == "" {
			t.Errorf("deployment %s = %+v, want 1 of 1 slot in use", region, d)
		}
	}
	mr := g.do("", "GET", "/metrics", "", nil)
	for _, region := range []string{"us-east-1", "us-west-2"} {
		want := `model="` + model + `",region="` + region + `"} 1`
		if !strings.Contains(string(mr.body), "batchgate_deployment_jobs_running{deployment=\""+deps[region].ID+"\","+want) {
			t.Errorf("/metrics has no running job in %s: %d %s", region, mr.status, mr.body)
		}
	}
	g.east.SetFaults(bedrocksim.Faults{})
	g.west.SetFaults(bedrocksim.Faults{})
	for _, id := range ids {
		b := g.waitBatch(key, id, func(b batchObj) bool { return b.Status == "completed" })
		if b.RequestCounts.Total != 3 || b.RequestCounts.Completed != 3 || b.OutputFileID == nil {
			t.Fatalf("batch %s = %+v", id, b)
		}
		out := g.do(key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil)
		if out.status != 200 || strings.Count(string(out.body), `"chat.completion"`) != 3 {
			t.Errorf("output of %s (job in %s): %d %s", id, regionOf(b.Bedrock.JobARN), out.status, out.body)
		}
	}
	if deps := g.deployments(); deps["us-east-1"].JobsRunning != 0 || deps["us-west-2"].JobsRunning != 0 {
		t.Errorf("slots after the batches ended: %+v", deps)
	}
}

// TestModelGroupSkipsRefusingDeployment: a deployment that answers
// AccessDenied is set aside; the batch runs on the other, and so do the
// next ones while it stays aside.
func TestModelGroupSkipsRefusingDeployment(t *testing.T) {
	eachStore(t, testModelGroupSkipsRefusingDeployment)
}

func testModelGroupSkipsRefusingDeployment(t *testing.T, db string) {
	g := startGroupEnv(t, db, true, 5) // west is tried first
	if err := g.west.InjectError(bedrocksim.OpCreateModelInvocationJob, bedrocksim.AccessDeniedException, "not authorized to perform: iam:PassRole"); err != nil {
		t.Fatal(err)
	}
	key := g.key(model)
	for i := range 2 {
		b := g.createBatch(key, g.uploadOK(key, lines(2, model)))
		b = g.waitBatch(key, b.ID, func(b batchObj) bool { return b.Status == "completed" || b.Status == "failed" })
		if b.Status != "completed" || b.Bedrock == nil || regionOf(b.Bedrock.JobARN) != "us-east-1" || b.RequestCounts.Completed != 2 {
			t.Fatalf("batch %d = %+v (bedrock %+v), want completed in us-east-1", i, b, b.Bedrock)
		}
	}
	deps := g.deployments()
	if d := deps["us-west-2"]; d.SetAsideUntil == nil || d.JobsRunning != 0 {
		t.Errorf("refusing deployment = %+v, want set aside", d)
	}
	if d := deps["us-east-1"]; d.SetAsideUntil != nil {
		t.Errorf("east = %+v, want in use", d)
	}
}

// TestModelGroupPlacesSplitBatch: the jobs of a batch split over several
// jobs run on one deployment of the group, one with free slots: with
// east's slots taken, both jobs of a split batch run in us-west-2 (their
// input copied to west's bucket), and the merged output has every request.
func TestModelGroupPlacesSplitBatch(t *testing.T) { eachStore(t, testModelGroupPlacesSplitBatch) }

func testModelGroupPlacesSplitBatch(t *testing.T, db string) {
	two := 2
	g := startGroupEnv(t, db, false, 2, func(m *config.Model) { m.ModelInfo.BatchMaxRecordsPerJob = &two })
	g.east.SetFaults(bedrocksim.Faults{HoldScheduled: true})
	t.Cleanup(func() { g.east.SetFaults(bedrocksim.Faults{}) })
	key := g.key(model)
	// Two one-job batches take east's two slots (east is first, and a
	// batch stays on the deployment it was placed on while it has a slot).
	for range 2 {
		b := g.createBatch(key, g.uploadOK(key, lines(2, model)))
		b = g.waitBatch(key, b.ID, func(b batchObj) bool { return b.Bedrock != nil && b.Bedrock.JobARN != "" })
		if r := regionOf(b.Bedrock.JobARN); r != "us-east-1" {
			t.Fatalf("one-job batch ran in %s, want us-east-1", r)
		}
	}
	g.west.SetFaults(bedrocksim.Faults{HoldScheduled: true})
	split := g.createBatch(key, g.uploadOK(key, lines(4, model)))
	g.waitBatch(key, split.ID, func(b batchObj) bool { return b.Bedrock != nil && b.Bedrock.JobARN != "" })
	// While it runs, its input copies in west's bucket are in use: the sweep
	// of orphaned objects keeps them.
	time.Sleep(5 * time.Millisecond)
	if _, err := g.gw.DeleteOrphanObjects(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := g.stagedParts(t, split.InputFileID); n != 2 {
		t.Fatalf("%d input copies in west's bucket after the sweep, want 2", n)
	}
	g.west.SetFaults(bedrocksim.Faults{})
	b := g.waitBatch(key, split.ID, func(b batchObj) bool { return batchgate.Terminal(b.Status) })
	if b.Status != "completed" || b.RequestCounts.Total != 4 || b.RequestCounts.Completed != 4 || b.OutputFileID == nil {
		t.Fatalf("split batch = %+v", b)
	}
	jobs, err := g.gw.Store.FindBatchJobs(t.Context(), split.ID)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("jobs of the split batch: %d, %v; want 2", len(jobs), err)
	}
	for _, j := range jobs {
		if r := regionOf(j.JobARN); r != "us-west-2" || !strings.Contains(j.InputKey, split.InputFileID) {
			t.Errorf("job %d ran in %s (input %s), want us-west-2", j.Index, r, j.InputKey)
		}
	}
	if b.Bedrock == nil || !strings.HasPrefix(b.Bedrock.OutputS3URI, "s3://batchgate-west/west/batchgate/output/") {
		t.Errorf("output of the split batch: %+v, want under west's bucket and prefix", b.Bedrock)
	}
	// The parts were copied under west's prefix, where its sweeps look.
	if n := g.stagedParts(t, split.InputFileID); n != 2 {
		t.Errorf("%d parts copied to west's bucket, want 2", n)
	}
	out := g.do(key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil)
	if out.status != 200 || strings.Count(string(out.body), `"chat.completion"`) != 4 {
		t.Errorf("merged output: %d %s", out.status, out.body)
	}
}

// TestModelGroupSplitBatchMovesAfterRefusal: a split batch whose first
// deployment refuses its first job (so no job exists) is placed again on
// the other deployment, where all its jobs run.
func TestModelGroupSplitBatchMovesAfterRefusal(t *testing.T) {
	eachStore(t, testModelGroupSplitBatchMovesAfterRefusal)
}

func testModelGroupSplitBatchMovesAfterRefusal(t *testing.T, db string) {
	two := 2
	g := startGroupEnv(t, db, true, 5, func(m *config.Model) { m.ModelInfo.BatchMaxRecordsPerJob = &two }) // west first
	if err := g.west.InjectError(bedrocksim.OpCreateModelInvocationJob, bedrocksim.AccessDeniedException, "not authorized to perform: iam:PassRole"); err != nil {
		t.Fatal(err)
	}
	key := g.key(model)
	split := g.createBatch(key, g.uploadOK(key, lines(4, model)))
	b := g.waitBatch(key, split.ID, func(b batchObj) bool { return batchgate.Terminal(b.Status) })
	if b.Status != "completed" || b.RequestCounts.Completed != 4 {
		t.Fatalf("split batch = %+v", b)
	}
	jobs, err := g.gw.Store.FindBatchJobs(t.Context(), split.ID)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("jobs: %d, %v", len(jobs), err)
	}
	for _, j := range jobs {
		if r := regionOf(j.JobARN); r != "us-east-1" {
			t.Errorf("job %d ran in %s, want us-east-1", j.Index, r)
		}
	}
	if d := g.deployments()["us-west-2"]; d.SetAsideUntil == nil {
		t.Errorf("west = %+v, want set aside", d)
	}
}

// stagedParts counts the input objects of file fileID in west's bucket,
// each of which must be under west's prefix.
func (g *groupEnv) stagedParts(t *testing.T, fileID string) int {
	t.Helper()
	list, err := g.s3.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("batchgate-west")})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range list.Contents {
		k := aws.ToString(o.Key)
		if strings.Contains(k, fileID) && !strings.Contains(k, "/output/") {
			if !strings.HasPrefix(k, "west/batchgate/input/") {
				t.Errorf("input copied to %s, want under west/batchgate/input/", k)
			}
			n++
		}
	}
	return n
}
