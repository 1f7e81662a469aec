package httpapi

import (
	"context"
	"time"
)

// deploymentInfo is one deployment of a model group in /model_group/info:
// where its jobs run and how many of its job slots are in use.
type deploymentInfo struct {
	ID                string  `json:"id"`
	Region            string  `json:"region"`
	JobsRunning       int     `json:"jobs_running"`
	MaxConcurrentJobs *int    `json:"max_concurrent_jobs"` // null: no limit of batchgate's own
	SetAsideUntil     *string `json:"set_aside_until"`     // after a refusal (AccessDenied, unreachable); RFC 3339
}

// addDeployments fills info.Deployments from the gateway's model group.
func (s *Server) addDeployments(ctx context.Context, info *modelGroupInfo) error {
	sts, err := s.Gateway.DeploymentStatuses(ctx, info.ModelGroup)
	if err != nil {
		return err
	}
	info.Deployments = make([]deploymentInfo, len(sts))
	for i, st := range sts {
		d := deploymentInfo{ID: st.ID, Region: st.Region, JobsRunning: st.JobsRunning}
		if st.MaxConcurrentJobs > 0 {
			d.MaxConcurrentJobs = &st.MaxConcurrentJobs
		}
		if st.AsideUntil != nil {
			v := st.AsideUntil.UTC().Format(time.RFC3339)
			d.SetAsideUntil = &v
		}
		info.Deployments[i] = d
	}
	return nil
}
