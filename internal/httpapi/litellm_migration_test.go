package httpapi_test

// The LiteLLM migration suite: LiteLLM-shaped configs from
// testdata/litellm (the seed's, and a mixed one with openai/, azure/ and
// real-time bedrock/ models, litellm_settings, router_settings and
// environment_variables) start a gateway, and LiteLLM's clients' calls run
// against it. Add admin-call shape checks as more tests on startLiteLLM.

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/direct"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// liteLLMFixture is LiteLLM's own Bedrock batch input file, verbatim
// (tests/openai_endpoints_tests/bedrock_batch_completions.jsonl): its lines
// name bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0, which the seed
// config does not serve; LiteLLM uploads it with target_model_names.
const liteLLMFixture = "testdata/litellm/bedrock_batch_completions.jsonl"

// liteLLMOptions adjust a gateway started from a LiteLLM config.
type liteLLMOptions struct {
	vars map[string]string // the environment the config is loaded with
	// minRecords, when > 0, lowers Bedrock's 100-record minimum (the
	// gateway's and the emulator's), so that LiteLLM's two-line fixture can
	// run as a batch.
	minRecords int
	reconcile  bool // run the reconciler, so batches finish
}

// liteLLMEnv is a gateway started from a LiteLLM config file.
type liteLLMEnv struct {
	*env
	cfg   *config.Config
	local *local.Env
	key   string // the master key: the config's, else the suite's
}

