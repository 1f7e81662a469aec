// Package bedrocksim is a local emulator of the Amazon Bedrock batch inference
// control plane (CreateModelInvocationJob, GetModelInvocationJob,
// ListModelInvocationJobs, StopModelInvocationJob) as an http.Handler.
//
// It speaks the same rest-json wire protocol as bedrock.{region}.amazonaws.com,
// so the AWS SDKs and the AWS CLI work against it unchanged (point them at it
// with BaseEndpoint / --endpoint-url). Jobs read their input from and write
// their output to S3 through the *s3.Client given in Config, following the
// layout AWS uses, and every record gets a deterministic, schema-checked fake
// model response. No inference happens and no IAM is checked.
package bedrocksim

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Defaults for the zero values of Config.
const (
	DefaultRegion                    = "us-east-1"
	DefaultAccountID                 = "123456789012"
	DefaultMinRecordsPerJob          = 100
	DefaultMaxRecordsPerFile         = 50_000
	DefaultMaxRecordsPerJob          = 50_000
	DefaultMaxFileBytes              = 1 << 30 // 1 GB
	DefaultMaxJobBytes               = 5 << 30 // 5 GB
	DefaultMaxConcurrentJobsPerModel = 20
	DefaultTimeoutHours              = 24
)

// Config configures a Server. The zero value of every field means its default.
type Config struct {
	// S3 is the client jobs use to list and read their input and write their
	// output. Without it every job ends Failed during validation.
	S3 *s3.Client

	// Region and AccountID appear in job ARNs. Defaults: us-east-1, 123456789012.
	Region    string
	AccountID string

	// StepDelay is how long a job stays in each state of its lifecycle
	// (Submitted, Validating, Scheduled, InProgress, Stopping). Zero moves jobs
	// along as fast as they can go.
	StepDelay time.Duration

	// Now is the clock for timestamps and expiry. Default time.Now. Tests can
	// move it past a job's jobExpirationTime to expire a job (see Faults.HoldScheduled).
	Now func() time.Time

	// Quotas (spec §2.6). A job that breaks a record or size quota ends Failed
	// during validation; the concurrent-job quota is enforced at create.
	MinRecordsPerJob          int   // default 100; negative disables the check
	MaxRecordsPerFile         int   // default 50,000
	MaxRecordsPerJob          int   // default 50,000
	MaxFileBytes              int64 // default 1 GB
	MaxJobBytes               int64 // default 5 GB
	MaxConcurrentJobsPerModel int   // Submitted+Validating+Scheduled+InProgress jobs per model; default 20

	// Faults are the initial fault-injection settings; see SetFaults.
	Faults Faults

	// NameBeforeToken makes Create refuse a job name in use before it looks
	// at clientRequestToken, so that the retry of a create whose response
	// was lost is refused ("The provided job name is currently in use.")
	// rather than answered with the job. AWS's order is undocumented; by
	// default the token is checked first and the retry is idempotent.
	NameBeforeToken bool

	// Seed makes job ids and injected faults reproducible. Zero picks a random seed.
	Seed uint64

	// ModelARNs maps model ARNs the emulator cannot resolve by itself
	// (application inference profiles, custom models) to the model id they
	// run: a foundation model or a cross-region inference profile id. A job
	// on such an ARN answers as that model; an ARN of these kinds that is not
	// in the map is refused with ResourceNotFoundException, as AWS refuses an
	// unknown resource.
	ModelARNs map[string]string

	// OutputOrderSeed fixes the order of output lines. AWS does not keep the
	// input order, so each output file is shuffled; by default the shuffle is
	// seeded from the job id (reproducible per job), with a non-zero value
	// every job uses this seed.
	OutputOrderSeed uint64

	// Logger receives one line per job state change. Default: discard.
	Logger *slog.Logger
}

// Faults are knobs that make the emulator misbehave on purpose, for testing
// how clients cope.
type Faults struct {
	// ThrottleFraction of API calls (0..1) are answered ThrottlingException (429)
	// before they do anything.
	ThrottleFraction float64
	// ServerErrorFraction of API calls (0..1) are answered InternalServerException (500)
	// before they do anything.
	ServerErrorFraction float64
	// ForceFail, when not empty, ends every job that reaches InProgress as
	// Failed with this message, without output.
	ForceFail string
	// PartialFraction (0..1) of each job's records (rounded up) are left
	// unprocessed, and the job ends PartiallyCompleted, as when AWS runs out of
	// time (spec §2.1).
	PartialFraction float64
	// HoldScheduled keeps jobs in Scheduled until they are stopped or until
	// Config.Now passes their jobExpirationTime, when they become Expired.
	HoldScheduled bool
	// OmitManifest ends jobs without manifest.json.out: AWS documents the
	// manifest, but not for every end state (Stopped, PartiallyCompleted).
	OmitManifest bool
	// LoseCreateResponses is how many of the next CreateModelInvocationJob
	// calls create their job and then answer InternalServerException, as
	// when the response is lost on the way: the client retries.
	LoseCreateResponses int
}

