// Command batchgate is an OpenAI-compatible gateway for Amazon Bedrock batch
// inference. One binary, several subcommands:
//
//	batchgate serve [--config config.yaml] [--addr 127.0.0.1:4000]
//	batchgate demo
//	batchgate bedrock-sim [--addr 127.0.0.1:4001]
//	batchgate check --config config.yaml
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop() // os.Exit skips defers
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "batchgate:", err)
		os.Exit(1)
	}
}

const usage = `batchgate: OpenAI-compatible batch gateway for Amazon Bedrock

Usage:
  batchgate serve [--config config.yaml] [--addr 127.0.0.1:4000 | --host H --port P] [--data DIR]
                  [--ssl_certfile_path cert.pem --ssl_keyfile_path key.pem]
      Run the gateway. Without --config it runs everything locally (SQLite,
      an in-process S3 and Bedrock emulator) and prints its master key.
      As with LiteLLM, "batchgate --config config.yaml --port 4000" is serve.
  batchgate demo [--requests 120]
      Run the developer flow end to end against the local gateway.
  batchgate check --config config.yaml
      Check each deployment's AWS set-up (buckets, KMS, the batch role's
      account and trust policy, the Bedrock endpoint) before the first batch.
  batchgate bedrock-sim [--addr 127.0.0.1:4001] [--step-delay 2s] [--min-records 100]
      Run the Bedrock batch emulator standalone.

A command-line client of a running gateway (` + "`batchgate COMMAND --help`" + ` for each):
  batchgate batch submit|status|list|cancel|results ...
  batchgate files upload|list|get|delete|content ...   (content also reads s3://bucket/key directly)
  batchgate models                                     the models your key may use
  batchgate keys create|list|info|update|block|unblock|delete ...
  batchgate user new|info|list ...
  batchgate team new|info|list|member-add ...
  batchgate spend logs ...
      Every client command takes --base-url URL, --api-key KEY and --json. Against a
      local serve (127.0.0.1) without a key, they use the master key serve keeps in
      its data directory (.batchgate, or BATCHGATE_DATA).

  batchgate version        the version and the VCS revision it was built from

Environment:
  LITELLM_MASTER_KEY   serve: the master key when the config sets none; client: the key
  DATABASE_URL         serve: the database when the config sets none (postgresql://...)
  BATCHGATE_DATA       serve's data directory (default .batchgate); client: where its master key is
  BATCHGATE_BASE_URL   client: the gateway's URL (default http://127.0.0.1:4000; or OPENAI_BASE_URL)
  BATCHGATE_API_KEY    client: the API key (or OPENAI_API_KEY)
`

// run dispatches a subcommand. Everything the program touches comes in as
// arguments, so tests can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing subcommand")
	}
	switch cmd, rest := args[1], args[2:]; cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr, nil)
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "check":
		return runCheck(ctx, rest, getenv, stdout, stderr)
	case "bedrock-sim":
		return runBedrockSim(ctx, rest, getenv, stdout, stderr)
	case "batch", "files", "keys", "models", "user", "team", "spend", "key", "users", "teams", "file", "batches":
		return runClient(ctx, cmd, rest, getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, versionText())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		if strings.HasPrefix(cmd, "-") {
			// LiteLLM's command line, "litellm --config config.yaml --port 4000":
			// flags without a subcommand run the gateway, bound as litellm binds.
			return runLiteLLM(ctx, args[1:], getenv, stdout, stderr)
		}
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown subcommand %q", cmd)
	}
}
