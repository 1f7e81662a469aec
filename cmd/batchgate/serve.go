package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/awsconf"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/logctx"
	"github.com/batchgate/batchgate/internal/postgres"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// readyCacheTTL is how long a /health/readiness result is reused: probes
// from several load balancers reach the database and S3 once per period.
const readyCacheTTL = 5 * time.Second

// started is told the gateway's URL and master key once it listens (for demo and tests).
type started func(baseURL, masterKey string)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, onStart started) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, stderr, "batchgate serve [--config FILE] [--addr 127.0.0.1:4000 | --host HOST --port PORT] [--data DIR] [--flag VALUE ...]",
		"run the gateway; without --config everything runs locally (SQLite, an in-process S3 and Bedrock emulator)", serveEnv)
	configPath := fs.String("config", "", "the LiteLLM-compatible config.yaml `FILE`; without it batchgate runs everything locally")
	addr := fs.String("addr", "127.0.0.1:4000", "listen address `HOST:PORT`")
	host := fs.String("host", "", "listen `HOST`, as LiteLLM's --host (overrides --addr's host; 0.0.0.0 for every interface)")
	port := fs.Int("port", 0, "listen `PORT`, as LiteLLM's --port (overrides --addr's port)")
	certFile := fs.String("ssl_certfile_path", "", "serve HTTPS with this PEM certificate (chain) `FILE`, as LiteLLM's flag")
	keyFile := fs.String("ssl_keyfile_path", "", "the PEM private key `FILE` of --ssl_certfile_path")
	dataDir := fs.String("data", envOr(getenv, "BATCHGATE_DATA", ".batchgate"), "data `DIR`ectory for SQLite, the master key and the local mode's S3 objects (env BATCHGATE_DATA)")
	interval := fs.Duration("reconcile-interval", 5*time.Second, "how often running batches are refreshed from Bedrock")
	reconcileWorkers := fs.Int("reconcile-workers", gateway.DefaultReconcileWorkers, "how many batches a reconciliation pass refreshes and settles at once")
	stepDelay := fs.Duration("sim-step-delay", 2*time.Second, "local mode: the emulator's delay per job state")
	logFormat := fs.String("log-format", "json", "log format: json or text")
	replicaFlag := fs.String("replica-id", envOr(getenv, "BATCHGATE_REPLICA_ID", ""), "name of this replica in batch leases (default: kept in the data directory)")
	keepalive := secondsFlag(envSeconds(getenv, "KEEPALIVE_TIMEOUT", defaultKeepalive))
	fs.Var(&keepalive, "keepalive_timeout", "close keep-alive connections idle this long, as LiteLLM's flag and KEEPALIVE_TIMEOUT (seconds, or a duration like 90s)")
	readHeaderTimeout := fs.Duration("read-header-timeout", 10*time.Second, "close connections that do not finish sending a request's headers within this")
	bodyWindow := fs.Duration("upload-progress-window", httpapi.DefaultBodyProgressWindow, "cut off a request body (an upload) that brings less than --upload-progress-bytes in this much waiting (0: never)")
	bodyBytes := fs.Int64("upload-progress-bytes", httpapi.DefaultBodyProgressBytes, "the bytes a request body must bring per --upload-progress-window")
	awsStall := fs.Duration("aws-stall-timeout", awsconf.StallTimeout, "give up on an S3 or Bedrock call whose endpoint makes no progress for this long (0: never)")
	jobNotFoundGrace := fs.Duration("job-not-found-grace", gateway.DefaultJobNotFoundGrace, "end a batch whose Bedrock job Bedrock has answered ResourceNotFoundException for this long (failed, or cancelled when cancelling)")
	staleUploadAge := fs.Duration("stale-upload-age", time.Hour, "abort unfinished multipart uploads of input and result files, and delete batchgate's objects no file or running batch references, older than this (left by a crashed gateway)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *logFormat)
	if os.Getenv("GOGC") == "" {
		// The live heap is mostly the multipart buffers of the uploads in
		// flight; collecting at 1.5x rather than 2x of it keeps a 1 GB
		// upload's peak RSS ~30 MB lower for ~1% more CPU (bench/run.sh).
		debug.SetGCPercent(50)
	}
	// Listen first: a second serve on a port in use stops before it opens
	// the data directory the first one is using.
	if *host != "" || *port != 0 {
		h, p, err := net.SplitHostPort(*addr)
		if err != nil {
			return fmt.Errorf("--addr %q: %w", *addr, err)
		}
		if *host != "" {
			h = *host
		}
		if *port != 0 {
			p = strconv.Itoa(*port)
		}
		*addr = net.JoinHostPort(h, p)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot listen on %s: the address is in use (another batchgate serve?); choose another with --port PORT or --addr HOST:PORT", *addr)
		}
		return fmt.Errorf("cannot listen on %s (--addr, --host, --port): %w", *addr, err)
	}
	defer ln.Close() // closed by Serve too; this covers the returns before it
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}

	var (
		cfg      *config.Config
		localEnv *local.Env
	)
	if *configPath != "" {
		if cfg, err = config.Load(*configPath, getenv); err != nil {
			return fmt.Errorf("config %s: %w", *configPath, err)
		}
		if err := setEnvironment(cfg); err != nil {
			return err
		}
	} else {
		localEnv, err = local.Start(ctx, local.Options{DataDir: *dataDir, StepDelay: *stepDelay, Log: log})
		if err != nil {
			return fmt.Errorf("local mode: %w", err)
		}
		defer localEnv.Close()
		cfg = localEnv.Config
		log.Info("local mode: in-process S3 and Bedrock emulator", "s3", localEnv.S3URL, "bedrock", localEnv.BedrockURL,
			"credentials_file", filepath.Join(*dataDir, local.CredentialsFile), "profile", local.Profile)
	}
	for _, w := range cfg.Warnings {
		log.Warn("config", "warning", w)
	}

	store, err := openStore(ctx, cfg.GeneralSettings.DatabaseURL, *dataDir)
	if err != nil {
		return err
	}
	defer store.Close()

	awsconf.StallTimeout = *awsStall // read by the clients deploy.All builds
	deps, warnings, err := deploy.All(ctx, cfg.BatchModels())
	for _, w := range warnings {
		log.Warn("config", "warning", w)
	}
	if err != nil {
		return err
	}
	masterKey := cfg.GeneralSettings.MasterKey
	generated := false
	if masterKey == "" {
		if masterKey, generated, err = localMasterKey(*dataDir); err != nil {
			return err
		}
	}

	ops := newOps(cfg, store, deps, log)
	gw := gateway.New(ops.store, deps, log)
	gw.StaleUploadAge = *staleUploadAge
	gw.JobNotFoundGrace = *jobNotFoundGrace
	gw.ReconcileWorkers = max(1, *reconcileWorkers)
	gw.FileExpireAfter = cfg.BatchgateSettings.Files.InputTTL()
	gw.OutputExpireAfter = cfg.BatchgateSettings.Files.OutputTTL()
	if gw.ReplicaID, err = replicaID(*replicaFlag, *dataDir); err != nil {
		return err
	}
	api := &httpapi.Server{
		Gateway: gw, MasterKey: masterKey, Log: log, Version: version, MaxUploadBytes: cfg.GeneralSettings.MaxUploadBytes(),
		Ready: store.Ping, ReadyCacheTTL: readyCacheTTL,
		BodyProgressWindow: *bodyWindow, BodyProgressBytes: *bodyBytes,
	}
	ops.wire(api)
	srv := &http.Server{
		Handler: api.Handler(), ReadHeaderTimeout: *readHeaderTimeout, IdleTimeout: time.Duration(keepalive),
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if *certFile != "" || *keyFile != "" {
		if *certFile == "" || *keyFile == "" {
			ln.Close()
			return errors.New("--ssl_certfile_path and --ssl_keyfile_path go together")
		}
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	baseURL := scheme + "://" + ln.Addr().String()

	ctx, cancel := context.WithCancel(ctx)
	// On the way out the background work stops, and is waited for, before
	// the store and the local stack (deferred above) close under it.
	var background sync.WaitGroup
	defer func() { cancel(); background.Wait() }()
	background.Go(func() { gw.RunReconciler(ctx, *interval) })
	background.Go(func() { ops.run(ctx) })

	fmt.Fprintf(stdout, "batchgate %s listening on %s\n", version, baseURL)
	for _, d := range gw.Models(gateway.Caller{}) {
		fmt.Fprintf(stdout, "  model %s -> bedrock/%s\n", d.Name(), d.ModelID())
	}
	printServeHints(stdout, baseURL, *dataDir, masterKey, generated || localEnv != nil, cfg.GeneralSettings.MasterKey == "")
	if onStart != nil {
		onStart(baseURL, masterKey)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openStore opens the database named by database_url: PostgreSQL for
// postgres:// URLs, otherwise SQLite (a sqlite:// path, or batchgate.db in
// the data directory).
func openStore(ctx context.Context, url, dataDir string) (batchgate.Store, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url)
	case url == "":
		return sqlite.Open(ctx, filepath.Join(dataDir, "batchgate.db"))
	case strings.HasPrefix(url, "sqlite://"):
		return sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "file:"):
		return sqlite.Open(ctx, strings.TrimPrefix(url, "file:"))
	}
	return nil, &config.Error{Field: "general_settings.database_url", Message: "must be postgresql://..., sqlite://PATH or empty (SQLite in the data directory)"}
}

