package bedrocksim

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Status is the status of a model invocation job (spec §2.1).
type Status string

// The statuses of the service model, in lifecycle order.
const (
	StatusSubmitted          Status = "Submitted"
	StatusValidating         Status = "Validating"
	StatusScheduled          Status = "Scheduled"
	StatusInProgress         Status = "InProgress"
	StatusCompleted          Status = "Completed"
	StatusPartiallyCompleted Status = "PartiallyCompleted"
	StatusFailed             Status = "Failed"
	StatusStopping           Status = "Stopping"
	StatusStopped            Status = "Stopped"
	StatusExpired            Status = "Expired"
)

func statusNames() []string {
	return []string{"Submitted", "InProgress", "Completed", "Failed", "Stopping", "Stopped",
		"PartiallyCompleted", "Expired", "Validating", "Scheduled"}
}

// Terminal reports whether a job in status s will never change again.
func (s Status) Terminal() bool {
	switch s {
	case StatusCompleted, StatusPartiallyCompleted, StatusFailed, StatusStopped, StatusExpired:
		return true
	}
	return false
}

// counts toward the concurrent-job quota: "Sum of in-progress and submitted
// batch inference jobs" (spec §2.6).
func (s Status) active() bool {
	switch s {
	case StatusSubmitted, StatusValidating, StatusScheduled, StatusInProgress:
		return true
	}
	return false
}

const (
	invocationInvokeModel = "InvokeModel"
	invocationConverse    = "Converse"
)

// job is one model invocation job. All fields are guarded by Server.mu; the
// request fields never change after create.
type job struct {
	id, arn    string
	req        createRequest
	model      model
	invocation string
	timeout    int

	status       Status
	message      string
	submitTime   time.Time
	lastModified time.Time
	endTime      time.Time
	expiration   time.Time
	counts       *recordCounts // nil until validated
	history      []Status

	stop chan struct{} // closed by StopModelInvocationJob
}

type recordCounts struct {
	Total, Processed, Success, Error int64
	InputTokens, OutputTokens        int64
}

// run drives a job through its lifecycle in the background.
func (s *Server) run(j *job) {
	defer s.wg.Done()
	ctx := s.ctx
	if !s.step(j) || !s.advance(j, StatusValidating, "") {
		return
	}
	files, failure := s.validateInput(ctx, j)
	if ctx.Err() != nil || !s.step(j) {
		return
	}
	if failure != "" {
		s.advance(j, StatusFailed, failure)
		return
	}
	if !s.advance(j, StatusScheduled, "") {
		return
	}
	if !s.waitScheduled(j) {
		return
	}
	if !s.advance(j, StatusInProgress, "") {
		return
	}
	if msg := s.Faults().ForceFail; msg != "" {
		if s.step(j) {
			s.advance(j, StatusFailed, msg)
		}
		return
	}
	final, msg, counts := s.process(ctx, j, files)
	if ctx.Err() != nil || final == "" {
		return
	}
	if final == StatusFailed {
		s.advance(j, final, msg)
		return
	}
	if s.stepCounting(j, counts) {
		s.advance(j, final, msg)
	}
}

// countingSteps is how many times an InProgress job's counts rise.
const countingSteps = 10

// stepCounting keeps a processed job InProgress for StepDelay while its
// record counts rise to their final values, as Bedrock's job record does
// while a job runs, so that clients can show progress. The output is
// already written: only what GetModelInvocationJob reports is paced. It
// returns false as step does; the counts are then whole.
func (s *Server) stepCounting(j *job, final recordCounts) bool {
	for k := int64(0); k < countingSteps; k++ {
		s.updateCounts(j, func(c *recordCounts) {
			c.Processed, c.Success, c.Error = final.Processed*k/countingSteps, final.Success*k/countingSteps, final.Error*k/countingSteps
			c.InputTokens, c.OutputTokens = final.InputTokens*k/countingSteps, final.OutputTokens*k/countingSteps
		})
		t := time.NewTimer(s.cfg.StepDelay / countingSteps)
		select {
		case <-t.C:
			continue
		case <-j.stop:
		case <-s.ctx.Done():
		}
		t.Stop()
		break
	}
	// Whole before the job can end, stopped or not: the output is written.
	s.updateCounts(j, func(c *recordCounts) { *c = final })
	if s.stopped(j) {
		s.finishStop(j)
		return false
	}
	return s.ctx.Err() == nil
}

// step keeps the job in its state for StepDelay. It returns false when the
// server closes or the job is stopped; a stopped job is then finished here.
func (s *Server) step(j *job) bool {
	return s.sleep(j, s.cfg.StepDelay)
}

func (s *Server) sleep(j *job, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		select {
		case <-j.stop:
			s.finishStop(j)
			return false
		default:
			return true
		}
	case <-j.stop:
		s.finishStop(j)
		return false
	case <-s.ctx.Done():
		return false
	}
}

