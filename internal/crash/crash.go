// Package crash is a test-only fault hook: when the environment variable
// BATCHGATE_CRASH_AT names a point, the process kills itself with SIGKILL
// when it reaches that point, so fault tests can check that a crash at any
// step is recovered on restart. Unset (always, in production), At does
// nothing.
package crash

import "os"

// Env is the environment variable naming the crash point.
const Env = "BATCHGATE_CRASH_AT"

// Points where the gateway can be made to crash.
const (
	DuringUpload       = "during-upload"        // a multipart upload of an input file is in flight
	AfterCreateIntent  = "after-create-intent"  // the batch is stored, Bedrock not called yet
	AfterAWSCreate     = "after-aws-create"     // Bedrock created the job, its ARN is not stored
	BeforeSettleCommit = "before-settle-commit" // the batch is billed, its final state not stored
	// AfterOnDemandRequest: a request of an on-demand batch ran and its
	// result is stored, the batch's progress not yet.
	AfterOnDemandRequest = "after-on-demand-request"
)

var point = os.Getenv(Env)

// At kills the process if BATCHGATE_CRASH_AT is p.
func At(p string) {
	if point != "" && point == p {
		if self, err := os.FindProcess(os.Getpid()); err == nil {
			_ = self.Kill() // SIGKILL on Unix
		}
		os.Exit(137)
	}
}
