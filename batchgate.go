// Package batchgate holds the domain types of the gateway: files, batches,
// keys and spend, and the interfaces the adapters implement (Store,
// ObjectStore, JobRunner). It imports only the standard library; the HTTP API,
// the SQL stores, S3 and Bedrock live in internal packages.
package batchgate

import (
	"context"
	"io"
	"time"
)

// Owner says who created a file or batch. Every read is checked against it.
// A key owns by its ID, never by its secret's hash: a custom secret issued
// again after its key was deleted makes a new key with a new ID, which must
// not inherit the old key's files, batches, reservations or spend.
type Owner struct {
	KeyID  string // Key.ID of the virtual key; empty for the master key
	UserID string
	TeamID string
}

// Scope limits what a caller may see. The zero Scope sees nothing; All sees everything.
type Scope struct {
	All    bool   // the master key
	KeyID  string // objects created by the key with this Key.ID
	TeamID string // and, when set, objects of this team
}

// Allows reports whether the scope may see an object owned by o.
func (s Scope) Allows(o Owner) bool {
	switch {
	case s.All:
		return true
	case s.KeyID != "" && o.KeyID == s.KeyID:
		return true
	case s.TeamID != "" && o.TeamID == s.TeamID:
		return true
	}
	return false
}

// FilePurpose values, as OpenAI names them.
const (
	PurposeBatch       = "batch"
	PurposeBatchOutput = "batch_output"
)

// File is an uploaded batch input or a batch's output or error file.
// Its S3 location is never shown to clients: the ID is opaque.
type File struct {
	ID        string
	Purpose   string
	Filename  string
	Bytes     int64 // size the client sees (the OpenAI form for input files)
	Records   int   // lines in the file
	CreatedAt time.Time
	ExpiresAt *time.Time
	Owner     Owner

	Kind     string // FileInput, FileOutput or FileError
	Endpoint string // for input files: the url of every line, e.g. /v1/chat/completions
	Model    string // model_name of the deployment the file was prepared for
	Bucket   string // where the object lives; for input files it holds the translated Bedrock records
	Key      string
	BatchID  string // for output and error files

	// Worst-case token counts of an input file, for budget reservations:
	// input tokens estimated from the translated records, and the sum of
	// every request's output token limit.
	EstimatedInputTokens int64
	MaxOutputTokens      int64
}

// File kinds. Output and error files of a batch share the Bedrock output
// object: each serves the lines of its own kind.
const (
	FileInput  = "input"
	FileOutput = "output"
	FileError  = "error"
)

// Batch is an OpenAI batch backed by one Bedrock model invocation job.
type Batch struct {
	ID               string
	Endpoint         string
	InputFileID      string
	CompletionWindow string
	Metadata         map[string]string
	Owner            Owner

	Model   string // model_name the caller asked for
	ModelID string // the deployment's Bedrock model id

	Status  string // OpenAI status
	Message string // why the batch failed, if it did

	// The Bedrock job. ClientToken is stored before CreateModelInvocationJob
	// is called, so a retry after a crash never starts a second job.
	ClientToken  string
	JobName      string
	JobARN       string
	JobStatus    string
	OutputPrefix string // s3://bucket/prefix/ given to Bedrock

	OutputFileID string
	ErrorFileID  string
	// OutputExpiresAfter is how long (seconds) the output and error files
	// live from settlement: OpenAI's output_expires_after (0: the
	// configured default).
	OutputExpiresAfter int64

	RequestCounts RequestCounts
	Usage         Usage
	Cost          float64
	// Reserved is the worst-case cost held against the budgets of the key,
	// user and team while the batch runs; settlement replaces it by Cost.
	Reserved float64

	// LeaseOwner and LeaseUntil say which replica works the batch, so that
	// each running batch is polled by one replica at a time.
	LeaseOwner string
	LeaseUntil *time.Time

	CreatedAt    time.Time
	ExpiresAt    *time.Time
	InProgressAt *time.Time
	FinalizingAt *time.Time
	CompletedAt  *time.Time
	FailedAt     *time.Time
	ExpiredAt    *time.Time
	CancellingAt *time.Time
	CancelledAt  *time.Time
	UpdatedAt    time.Time
}

