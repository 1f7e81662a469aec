// Package gateway is batchgate's application layer: it turns OpenAI file and
// batch requests into S3 objects and Bedrock jobs, tracks the jobs, bills
// them, and serves their results. HTTP lives in internal/httpapi; storage,
// S3 and Bedrock sit behind the interfaces it is given.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/bedrockmodel"
	"github.com/batchgate/batchgate/internal/cost"
	"github.com/batchgate/batchgate/internal/translate"
)

// JobRunner runs Bedrock batch jobs; *bedrock.Runner implements it.
type JobRunner interface {
	Create(ctx context.Context, s bedrock.JobSpec) (string, error)
	Get(ctx context.Context, arn string) (*bedrock.Job, error)
	Stop(ctx context.Context, arn string) error
}

// Deployment is one deployment of a model group: where and how its batch
// jobs run, with its clients. internal/deploy fills it from a model_list
// entry; several deployments may share a group name (ModelName).
type Deployment struct {
	// ID tells the deployments of a group apart in stored jobs: the
	// entry's model_info.id, else a digest of where its jobs run.
	ID        string
	ModelName string // the group name clients use
	// Model is litellm_params.model as configured ("bedrock/..."),
	// BedrockModelID the id Bedrock runs, BaseModel model_info.base_model.
	Model, BedrockModelID, BaseModel string
	InvocationType                   string // "" (InvokeModel) or "Converse"
	Region                           string // where its jobs run
	// InputBucket holds the input objects its jobs read, OutputBucket
	// their output; KMSKeyID encrypts what batchgate writes.
	InputBucket, OutputBucket string
	// InputPrefix and OutputPrefix ("" or "prefix/") are where batchgate's
	// objects go in those buckets (s3_bucket_name "bucket/prefix").
	InputPrefix, OutputPrefix string
	KMSKeyID                  string
	RoleARN                   string // the IAM role its jobs run with
	// BedrockEndpointURL is litellm_params.bedrock_endpoint_url ("" for
	// AWS's), shown to admins by GET /health as LiteLLM's api_base.
	BedrockEndpointURL string
	// S3Account tells apart buckets of the same name reached through
	// different endpoints, regions or credentials (the readiness check).
	S3Account string
	Quotas    Quotas
	Price     cost.Price
	Info      ModelInfo

	Objects batchgate.ObjectStore
	Jobs    JobRunner
	// Runtime, when set, runs batches below the batch minimum on demand
	// (model_info.batch_below_minimum: on_demand), at most
	// OnDemandConcurrency requests at a time.
	Runtime             RuntimeInvoker
	OnDemandConcurrency int
	// Health, if set, checks that the deployment's buckets and Bedrock
	// answer, returning what failed (GET /health); deploy.FromConfig sets it.
	Health func(ctx context.Context) []string
}

// Quotas are the deployment's batch limits (see config.Quotas).
type Quotas struct {
	MinRecords        int
	MaxRecordsPerJob  int
	MaxBytesPerFile   int64
	MaxBytesPerJob    int64
	MaxConcurrentJobs int
}

// MaxBytesPerPart is the size of one input object batchgate writes: each
// object is one job's only file, so it must fit both limits.
func (q Quotas) MaxBytesPerPart() int64 { return min(q.MaxBytesPerFile, q.MaxBytesPerJob) }

// ModelInfo is what /model_group/info reports of the deployment beyond
// what batchgate derives (nil: not configured).
type ModelInfo struct {
	ID                                                         string // model_info.id as configured ("" when not)
	Mode                                                       string // model_info.mode as configured ("" when not)
	MaxInputTokens, MaxOutputTokens                            *int
	InputCostPerToken, OutputCostPerToken                      *float64
	SupportsVision, SupportsFunctionCalling, SupportsReasoning *bool
}

// Name is the model name clients use.
func (d *Deployment) Name() string { return d.ModelName }

// ModelID is the Bedrock model id.
func (d *Deployment) ModelID() string { return d.BedrockModelID }

// baseModelID is the foundation model the deployment runs (lower-cased):
// model_info's base_model when it names one, else the model id's; "" when
// neither does.
func (d *Deployment) baseModelID() string {
	return bedrockmodel.Base(d.Model, d.BaseModel)
}

func (d *Deployment) translateOptions() translate.Options {
	return translate.Options{ModelID: d.ModelID(), BaseModel: d.BaseModel, InvocationType: d.InvocationType}
}

// Check reports whether batchgate can translate batches for the
// deployment's model (its family and invocation type), so that a model it
// cannot serve fails at start rather than on every upload.
func (d *Deployment) Check() error {
	if err := d.translateOptions().Check(); err != nil {
		return fmt.Errorf("%w (for an application inference profile or a provisioned model ARN, set model_info.base_model to its foundation model id)", err)
	}
	return nil
}

// Caller is the authenticated principal of a request.
type Caller struct {
	Key   *batchgate.Key  // nil for the master key
	User  *batchgate.User // the key's user, if it has one that exists
	Team  *batchgate.Team // the key's team, if it has one that exists
	Scope batchgate.Scope
	Owner batchgate.Owner
}