// Operation names, for InjectError.
const (
	OpCreateModelInvocationJob = "CreateModelInvocationJob"
	OpGetModelInvocationJob    = "GetModelInvocationJob"
	OpListModelInvocationJobs  = "ListModelInvocationJobs"
	OpStopModelInvocationJob   = "StopModelInvocationJob"
)

// Server is the emulator. It is an http.Handler; create it with New and stop
// its background jobs with Close.
type Server struct {
	cfg Config
	mux *http.ServeMux
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	faults   Faults
	rng      *mrand.Rand
	jobs     map[string]*job // by id
	tokens   map[string]*job // by clientRequestToken
	injected []injectedError
	closed   bool

	runtime runtimeLog // runtime calls answered (runtime.go)
}

type injectedError struct {
	op  string
	err *apiError
}

// New returns an emulator configured by cfg.
func New(cfg Config) *Server {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinRecordsPerJob == 0 {
		cfg.MinRecordsPerJob = DefaultMinRecordsPerJob
	}
	if cfg.MaxRecordsPerFile <= 0 {
		cfg.MaxRecordsPerFile = DefaultMaxRecordsPerFile
	}
	if cfg.MaxRecordsPerJob <= 0 {
		cfg.MaxRecordsPerJob = DefaultMaxRecordsPerJob
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if cfg.MaxJobBytes <= 0 {
		cfg.MaxJobBytes = DefaultMaxJobBytes
	}
	if cfg.MaxConcurrentJobsPerModel <= 0 {
		cfg.MaxConcurrentJobsPerModel = DefaultMaxConcurrentJobsPerModel
	}
	seed := cfg.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:    cfg,
		log:    log,
		ctx:    ctx,
		cancel: cancel,
		faults: cfg.Faults,
		rng:    mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		jobs:   make(map[string]*job),
		tokens: make(map[string]*job),
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("POST /model-invocation-job", s.operation(OpCreateModelInvocationJob, s.handleCreate))
	s.mux.Handle("GET /model-invocation-job/{jobIdentifier}", s.operation(OpGetModelInvocationJob, s.handleGet))
	s.mux.Handle("GET /model-invocation-jobs", s.operation(OpListModelInvocationJobs, s.handleList))
	s.mux.Handle("POST /model-invocation-job/{jobIdentifier}/stop", s.operation(OpStopModelInvocationJob, s.handleStop))
	s.routeRuntime()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(UnknownOperationException, "Unknown operation %s %s", r.Method, r.URL.EscapedPath()))
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", newRequestID())
	s.mux.ServeHTTP(w, r)
}

// Close stops every job's background work and waits for it to end. Jobs keep
// the state they had; the handler keeps answering, but creates no new jobs.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// SetFaults replaces the fault-injection settings; running jobs see the new
// values at their next step.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Faults returns the current fault-injection settings.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// InjectError makes the next call of operation (one of the Op* names, or ""
// for any operation) fail with an error of type t and message, before it does
// anything. Errors are queued and used once each. It returns an error for an
// unknown operation or error type.
func (s *Server) InjectError(operation string, t ErrorType, message string) error {
	switch operation {
	case "", OpCreateModelInvocationJob, OpGetModelInvocationJob, OpListModelInvocationJobs, OpStopModelInvocationJob,
		OpInvokeModel, OpConverse:
	default:
		return fmt.Errorf("unknown operation %q", operation)
	}
	if !t.known() {
		return fmt.Errorf("unknown error type %q", t)
	}
	s.mu.Lock()
	s.injected = append(s.injected, injectedError{op: operation, err: &apiError{Type: t, Message: message}})
	s.mu.Unlock()
	return nil
}

// StatusHistory returns every status a job has had, oldest first, for tests
// that check a lifecycle path. jobIdentifier is a job id or ARN.
func (s *Server) StatusHistory(jobIdentifier string) ([]Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[jobIDOf(jobIdentifier)]
	if j == nil {
		return nil, false
	}
	return append([]Status(nil), j.history...), true
}

// operation wraps a handler with fault injection: queued errors first, then
// throttling and server errors by fraction.
func (s *Server) operation(name string, h func(*http.Request) (any, *apiError)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := s.fault(name); e != nil {
			writeError(w, e)
			return
		}
		out, e := h(r)
		if e != nil {
			writeError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *Server) fault(op string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, in := range s.injected {
		if in.op == "" || in.op == op {
			s.injected = append(s.injected[:i], s.injected[i+1:]...)
			return in.err
		}
	}
	if f := s.faults.ThrottleFraction; f > 0 && s.rng.Float64() < f {
		return errorf(ThrottlingException, "Too many requests, please wait before trying again.")
	}
	if f := s.faults.ServerErrorFraction; f > 0 && s.rng.Float64() < f {
		return errorf(InternalServerException, "Internal server error.")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		w.Header().Set("X-Amzn-ErrorType", string(InternalServerException)+errorTypeNamespace)
		b = []byte(`{"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// newRequestID returns a random UUID, the form AWS uses for x-amzn-RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