// OpenAI batch statuses.
const (
	StatusValidating = "validating"
	StatusFailed     = "failed"
	StatusInProgress = "in_progress"
	StatusFinalizing = "finalizing"
	StatusCompleted  = "completed"
	StatusExpired    = "expired"
	StatusCancelling = "cancelling"
	StatusCancelled  = "cancelled"
)

// Terminal reports whether a batch in status s will not change again.
func Terminal(s string) bool {
	switch s {
	case StatusFailed, StatusCompleted, StatusExpired, StatusCancelled:
		return true
	}
	return false
}

// RequestCounts are OpenAI's per-batch request counts.
type RequestCounts struct {
	Total     int64
	Completed int64
	Failed    int64
}

// Usage is token usage.
type Usage struct {
	InputTokens  int64
	OutputTokens int64
}

// Budget is a spend limit shared by keys, users and teams. Spend is what
// has been billed since the last reset; BudgetDuration ("30d", LiteLLM's
// form) resets it at BudgetResetAt.
type Budget struct {
	MaxBudget      *float64
	Spend          float64
	BudgetDuration string
	BudgetResetAt  *time.Time
}

// Key is a virtual API key. The secret itself is never stored: Token is its hash.
// ID names the key for ownership: it is random, set once at creation and
// never reused, while Token repeats whenever the same secret is issued again.
type Key struct {
	ID       string // "key-" and random hex; what Owner.KeyID and Scope.KeyID hold
	Token    string // SHA-256 of the key, hex
	KeyName  string // masked form shown in listings, e.g. "sk-...abcd"
	KeyAlias string
	Models   []string // model names the key may use; empty means all
	UserID   string
	TeamID   string
	Budget
	Metadata  map[string]any
	ExpiresAt *time.Time
	// Blocked keys are refused on every route until unblocked (LiteLLM's
	// /key/block and /key/unblock).
	Blocked   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a LiteLLM internal user: keys with its UserID share its models and budget.
type User struct {
	UserID    string
	UserEmail string
	UserAlias string
	Models    []string // empty means all
	Budget
	Metadata  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Team groups users and keys under one model list and budget.
type Team struct {
	TeamID    string
	TeamAlias string
	Models    []string // empty means all
	Members   []TeamMember
	Budget
	Metadata  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TeamMember is a user's membership of a team.
type TeamMember struct {
	UserID string
	Role   string // "admin" or "user", as LiteLLM has it
}

// Expired reports whether the key has expired at now.
func (k *Key) Expired(now time.Time) bool { return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) }

// ModelAllowed reports whether a model list (of a key, user or team)
// allows model name m. An empty list allows every model, as in LiteLLM.
func ModelAllowed(models []string, m string) bool {
	if len(models) == 0 {
		return true
	}
	for _, x := range models {
		if x == m || x == "*" || x == "all-proxy-models" {
			return true
		}
	}
	return false
}

// SpendLog is one billed batch. BatchID is unique: a batch is billed once.
type SpendLog struct {
	BatchID   string
	Owner     Owner
	Model     string
	ModelID   string
	Usage     Usage
	Cost      float64
	CreatedAt time.Time
	// The prices the batch was billed at (USD per token) and where they
	// came from (model_info, the built-in table, ...), for audits after
	// the configuration has changed.
	InputCostPerToken  float64
	OutputCostPerToken float64
	PriceSource        string
}

// Page selects a page of a listing ordered by creation time, newest first
// as OpenAI lists are, or oldest first when Ascending (OpenAI's order=asc).
// After is the id of the last item of the previous page.
type Page struct {
	After     string
	Limit     int
	Ascending bool
}

// FileFilter selects files.
type FileFilter struct {
	Scope   Scope
	Purpose string
	Page
}

// BatchFilter selects batches.
type BatchFilter struct {
	Scope       Scope
	NonTerminal bool // only batches that are still running
	Page
}

// Store persists keys, files, batches and spend. FindXByID/ByToken, Update
// and Delete return an *Error with code ENOTFOUND when the object does not
// exist; listings return an empty result. Create returns ECONFLICT for a
// duplicate id (CreateKey: a duplicate ID or Token; EINVALID for an empty
// ID). UpdateKey never changes Spend (only RecordSpend does), nor ID.
type Store interface {
	Ping(ctx context.Context) error

	CreateKey(ctx context.Context, k *Key) error
	FindKeyByToken(ctx context.Context, token string) (*Key, error)
	FindKeys(ctx context.Context, userID, teamID string) ([]*Key, error)
	UpdateKey(ctx context.Context, k *Key) error
	DeleteKey(ctx context.Context, token string) error

	CreateFile(ctx context.Context, f *File) error
	FindFileByID(ctx context.Context, id string) (*File, error)
	FindFiles(ctx context.Context, filter FileFilter) ([]*File, error)
	DeleteFile(ctx context.Context, id string) error

	CreateBatch(ctx context.Context, b *Batch) error
	FindBatchByID(ctx context.Context, id string) (*Batch, error)
	FindBatches(ctx context.Context, filter BatchFilter) ([]*Batch, error)
	// UpdateBatch writes b over the stored batch, keeping what a stale copy
	// must not undo: a Terminal batch is final (ECONFLICT), a JobARN once
	// set stays, cancelling stays until the batch ends, and a billed batch
	// keeps its billed Cost and no reservation (see internal/storetest).
	UpdateBatch(ctx context.Context, b *Batch) error

	// ClaimBatches leases up to limit running batches whose lease is free or
	// expired at now to owner until now+ttl, and returns them with the lease
	// set. Batches already leased to owner are returned too (renewed).
	ClaimBatches(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]*Batch, error)
	// ReservedSpend sums Reserved over running batches of the key, the user
	// and the team of owner (empty ids give 0).
	ReservedSpend(ctx context.Context, owner Owner) (key, user, team float64, err error)

	CreateUser(ctx context.Context, u *User) error
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUsers returns every user, newest first.
	FindUsers(ctx context.Context) ([]*User, error)
	UpdateUser(ctx context.Context, u *User) error
	CreateTeam(ctx context.Context, t *Team) error
	FindTeamByID(ctx context.Context, id string) (*Team, error)
	// FindTeams returns every team with its members, newest first.
	FindTeams(ctx context.Context) ([]*Team, error)
	UpdateTeam(ctx context.Context, t *Team) error

	// RecordSpend bills a batch once: in one transaction it inserts the log
	// and adds the cost to the spend of the key (by ID), user and team of s.Owner
	// (those that exist), replaces the batch's Reserved by its Cost, and
	// reports false when the batch was already billed.
	RecordSpend(ctx context.Context, s *SpendLog) (bool, error)
	FindSpendLogs(ctx context.Context, scope Scope) ([]*SpendLog, error)
	// ResetBudgets sets Spend to 0 on keys, users and teams whose
	// BudgetResetAt has passed at now, and moves BudgetResetAt on by their
	// BudgetDuration. It returns how many were reset.
	ResetBudgets(ctx context.Context, now time.Time) (int, error)

	// WithLock runs fn while holding the lock called name: no other
	// WithLock(name) on the same database runs its fn at the same time, in
	// this process or in another replica. fn's own store calls may use other
	// connections. fn must not call WithLock. The lock is released when fn
	// returns, fails or panics. WithLock returns ctx's error if the lock
	// could not be had, else fn's. Keep fn short: it blocks the others.
	WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error

	JobStore
	BatchOpsStore
	FileExpiryStore
	ObjectRefStore

	Close() error
}

// Object is a listed S3 object.
type Object struct {
	Key          string
	Size         int64
	LastModified time.Time
}

// ObjectStore reads and writes objects in S3.
type ObjectStore interface {
	// Put streams r to bucket/key (multipart for large bodies) and returns
	// the bytes written. kmsKeyID, when set, requests SSE-KMS.
	Put(ctx context.Context, bucket, key string, r io.Reader, kmsKeyID string) (int64, error)
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
	List(ctx context.Context, bucket, prefix string) ([]Object, error)
	Delete(ctx context.Context, bucket, key string) error
}

// TeamShareKey is the team metadata flag that lets every key of a team see
// the team's files and batches (by default a key sees only its own).
const TeamShareKey = "batchgate_share_batches"

// SharesObjects reports whether the team's keys see each other's files and batches.
func (t *Team) SharesObjects() bool {
	v, _ := t.Metadata[TeamShareKey].(bool)
	return v
}