// Admin reports whether the caller holds the master key.
func (c Caller) Admin() bool { return c.Key == nil && c.Scope.All }

// AllowsModel reports whether the caller may use the model name: its key,
// its user and its team must all allow it.
func (c Caller) AllowsModel(name string) bool {
	if c.Key == nil {
		return true
	}
	keyModels := c.Key.Models
	if slices.Contains(keyModels, batchgate.AllTeamModels) {
		// LiteLLM's all-team-models: the key has its team's models (none
		// without a team, an empty list: every model).
		keyModels = nil
		if c.Team != nil {
			keyModels = c.Team.Models
		}
	}
	if !batchgate.ModelAllowed(keyModels, name) {
		return false
	}
	if c.User != nil && !batchgate.ModelAllowed(c.User.Models, name) {
		return false
	}
	return c.Team == nil || batchgate.ModelAllowed(c.Team.Models, name)
}

// Gateway serves files and batches.
type Gateway struct {
	Store       batchgate.Store
	Deployments map[string]*Deployment // by model name: the first of each group (see Group)
	groups      map[string][]*Deployment
	Log         *slog.Logger
	Now         func() time.Time

	// ReplicaID names this process in batch leases; LeaseTTL is how long a
	// lease lasts without renewal; ClaimLimit how many batches one
	// reconciliation pass takes on.
	ReplicaID  string
	LeaseTTL   time.Duration
	ClaimLimit int
	// ReconcileWorkers is how many of its claimed batches a pass works at
	// once (0: DefaultReconcileWorkers).
	ReconcileWorkers int
	// MaxLineBytes bounds one JSONL line (Bedrock's InvokeModel body is at most 25 MB).
	MaxLineBytes int
	// MaxErrors is how many line problems an upload reports at most.
	MaxErrors int

	// Retry is the reconciler's backoff after a throttled, failed or
	// quota-refused Bedrock call (zero values: defaults, see ops.go).
	Retry RetryPolicy
	// StaleUploadAge is how old an unfinished multipart upload of an input
	// or result file must be for the reconciler to abort it, and an object
	// of batchgate's that nothing references for it to be deleted
	// (default 1h; see orphans.go).
	StaleUploadAge time.Duration
	// FileExpireAfter is the lifetime of an input file uploaded without
	// expires_after, OutputExpireAfter that of a batch's output and error
	// files from settlement (0: kept until deleted). See fileexpiry.go.
	FileExpireAfter   time.Duration
	OutputExpireAfter time.Duration
	// JobNotFoundGrace is how long Bedrock may answer that it does not
	// know a batch's job before the batch ends failed (or cancelled, when
	// it was being cancelled) (0: DefaultJobNotFoundGrace). See lostjob.go.
	JobNotFoundGrace time.Duration

	ops opsState
	// uploading holds the ids of the files this replica is uploading: the
	// orphan sweep leaves their objects alone, however long they take.
	uploading sync.Map
	// largeResults holds a slot for each settlement writing large result
	// files (results.go); nil: no bound.
	largeResults chan struct{}
}

// New returns a Gateway with defaults.
func New(store batchgate.Store, deployments []*Deployment, log *slog.Logger) *Gateway {
	g := &Gateway{
		Store: store, Deployments: map[string]*Deployment{}, Log: log, Now: time.Now,
		ReplicaID: NewID("replica-"), LeaseTTL: time.Minute, ClaimLimit: 1000, MaxLineBytes: 32 << 20, MaxErrors: 20,
		largeResults: make(chan struct{}, maxLargeResultWrites),
	}
	g.groups = map[string][]*Deployment{}
	for _, d := range deployments {
		if g.Deployments[d.Name()] == nil { // a group's first deployment stands for it
			g.Deployments[d.Name()] = d
		}
		g.groups[d.Name()] = append(g.groups[d.Name()], d)
	}
	return g
}

// Models returns the deployments the caller may use, by name.
func (g *Gateway) Models(c Caller) []*Deployment {
	var out []*Deployment
	for _, d := range g.Deployments {
		if c.AllowsModel(d.Name()) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// deployment resolves a model name, or a deployment's Bedrock model id with
// or without "bedrock/", as the caller may name it.
func (g *Gateway) deployment(name string) *Deployment {
	if d, ok := g.Deployments[name]; ok {
		return d
	}
	for _, d := range g.Deployments {
		if d.Names(name) {
			return d
		}
	}
	return nil
}

// NewID returns prefix followed by 24 random hex characters. The characters
// are all in the S3 key alphabet Bedrock accepts (spec §1.5).
func NewID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func (g *Gateway) now() time.Time { return g.Now().UTC() }

func ptr[T any](v T) *T { return &v }

func notFound(kind, id string) error {
	return &batchgate.Error{Code: batchgate.ENOTFOUND, Message: "No such " + kind + ": '" + id + "'", Param: kind + "_id"}
}