// startLiteLLM loads testdata/litellm/name as serve does and starts a
// gateway for its batch deployments, their connection settings (endpoints,
// credentials, region, role) pointed at the embedded S3 and Bedrock
// emulator. Buckets, key prefixes and model ids stay as configured.
func startLiteLLM(t *testing.T, name string, o liteLLMOptions) *liteLLMEnv {
	t.Helper()
	cfg, err := config.Load(filepath.Join("testdata/litellm", name), func(k string) string { return o.vars[k] })
	if err != nil {
		t.Fatalf("%s refused: %v", name, err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	le, err := local.Start(ctx, local.Options{DataDir: dir, Log: log, StepDelay: 10 * time.Millisecond, MinRecordsPerJob: o.minRecords})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	creds := le.Credentials()
	models := cfg.BatchModels()
	for i := range models {
		p := &models[i].LiteLLMParams
		p.S3EndpointURL, p.BedrockEndpointURL = le.S3URL, le.BedrockURL
		p.S3AccessKeyID, p.S3SecretAccessKey, p.S3SessionToken = creds.AccessKeyID, creds.SecretAccessKey, ""
		p.AWSAccessKeyID, p.AWSSecretAccessKey, p.AWSSessionToken, p.AWSProfileName = creds.AccessKeyID, creds.SecretAccessKey, "", ""
		p.S3RegionName, p.AWSRegionName, p.AWSBatchRoleARN = local.Region, local.Region, local.RoleARN
		if o.minRecords > 0 {
			p.MinRecordsPerJob = &o.minRecords
		}
	}
	store, err := sqlite.Open(ctx, dir+"/batchgate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	deps, _, err := deploy.All(ctx, models)
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(store, deps, log)
	if o.reconcile {
		runReconciler(t, gw, 20*time.Millisecond)
	}
	key := cfg.GeneralSettings.MasterKey
	if key == "" {
		key = master
	}
	srv := httptest.NewServer((&httpapi.Server{Gateway: gw, MasterKey: key, Log: log, Version: "test", MaxUploadBytes: cfg.GeneralSettings.MaxUploadBytes()}).Handler())
	t.Cleanup(srv.Close)
	return &liteLLMEnv{env: &env{t: t, url: srv.URL, gw: gw, dir: dir}, cfg: cfg, local: le, key: key}
}

func readFixture(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mixedVars is the environment the mixed config runs with.
var mixedVars = map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "OPENAI_API_KEY": "sk-openai"}

// TestLiteLLMSeedConfig: the seed's config serves bedrock-batch-claude; the
// seed's developer flow uploads its request.jsonl with extra_body, and
// LiteLLM's own fixture (lines naming another Bedrock model) uploads with
// target_model_names, its lines run on the target deployment.
func TestLiteLLMSeedConfig(t *testing.T) {
	e := startLiteLLM(t, "seed.yaml", liteLLMOptions{vars: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}})
	seedLines := `{"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "bedrock-batch-claude", "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Hello world!"}], "max_tokens": 1000}}
{"custom_id": "request-2", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "bedrock-batch-claude", "messages": [{"role": "system", "content": "You are an unhelpful assistant."}, {"role": "user", "content": "Hello world!"}], "max_tokens": 1000}}
`
	r := e.upload(e.key, part{"purpose", "batch"}, part{"file", seedLines}, part{"extra_body", `{"target_model_names": "bedrock-batch-claude"}`})
	if r.status != 200 {
		t.Fatalf("seed request.jsonl: %d %s", r.status, r.body)
	}
	fixture := readFixture(t, liteLLMFixture)
	for _, parts := range [][]part{
		{{"purpose", "batch"}, {"target_model_names", "bedrock-batch-claude"}, {"file", fixture}},
		{{"purpose", "batch"}, {"extra_body", `{"target_model_names": "bedrock-batch-claude"}`}, {"file", fixture}},
	} {
		r := e.upload(e.key, parts...)
		var f struct{ ID string }
		r.json(t, &f)
		if r.status != 200 || f.ID == "" {
			t.Fatalf("LiteLLM's fixture with %s: %d %s", parts[1].name, r.status, r.body)
		}
		// Bedrock's 100-record minimum is checked at create (LiteLLM
		// leaves it to Bedrock's job to fail).
		r = e.json(e.key, "POST", "/v1/batches", map[string]any{"input_file_id": f.ID, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
		var ae apiError
		r.json(t, &ae)
		if r.status != 400 || !strings.Contains(ae.Error.Message, "at least 100") {
			t.Errorf("batch of 2 records: %d %s, want the 100-record minimum", r.status, r.body)
		}
	}
}

// TestLiteLLMMixedConfig: a config with openai/, azure/ and real-time
// bedrock/ models, litellm_settings, router_settings and
// environment_variables starts and serves its one batch model; the
// s3_bucket_name "bucket/prefix" set through environment_variables puts the
// input file and the batch's output under the prefix; LiteLLM's fixture runs
// as a batch with target_model_names, and POST /v1/batches takes the
// model LiteLLM clients send.
func TestLiteLLMMixedConfig(t *testing.T) {
	e := startLiteLLM(t, "mixed.yaml", liteLLMOptions{vars: mixedVars, minRecords: 1, reconcile: true})
	if e.key != "sk-from-config" {
		t.Errorf("master key %q, want environment_variables' LITELLM_MASTER_KEY", e.key)
	}
	var models struct{ Data []struct{ ID string } }
	e.json(e.key, "GET", "/v1/models", nil).json(t, &models)
	if len(models.Data) != 1 || models.Data[0].ID != "bedrock-batch-claude" {
		t.Errorf("/v1/models = %+v, want bedrock-batch-claude only", models.Data)
	}

	r := e.upload(e.key, part{"purpose", "batch"}, part{"target_model_names", "bedrock-batch-claude"}, part{"file", readFixture(t, liteLLMFixture)})
	var f struct{ ID string }
	r.json(t, &f)
	if r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if _, err := e.local.S3Client().HeadObject(context.Background(), &s3.HeadObjectInput{
		Bucket: aws.String("litellm-batch-bucket"), Key: aws.String("teams/ml/batchgate/input/" + f.ID + ".jsonl"),
	}); err != nil {
		t.Errorf("input object not under the bucket's prefix teams/ml/: %v", err)
	}
	r = e.json(e.key, "POST", "/v1/batches", map[string]any{"input_file_id": f.ID, "endpoint": "/v1/chat/completions", "completion_window": "24h", "model": "bedrock-batch-claude"})
	var b struct {
		ID, Status, Model string
		OutputFileID      *string `json:"output_file_id"`
		Bedrock           struct {
			OutputS3URI string `json:"output_s3_uri"`
		}
	}
	r.json(t, &b)
	if r.status != 200 {
		t.Fatalf("create with model: %d %s", r.status, r.body)
	}
	if want := "s3://litellm-batch-bucket/teams/ml/batchgate/output/" + b.ID + "/"; b.Bedrock.OutputS3URI != want {
		t.Errorf("output_s3_uri = %q, want %q", b.Bedrock.OutputS3URI, want)
	}
	for deadline := time.Now().Add(60 * time.Second); b.Status != "completed"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) || b.Status == "failed" {
			t.Fatalf("batch %s is %s", b.ID, b.Status)
		}
		e.json(e.key, "GET", "/v1/batches/"+b.ID, nil).json(t, &b)
	}
	r = e.do(e.key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil)
	if r.status != 200 || strings.Count(string(r.body), "\n") != 2 || !strings.Contains(string(r.body), `"custom_id":"request-2"`) {
		t.Errorf("output: %d %s", r.status, r.body)
	}

	// The seed's "LiteLLM Direct" download, in one line: the batch's
	// output_file_id read straight from S3 gives Bedrock's raw lines, as the
	// gateway serves them with custom-llm-provider: bedrock.
	rc, err := direct.FileContent(context.Background(), *b.OutputFileID, direct.Options{Client: e.local.S3Client(), Bucket: "litellm-batch-bucket/teams/ml"})
	if err != nil {
		t.Fatalf("direct.FileContent: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw := e.do(e.key, "GET", "/v1/files/"+*b.OutputFileID+"/content", "", nil, "custom-llm-provider", "bedrock")
	if raw.status != 200 || !slices.Equal(sortedLines(got), sortedLines(raw.body)) || len(sortedLines(got)) != 2 {
		t.Errorf("direct.FileContent:\n%s\nthe gateway's raw output (%d):\n%s", got, raw.status, raw.body)
	}
}

func sortedLines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// TestLiteLLMTargetModelNames: with target_model_names the lines may name
// any model (LiteLLM overwrites body.model with the target deployment's);
// without it they must name a served model, and the error says how to pass
// a target.
func TestLiteLLMTargetModelNames(t *testing.T) {
	e := startLiteLLM(t, "seed.yaml", liteLLMOptions{vars: map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}})
	openAIFile := line("a", "gpt-4o-mini", "hi") + "\n" + line("b", "gpt-4o-mini", "ho") + "\n"
	mixedFile := line("a", "gpt-4o-mini", "hi") + "\n" + line("b", "bedrock-batch-claude", "ho") + "\n"
	for _, tt := range []struct {
		name  string
		parts []part
	}{
		{"OpenAIFileTargetFirst", []part{{"purpose", "batch"}, {"target_model_names", "bedrock-batch-claude"}, {"file", openAIFile}}},
		{"OpenAIFileTargetAfter", []part{{"file", openAIFile}, {"purpose", "batch"}, {"target_model_names", "bedrock-batch-claude"}}},
		{"ExtraBodyAfter", []part{{"file", openAIFile}, {"purpose", "batch"}, {"extra_body", `{"target_model_names": ["bedrock-batch-claude"]}`}}},
		{"LinesNameSeveralModels", []part{{"purpose", "batch"}, {"target_model_names", "bedrock-batch-claude"}, {"file", mixedFile}}},
		{"TargetIsTheDeployment", []part{{"purpose", "batch"}, {"target_model_names", "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0"}, {"file", openAIFile}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(e.key, tt.parts...)
			var f struct{ ID string }
			r.json(t, &f)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			// The file runs on the target: a batch of it names that model.
			r = e.json(e.key, "POST", "/v1/batches", map[string]any{"input_file_id": f.ID, "endpoint": "/v1/chat/completions", "model": "gpt-4o-mini"})
			var ae apiError
			r.json(t, &ae)
			if r.status != 400 || ae.Error.Param == nil || *ae.Error.Param != "model" || !strings.Contains(ae.Error.Message, "bedrock-batch-claude") {
				t.Errorf("batch with another model: %d %s, want 400 on model naming the file's", r.status, r.body)
			}
		})
	}

	r := e.upload(e.key, part{"purpose", "batch"}, part{"file", openAIFile})
	var ae apiError
	r.json(t, &ae)
	if r.status != 400 || ae.Error.Line != 1 || !strings.Contains(ae.Error.Message, "target_model_names") || !strings.Contains(ae.Error.Message, "bedrock-batch-claude") {
		t.Errorf("no target: %d %s, want line 1 saying to pass target_model_names and naming the served model", r.status, r.body)
	}
	// Nothing half-accepted is visible.
	var list struct{ Data []struct{ ID string } }
	e.json(e.key, "GET", "/v1/files", nil).json(t, &list)
	if len(list.Data) != len([]int{1, 2, 3, 4, 5}) {
		t.Errorf("%d files, want the 5 accepted", len(list.Data))
	}
}
