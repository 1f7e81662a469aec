package gateway

import (
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
)

// DefaultJobNotFoundGrace is how long Bedrock may answer
// ResourceNotFoundException for a job before its batch ends, when
// Gateway.JobNotFoundGrace is 0.
const DefaultJobNotFoundGrace = time.Hour

// A job Bedrock no longer knows (the region, account or endpoint changed,
// or the emulator restarted) would be read forever, its batch never ending
// and its reservation held. Bedrock is given a grace period, in case the
// answer is passing (a configuration being fixed, eventual consistency right
// after create); then the batch ends: failed, or cancelled if it was being
// cancelled. The period counts from the first not-found this replica saw
// (leases keep a batch with one replica; a replica that takes a batch over
// starts afresh).

func (g *Gateway) jobNotFoundGrace() time.Duration {
	if g.JobNotFoundGrace <= 0 {
		return DefaultJobNotFoundGrace
	}
	return g.JobNotFoundGrace
}

// jobLost reports whether err, from reading job arn, is Bedrock not knowing
// the job, for longer than the grace period. An answer about the job
// restarts the period; other errors (throttling, 5xx) leave it running.
func (g *Gateway) jobLost(arn string, err error) bool {
	now := g.now()
	g.ops.mu.Lock()
	defer g.ops.mu.Unlock()
	if err == nil {
		delete(g.ops.notFound, arn)
		return false
	}
	if !batchgate.IsNotFound(err) {
		return false
	}
	if g.ops.notFound == nil {
		g.ops.notFound = map[string]time.Time{}
	}
	since, ok := g.ops.notFound[arn]
	if !ok {
		g.ops.notFound[arn] = now
		return false
	}
	if now.Sub(since) < g.jobNotFoundGrace() {
		return false
	}
	delete(g.ops.notFound, arn)
	return true
}

// lostJobMessage is the batch (or job) error of a job Bedrock no longer knows.
func (g *Gateway) lostJobMessage(arn string) string {
	return fmt.Sprintf("The Bedrock job %s could not be found: Bedrock answered ResourceNotFoundException for over %s (was the region, account or Bedrock endpoint changed?).",
		arn, g.jobNotFoundGrace())
}