func (s *Server) stopped(j *job) bool {
	select {
	case <-j.stop:
		return true
	default:
		return false
	}
}

// finishStop keeps a stopped job in Stopping for a step, then ends it Stopped.
func (s *Server) finishStop(j *job) {
	t := time.NewTimer(s.cfg.StepDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
		return
	}
	s.mu.Lock()
	s.setStatus(j, StatusStopped, "")
	s.mu.Unlock()
}

// waitScheduled keeps a job Scheduled for a step, or, with HoldScheduled, until
// it expires. A job that has not started by jobExpirationTime is Expired (spec §2.1).
func (s *Server) waitScheduled(j *job) bool {
	poll := max(s.cfg.StepDelay, 10*time.Millisecond)
	for {
		if !s.cfg.Now().Before(j.expiration) {
			s.advance(j, StatusExpired, fmt.Sprintf(
				"The job timed out because it didn't start before its timeout of %d hours.", j.timeout))
			return false
		}
		if !s.Faults().HoldScheduled {
			break
		}
		if !s.sleep(j, poll) {
			return false
		}
	}
	if !s.step(j) {
		return false
	}
	if !s.cfg.Now().Before(j.expiration) {
		return s.waitScheduled(j)
	}
	return true
}

// advance moves a job to status unless it was stopped meanwhile; then it
// finishes the stop and returns false.
func (s *Server) advance(j *job, status Status, message string) bool {
	s.mu.Lock()
	if j.status == StatusStopping || j.status.Terminal() {
		s.mu.Unlock()
		if j.status == StatusStopping {
			s.finishStop(j)
		}
		return false
	}
	s.setStatus(j, status, message)
	s.mu.Unlock()
	return true
}

// setStatus records a state change. The caller holds s.mu.
func (s *Server) setStatus(j *job, status Status, message string) {
	now := s.now()
	j.status = status
	j.lastModified = now
	if message != "" {
		// The service model caps message at 2048 characters.
		j.message = truncateBytes(message, 2048)
	}
	if status.Terminal() {
		j.endTime = now
	}
	j.history = append(j.history, status)
	if message != "" {
		s.log.Info("bedrocksim: job status", "job", j.id, "status", status, "message", message)
	} else {
		s.log.Info("bedrocksim: job status", "job", j.id, "status", status)
	}
}

// now is the clock at the precision the wire shows, so that what a client
// reads back compares equal to what the emulator filters on.
func (s *Server) now() time.Time {
	return s.cfg.Now().UTC().Truncate(time.Millisecond)
}

// unprocessed is how many records of a job of total records the
// PartialFraction fault leaves out.
func unprocessed(total int64, fraction float64) int64 {
	if fraction <= 0 || total == 0 {
		return 0
	}
	n := int64(math.Ceil(float64(total) * min(fraction, 1)))
	return min(n, total)
}

func (s *Server) updateCounts(j *job, f func(c *recordCounts)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.counts == nil {
		j.counts = &recordCounts{}
	}
	f(j.counts)
	j.lastModified = s.now()
}

// process runs InProgress: every input file's records through the model
// family, output files and the manifest to S3. It returns the final status
// and its message, or "" when the job was stopped or the server closed, and
// the job's final counts: published here unless the job completes, when
// stepCounting paces them.
func (s *Server) process(ctx context.Context, j *job, files []inputFile) (Status, string, recordCounts) {
	s.mu.Lock()
	counts := *j.counts
	s.mu.Unlock()
	total := counts.Total
	publish := func() { s.updateCounts(j, func(c *recordCounts) { *c = counts }) }
	skip := unprocessed(total, s.Faults().PartialFraction)
	limit := total - skip // records with a job-wide index >= limit are left out
	var index int64
	for _, f := range files {
		if s.stopped(j) {
			break
		}
		c, err := s.processFile(ctx, j, f, &index, limit)
		if ctx.Err() != nil {
			return "", "", counts
		}
		if err != nil {
			publish()
			return StatusFailed, err.Error(), counts
		}
		counts.Processed += c.Processed
		counts.Success += c.Success
		counts.Error += c.Error
		counts.InputTokens += c.InputTokens
		counts.OutputTokens += c.OutputTokens
	}
	if err := s.writeManifestUnlessOmitted(ctx, j, counts); err != nil {
		if ctx.Err() != nil {
			return "", "", counts
		}
		publish()
		return StatusFailed, err.Error(), counts
	}
	if s.stopped(j) {
		publish()
		s.finishStop(j)
		return "", "", counts
	}
	if counts.Processed < counts.Total {
		return StatusPartiallyCompleted, fmt.Sprintf(
			"%d of %d records were not processed before the job timed out.", counts.Total-counts.Processed, counts.Total), counts
	}
	return StatusCompleted, "", counts
}
