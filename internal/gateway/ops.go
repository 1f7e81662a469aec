package gateway

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
)

// RetryPolicy is the reconciler's backoff for one batch after a Bedrock
// call that did not go through: Base doubles with each failure up to Max
// (ThrottlingException, 5xx, network errors), or up to QuotaMax while the
// model's concurrent-job quota is full, so a queued batch is tried again
// soon after a slot frees.
type RetryPolicy struct {
	Base     time.Duration // default 1s
	Max      time.Duration // default 5m
	QuotaMax time.Duration // default 30s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.Max <= 0 {
		p.Max = 5 * time.Minute
	}
	if p.QuotaMax <= 0 {
		p.QuotaMax = 30 * time.Second
	}
	return p
}

// delay is the wait after the n-th failure in a row, with ±25% jitter so
// that replicas and batches do not retry in lockstep.
func (p RetryPolicy) delay(n int, quota bool) time.Duration {
	p = p.withDefaults()
	limit := p.Max
	if quota {
		limit = p.QuotaMax
	}
	d := p.Base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d - d/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// opsState is the reconciler's in-memory state of this replica: backoff per
// batch and the batches a request of this replica is submitting. Leases keep
// a batch with one replica, so the state lives where the batch is worked; a
// replica that takes over a batch starts it afresh.
type opsState struct {
	mu       sync.Mutex
	retry    map[string]retryState
	inflight map[string]bool
	submit   sync.Map              // model name -> *sync.Mutex (submitLock)
	notFound map[string]time.Time  // job ARN -> first ResourceNotFoundException (lostjob.go)
	aside    map[string]asideState // deployment id -> its backoff after a refusal (group.go)
}

type retryState struct {
	failures int
	next     time.Time
}

// due reports whether batch id may be worked at now.
func (g *Gateway) due(id string, now time.Time) bool {
	g.ops.mu.Lock()
	defer g.ops.mu.Unlock()
	if g.ops.inflight[id] {
		return false
	}
	r, ok := g.ops.retry[id]
	return !ok || !now.Before(r.next)
}

// backoff records the outcome of working batch id: a transient error
// postpones its next attempt, success clears the backoff. It returns the
// delay (0 on success).
func (g *Gateway) backoff(id string, err error, now time.Time) time.Duration {
	g.ops.mu.Lock()
	defer g.ops.mu.Unlock()
	if err == nil {
		delete(g.ops.retry, id)
		return 0
	}
	if g.ops.retry == nil {
		g.ops.retry = map[string]retryState{}
	}
	r := g.ops.retry[id]
	r.failures++
	d := g.Retry.delay(r.failures, bedrock.QuotaFull(err))
	r.next = now.Add(d)
	g.ops.retry[id] = r
	return d
}

// setInflight marks batch id as being submitted by a request of this
// replica, so that the reconciler leaves it alone meanwhile.
func (g *Gateway) setInflight(id string, on bool) {
	g.ops.mu.Lock()
	defer g.ops.mu.Unlock()
	if g.ops.inflight == nil {
		g.ops.inflight = map[string]bool{}
	}
	if on {
		g.ops.inflight[id] = true
	} else {
		delete(g.ops.inflight, id)
	}
}

// errQueued is returned by the concurrent-job check when the model's
// batch_max_concurrent_jobs are running: the batch waits like it does for
// Bedrock's ServiceQuotaExceededException.
func errQueued(d *Deployment) error {
	return &batchgate.Error{Code: batchgate.ERATELIMIT, Message: "the model " + d.Name() + " runs its maximum of concurrent batch jobs; the batch is queued"}
}

// jobSlots returns how many more jobs of the deployment may start under its
// batch_max_concurrent_jobs quota (a large number when it has none). It
// counts the Bedrock jobs of running batches that have not ended, in one
// query however many batches run.
func (g *Gateway) jobSlots(ctx context.Context, d *Deployment) (int, error) {
	max := d.Quotas.MaxConcurrentJobs
	if max <= 0 {
		return 1 << 30, nil
	}
	running, err := g.runningJobs(ctx, g.Group(d.Name())[0])
	if err != nil {
		return 0, err
	}
	return max - running[d.ID], nil
}

// uploadAborter is an ObjectStore that can abort unfinished multipart
// uploads (*s3store.Store).
type uploadAborter interface {
	AbortUploads(ctx context.Context, bucket, prefix string, before time.Time, match func(key string) bool) (int, error)
}

// staleAge is StaleUploadAge, 1h by default.
func (g *Gateway) staleAge() time.Duration {
	if g.StaleUploadAge > 0 {
		return g.StaleUploadAge
	}
	return time.Hour
}

// AbortStaleUploads aborts the multipart uploads batchgate started more
// than StaleUploadAge ago and never finished (input files, and result files
// written at settlement): a gateway that crashed mid-upload could not abort
// them itself, and S3 keeps (and bills) their parts until someone does.
// Bedrock's own uploads under the output prefix are left alone.
func (g *Gateway) AbortStaleUploads(ctx context.Context) (int, error) {
	before := g.now().Add(-g.staleAge())
	total := 0
	var errs []error // one refused sweep (a missing permission, say) does not stop the others
	for _, p := range g.sweptPrefixes() {
		a, ok := p.d.Objects.(uploadAborter)
		if !ok {
			continue
		}
		var match func(string) bool
		if p.results {
			match = isResultKey
		}
		n, err := a.AbortUploads(ctx, p.bucket, p.prefix, before, match)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if total > 0 {
		g.Log.Info("aborted unfinished uploads", "count", total)
	}
	return total, errors.Join(errs...)
}

// sweptPrefix is a bucket and prefix where batchgate keeps its own objects,
// for the sweeps: results says only its result files there are batchgate's
// (Bedrock writes the rest of the output prefix).
type sweptPrefix struct {
	d              *Deployment
	bucket, prefix string
	results        bool
}

// sweptPrefixes are the input and output prefixes of every deployment's
// buckets, each bucket and prefix once.
func (g *Gateway) sweptPrefixes() []sweptPrefix {
	seen := map[string]bool{}
	var out []sweptPrefix
	var all []*Deployment
	for _, d := range g.Deployments {
		all = append(all, g.Group(d.Name())...)
	}
	for _, d := range all {
		for _, p := range []sweptPrefix{
			{d: d, bucket: d.InputBucket, prefix: d.InputPrefix + inputPrefix},
			{d: d, bucket: d.OutputBucket, prefix: d.OutputPrefix + outputPrefix, results: true},
		} {
			if !seen[p.bucket+"/"+p.prefix] {
				seen[p.bucket+"/"+p.prefix] = true
				out = append(out, p)
			}
		}
	}
	return out
}