// localMasterKey reads the master key kept in the data directory, creating it
// on first start, so that a restart keeps the same key.
func localMasterKey(dataDir string) (key string, created bool, err error) {
	path := filepath.Join(dataDir, "master_key")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	key = gateway.NewSecret()
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("write master key: %w", err)
	}
	return key, true, nil
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "text" {
		return slog.New(logctx.NewHandler(slog.NewTextHandler(w, nil)))
	}
	return slog.New(logctx.NewHandler(slog.NewJSONHandler(w, nil)))
}

// defaultKeepalive outlasts the 60 s idle timeout of AWS's load balancers,
// so that they, not the gateway, close idle connections (a gateway closing
// first makes the balancer answer 502 now and then). LiteLLM's own default
// (uvicorn's) is 5 s.
const defaultKeepalive = 65 * time.Second

// secondsFlag is a duration given as whole seconds, as LiteLLM's flags take
// it, or as a Go duration ("90s", "500ms").
type secondsFlag time.Duration

func (f *secondsFlag) String() string { return time.Duration(*f).String() }

func (f *secondsFlag) Set(v string) error {
	d, err := parseSeconds(v)
	if err != nil {
		return err
	}
	*f = secondsFlag(d)
	return nil
}

func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a number of seconds or a duration", v)
	}
	return d, nil
}

