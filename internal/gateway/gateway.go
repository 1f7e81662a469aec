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
	"sort"
	"sync"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/bedrockmodel"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/cost"
	"github.com/batchgate/batchgate/internal/translate"
)

// JobRunner runs Bedrock batch jobs; *bedrock.Runner implements it.
type JobRunner interface {
	Create(ctx context.Context, s bedrock.JobSpec) (string, error)
	Get(ctx context.Context, arn string) (*bedrock.Job, error)
	Stop(ctx context.Context, arn string) error
}

// Deployment is one batch model: a model_list entry with its clients.
type Deployment struct {
	config.Model
	Objects batchgate.ObjectStore
	Jobs    JobRunner
	Price   cost.Price
	// Runtime runs the requests of batches below the batch minimum on
	// demand (model_info.batch_below_minimum: on_demand); nil otherwise.
	Runtime RuntimeInvoker
}

// Name is the model name clients use.
func (d *Deployment) Name() string { return d.ModelName }

// ModelID is the Bedrock model id.
func (d *Deployment) ModelID() string { return d.LiteLLMParams.BedrockModelID() }

// baseModelID is the foundation model the deployment runs (lower-cased):
// model_info's base_model when it names one, else the model id's; "" when
// neither does.
func (d *Deployment) baseModelID() string {
	return bedrockmodel.Base(d.LiteLLMParams.Model, d.ModelInfo.BaseModel)
}

func (d *Deployment) translateOptions() translate.Options {
	return translate.Options{ModelID: d.ModelID(), BaseModel: d.ModelInfo.BaseModel, InvocationType: d.LiteLLMParams.Invocation()}
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
	if !batchgate.ModelAllowed(c.Key.Models, name) {
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
	Deployments map[string]*Deployment // by model name
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
	for _, d := range deployments {
		g.Deployments[d.Name()] = d
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
