package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/preflight"
)

const checkSummary = `Check each batch deployment's AWS set-up before the first batch, with the
  credentials, regions and endpoints the gateway would use: the S3 buckets exist
  in the configured region; a probe object can be written (with SSE-KMS and
  s3_encryption_key_id when set), read and deleted; aws_batch_role_arn is in the
  credentials' account and its trust policy lets bedrock.amazonaws.com assume it;
  the Bedrock endpoint answers. One line per check (OK, WARN or FAIL) with the fix
  for each problem; the exit status is 1 when any check fails.`

// runCheck is "batchgate check": the preflight checks of every deployment
// the config serves.
func runCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("batchgate check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, stderr, "batchgate check --config FILE", checkSummary, awsEnv)
	configPath := fs.String("config", "", "the LiteLLM-compatible config.yaml `FILE` to check (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("check: unexpected argument %q", fs.Arg(0))
	}
	if *configPath == "" {
		fs.Usage()
		return errors.New("check: --config is required")
	}
	cfg, err := config.Load(*configPath, getenv)
	if err != nil {
		return fmt.Errorf("config %s: %w", *configPath, err)
	}
	if err := setEnvironment(cfg); err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "config:", w)
	}

	var results []preflight.Result
	var targets []*preflight.Target
	for _, m := range cfg.BatchModels() {
		// The deployments serve would run, by deploy's rule: a model it
		// cannot translate for is left out unless it says mode: batch.
		_, err := deploy.New(ctx, m)
		if err == nil {
			var t *preflight.Target
			if t, err = preflight.NewTarget(ctx, m); err == nil {
				targets = append(targets, t)
				continue
			}
		}
		r := preflight.Result{Status: preflight.Fail, Deployment: m.ModelName, What: "batchgate serves " + m.LiteLLMParams.Model, Detail: err.Error()}
		var ue *deploy.UnsupportedError
		if errors.As(err, &ue) && m.ModelInfo.Mode != "batch" {
			r.Status, r.Detail = preflight.Warn, ue.Err.Error()+": not served (it is not mode: batch), so not checked"
		}
		results = append(results, r)
	}
	results = append(results, preflight.Run(ctx, targets, preflight.Checks)...)

	count := map[preflight.Status]int{}
	for _, r := range results {
		fmt.Fprintln(stdout, r)
		count[r.Status]++
	}
	fmt.Fprintf(stdout, "%d ok, %d warnings, %d failed\n", count[preflight.OK], count[preflight.Warn], count[preflight.Fail])
	if n := count[preflight.Fail]; n > 0 {
		return fmt.Errorf("check: %d of %d checks failed", n, len(results))
	}
	return nil
}