// envSeconds returns the environment's seconds (or duration) at name, or def.
func envSeconds(getenv func(string) string, name string, def time.Duration) time.Duration {
	if d, err := parseSeconds(getenv(name)); err == nil && getenv(name) != "" {
		return d
	}
	return def
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// printServeHints tells how to reach the gateway: the console, the CLI
// (which finds a local gateway's master key in its data directory) and an
// OpenAI SDK.
func printServeHints(w io.Writer, baseURL, dataDir, masterKey string, showKey, keyInDataDir bool) {
	u := baseURL
	if h, p, err := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")); err == nil {
		if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
			u = strings.Replace(u, "://"+net.JoinHostPort(h, p), "://"+net.JoinHostPort("127.0.0.1", p), 1)
		}
	}
	if showKey {
		where := ""
		if keyInDataDir {
			where = "  (kept in " + filepath.Join(dataDir, "master_key") + ")"
		}
		fmt.Fprintf(w, "  master key: %s%s\n", masterKey, where)
	}
	fmt.Fprintf(w, "  console:    %s/ui  (sign in with the master key)\n", u)
	var env []string
	if u != defaultBaseURL {
		env = append(env, "BATCHGATE_BASE_URL="+u)
	}
	if keyInDataDir && filepath.Clean(dataDir) != ".batchgate" {
		if abs, err := filepath.Abs(dataDir); err == nil {
			env = append(env, "BATCHGATE_DATA="+abs)
		}
	}
	prefix := strings.Join(env, " ")
	if prefix != "" {
		prefix += " "
	}
	fmt.Fprintf(w, "  CLI:        %sbatchgate keys create --models NAME   (batchgate --help lists the commands)\n", prefix)
	fmt.Fprintf(w, "  OpenAI SDK: OPENAI_BASE_URL=%s/v1 OPENAI_API_KEY=<a key from keys create>\n", u)
}
