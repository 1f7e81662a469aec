package bedrocksim

import "context"

// Behaviours of AWS that batchgate must survive but that the emulator does
// not show by default (see Faults and Config.NameBeforeToken).

// nameCheckedFirst refuses a job name in use when Config.NameBeforeToken
// is set, before the token is looked at. The caller holds s.mu.
func (s *Server) nameCheckedFirst(name string) *apiError {
	if !s.cfg.NameBeforeToken {
		return nil
	}
	for _, j := range s.jobs {
		if j.req.JobName != nil && *j.req.JobName == name {
			return errorf(ValidationException, "The provided job name is currently in use.")
		}
	}
	return nil
}

// loseCreateResponse uses up one of Faults.LoseCreateResponses: the job is
// created, but the caller is answered a server error. The caller holds s.mu.
func (s *Server) loseCreateResponse() *apiError {
	if s.faults.LoseCreateResponses <= 0 {
		return nil
	}
	s.faults.LoseCreateResponses--
	return errorf(InternalServerException, "Internal server error (the response to a create that succeeded was lost).")
}

// writeManifestUnlessOmitted writes manifest.json.out unless
// Faults.OmitManifest is set.
func (s *Server) writeManifestUnlessOmitted(ctx context.Context, j *job, c recordCounts) error {
	if s.Faults().OmitManifest {
		return nil
	}
	return s.writeManifest(ctx, j, c)
}
