package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
)

// A model group is the deployments that share a model_name (LiteLLM's
// load-balanced deployments): one per region, account or inference
// profile. Uploads go to the group's first deployment's input bucket (its
// quotas split the file and check its minimum); a batch's job is placed on
// a deployment with a free job slot, and its input is copied inside S3 to
// that deployment's bucket when it is another one. The job's deployment is
// stored with it (Batch.Deployment), so that it is polled where it runs.

// objectCopier is an ObjectStore that copies objects inside S3 (*s3store.Store).
type objectCopier interface {
	Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey, kmsKeyID string) error
}

// Group returns the deployments of the model group name, in config order.
func (g *Gateway) Group(name string) []*Deployment {
	if grp := g.groups[name]; len(grp) > 0 {
		return grp
	}
	if d := g.Deployments[name]; d != nil {
		return []*Deployment{d}
	}
	return nil
}

// deploymentOf returns the deployment of primary's group with id, where a
// stored job runs; primary for "" (batches from before groups) or an id
// no longer configured.
func (g *Gateway) deploymentOf(primary *Deployment, id string) *Deployment {
	if id == "" || id == primary.ID {
		return primary
	}
	for _, d := range g.Group(primary.Name()) {
		if d.ID == id {
			return d
		}
	}
	return primary
}

// asideState is a deployment set aside after a refusal: in memory, per
// replica (a restart tries every deployment again).
type asideState struct {
	failures int
	until    time.Time
}

// setAside keeps d out of placement for a backoff that doubles with each
// refusal in a row (RetryPolicy's Base up to Max).
func (g *Gateway) setAside(d *Deployment, err error) {
	g.ops.mu.Lock()
	defer g.ops.mu.Unlock()
	if g.ops.aside == nil {
		g.ops.aside = map[string]asideState{}
	}
	a := g.ops.aside[d.ID]
	a.failures++
	wait := g.Retry.delay(a.failures, false)
	a.until = g.now().Add(wait)
	g.ops.aside[d.ID] = a
	g.Log.Warn("deployment set aside", "model", d.Name(), "deployment", d.ID, "region", d.Region, "for", wait.String(), "err", err)
}

// clearAside ends d's backoff after a job it accepted.
func (g *Gateway) clearAside(d *Deployment) {
	g.ops.mu.Lock()
	defer g.ops.mu.Unlock()
	delete(g.ops.aside, d.ID)
}

// asideUntil returns when d's backoff ends (zero: it is not set aside).
func (g *Gateway) asideUntil(d *Deployment) time.Time {
	g.ops.mu.Lock()
	defer g.ops.mu.Unlock()
	if a, ok := g.ops.aside[d.ID]; ok && g.now().Before(a.until) {
		return a.until
	}
	return time.Time{}
}

// candidates returns the deployments of primary's group a new job may go
// to, best first: the one the batch was placed on (cur) while it has a
// slot, so that a retry after a lost response reuses its token there; then
// the others not set aside, most free slots first (config order on ties).
// skipped reports whether a deployment was left out, set aside or full:
// it may take the batch later.
func (g *Gateway) candidates(ctx context.Context, primary *Deployment, cur string) (out []*Deployment, skipped bool, err error) {
	grp := g.Group(primary.Name())
	running, err := g.runningJobs(ctx, primary)
	if err != nil {
		return nil, false, err
	}
	free := map[string]int{}
	for _, d := range grp {
		if len(grp) > 1 && !g.asideUntil(d).IsZero() {
			skipped = true
			continue
		}
		if n := slotsOf(d, primary, running); n > 0 {
			free[d.ID] = n
			out = append(out, d)
		} else {
			skipped = true // full now: it may take the batch later
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].ID == cur) != (out[j].ID == cur) {
			return out[i].ID == cur
		}
		return free[out[i].ID] > free[out[j].ID]
	})
	return out, skipped, nil
}

// runningJobs counts the running jobs of primary's group by deployment id
// ("" counted as primary's).
func (g *Gateway) runningJobs(ctx context.Context, primary *Deployment) (map[string]int, error) {
	running, err := g.Store.CountRunningJobsByDeployment(ctx, primary.Name())
	if err != nil {
		return nil, err
	}
	if n, ok := running[""]; ok {
		running[primary.ID] += n
		delete(running, "")
	}
	return running, nil
}

// slotsOf is how many more jobs d may start under its batch_max_concurrent_jobs.
func slotsOf(d, primary *Deployment, running map[string]int) int {
	if d.Quotas.MaxConcurrentJobs <= 0 {
		return 1 << 30
	}
	return d.Quotas.MaxConcurrentJobs - running[d.ID]
}

// stageInput makes the input object key of file f readable in d's input
// bucket: a server-side copy when d reads another bucket than the upload's.
func (g *Gateway) stageInput(ctx context.Context, f *batchgate.File, key string, d *Deployment) error {
	if d.InputBucket == f.Bucket {
		return nil
	}
	c, ok := d.Objects.(objectCopier)
	if !ok {
		return fmt.Errorf("deployment %s cannot copy the input to its bucket %s", d.ID, d.InputBucket)
	}
	return c.Copy(ctx, f.Bucket, key, d.InputBucket, g.stagedKey(f, key, d), d.KMSKeyID)
}

// stagedKey is where d's jobs read the input object key of file f: key
// itself in the upload's bucket, else the same object under d's own prefix
// in d's bucket, where d's sweeps of stale objects look.
func (g *Gateway) stagedKey(f *batchgate.File, key string, d *Deployment) string {
	if d.InputBucket == f.Bucket {
		return key
	}
	return d.InputPrefix + strings.TrimPrefix(key, g.Group(d.Name())[0].InputPrefix)
}

// placedJob looks on cur, the deployment a batch was placed on, for its
// job of name made by an earlier create whose answer was lost, before the
// batch leaves cur: a client token does not carry across deployments. It
// returns the job's ARN, "" when cur has none. An error is cur's not
// answering: the batch waits rather than risk a second job. Without
// permission to list, it cannot tell, and says so in the log (as adoptJob).
func (g *Gateway) placedJob(ctx context.Context, cur *Deployment, name, token string) (string, error) {
	f, ok := cur.Jobs.(JobFinder)
	if !ok {
		return "", nil
	}
	jobs, err := f.FindJobs(ctx, name)
	if bedrock.Permanent(err) {
		g.Log.ErrorContext(ctx, "the jobs could not be listed before the batch moved: a lost create may have left a job of this name untracked",
			"deployment", cur.ID, "job_name", name, "err", err)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, j := range jobs {
		if j.Name == name && (j.ClientToken == "" || j.ClientToken == token) {
			g.Log.InfoContext(ctx, "bedrock job adopted: its create response was lost", "deployment", cur.ID, "job_arn", j.ARN, "job_name", name)
			return j.ARN, nil
		}
	}
	return "", nil
}

// DeploymentStatus is one deployment of a model group, for
// /model_group/info and /metrics.
type DeploymentStatus struct {
	ID, Model, Region string
	// JobsRunning are its jobs that have not ended; MaxConcurrentJobs its
	// batch_max_concurrent_jobs (0: no limit of batchgate's own).
	JobsRunning, MaxConcurrentJobs int
	// AsideUntil is when it is tried again after a refusal (nil: in use).
	AsideUntil *time.Time
}

// DeploymentStatuses returns the state of the deployments of group name.
func (g *Gateway) DeploymentStatuses(ctx context.Context, name string) ([]DeploymentStatus, error) {
	grp := g.Group(name)
	if len(grp) == 0 {
		return nil, nil
	}
	running, err := g.runningJobs(ctx, grp[0])
	if err != nil {
		return nil, err
	}
	out := make([]DeploymentStatus, len(grp))
	for i, d := range grp {
		out[i] = DeploymentStatus{ID: d.ID, Model: d.Name(), Region: d.Region, JobsRunning: running[d.ID], MaxConcurrentJobs: d.Quotas.MaxConcurrentJobs}
		if t := g.asideUntil(d); !t.IsZero() {
			out[i].AsideUntil = &t
		}
	}
	return out, nil
}

// AllDeploymentStatuses is DeploymentStatuses of every model group, by name.
func (g *Gateway) AllDeploymentStatuses(ctx context.Context) ([]DeploymentStatus, error) {
	names := make([]string, 0, len(g.Deployments))
	for name := range g.Deployments {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []DeploymentStatus
	for _, name := range names {
		sts, err := g.DeploymentStatuses(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, sts...)
	}
	return out, nil
}

// deploymentWithBucket returns the deployment of primary's group whose
// client reaches bucket (its input or output bucket; primary first), so
// that an object in another region's bucket is read with that region's
// client.
func (g *Gateway) deploymentWithBucket(primary *Deployment, bucket string) *Deployment {
	for _, d := range g.Group(primary.Name()) {
		if d.InputBucket == bucket || d.OutputBucket == bucket {
			return d
		}
	}
	return primary
}

// unreachable reports whether err says a request never reached the
// deployment (no connection, no DNS answer), so that no job can have been
// created and the batch may go elsewhere with its token.
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns)
}
