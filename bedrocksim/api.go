package bedrocksim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxRequestBytes bounds a Create body; the real limit is not documented, and
// a valid request is a few kilobytes even with 200 tags.
const maxRequestBytes = 1 << 20

func (s *Server) arnPrefix() string {
	return "arn:aws:bedrock:" + s.cfg.Region + ":" + s.cfg.AccountID + ":model-invocation-job/"
}

func (s *Server) handleCreate(r *http.Request) (any, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxRequestBytes))
	if err != nil {
		return nil, errorf(SerializationException, "Could not read the request body: %v", err)
	}
	var req createRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, errorf(SerializationException, "%s", serializationMessage(err))
	}
	if e := req.validate(); e != nil {
		return nil, e
	}
	// Idempotency (spec §1.7): a known token returns the original job, even
	// when the other parameters differ, as the service model documents.
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.nameCheckedFirst(*req.JobName); e != nil {
		return nil, e
	}
	if req.ClientRequestToken != nil {
		if j := s.tokens[*req.ClientRequestToken]; j != nil {
			return createResponse{JobARN: j.arn}, nil
		}
	}
	if s.closed {
		return nil, errorf(InternalServerException, "The emulator is shutting down.")
	}
	m, e := s.jobModel(*req.ModelID)
	if e != nil {
		return nil, e
	}
	invocation := invocationInvokeModel
	if req.ModelInvocationType != nil {
		invocation = *req.ModelInvocationType
	}
	if invocation == invocationConverse && !m.family.converse {
		return nil, errorf(ValidationException, "The model %s doesn't support the Converse API.", *req.ModelID)
	}
	// A role of another account cannot be passed to Bedrock: AWS denies
	// iam:PassRole across accounts.
	if acct := roleAccount(*req.RoleARN); acct != "" && acct != s.cfg.AccountID {
		return nil, errorf(AccessDeniedException,
			"User: arn:aws:iam::%s:user/bedrocksim is not authorized to perform: iam:PassRole on resource: %s",
			s.cfg.AccountID, *req.RoleARN)
	}
	active := 0
	for _, j := range s.jobs {
		if j.req.JobName != nil && *j.req.JobName == *req.JobName {
			// What sibling Bedrock job APIs answer (spec §1.6); likely, not verified for batch.
			return nil, errorf(ValidationException, "The provided job name is currently in use.")
		}
		if j.model.base == m.base && j.status.active() {
			active++
		}
	}
	if active >= s.cfg.MaxConcurrentJobsPerModel {
		return nil, errorf(ServiceQuotaExceededException,
			"You have reached the quota of %d submitted and in-progress batch inference jobs for model %s. Wait for a job to finish or request a quota increase.",
			s.cfg.MaxConcurrentJobsPerModel, m.base)
	}
	timeout := DefaultTimeoutHours
	if req.TimeoutDurationInHours != nil {
		timeout = *req.TimeoutDurationInHours
	}
	now := s.now()
	j := &job{
		id:         s.newJobID(),
		req:        req,
		model:      m,
		invocation: invocation,
		timeout:    timeout,
		submitTime: now,
		expiration: now.Add(time.Duration(timeout) * time.Hour),
		stop:       make(chan struct{}),
	}
	j.arn = s.arnPrefix() + j.id
	s.jobs[j.id] = j
	if req.ClientRequestToken != nil {
		s.tokens[*req.ClientRequestToken] = j
	}
	s.setStatus(j, StatusSubmitted, "")
	s.wg.Add(1)
	go s.run(j)
	if e := s.loseCreateResponse(); e != nil {
		return nil, e
	}
	return createResponse{JobARN: j.arn}, nil
}

// jobModel resolves a job's modelId and checks that batch jobs may use it in
// the emulator's region. ARNs of resources the emulator cannot see
// (application inference profiles, custom models) resolve through
// Config.ModelARNs; the region table is not applied to them.
func (s *Server) jobModel(id string) (model, *apiError) {
	invalid := errorf(ValidationException, "The provided model identifier is invalid.")
	if target, ok := s.cfg.ModelARNs[id]; ok {
		m, ok := resolveModel(target)
		if !ok {
			return model{}, invalid
		}
		return m, nil
	}
	for _, kind := range []string{":application-inference-profile/", ":custom-model/", ":provisioned-model/"} {
		if strings.HasPrefix(id, "arn:") && strings.Contains(id, kind) {
			return model{}, errorf(ResourceNotFoundException, "The specified model %s could not be found.", id)
		}
	}
	m, ok := resolveModel(id)
	if !ok {
		return model{}, invalid
	}
	if e := checkBatchRegion(id, m, s.cfg.Region); e != nil {
		return model{}, e
	}
	return m, nil
}

type createResponse struct {
	JobARN string `json:"jobArn"`
}

func serializationMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "Cannot deserialize value of type " + te.Value + " at '" + te.Field + "'"
	}
	return "Could not parse the request body as JSON: " + err.Error()
}

func roleAccount(arn string) string {
	// arn:aws:iam::123456789012:role/name
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

func (s *Server) newJobID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	for {
		var b [12]byte
		for i := range b {
			b[i] = alphabet[s.rng.IntN(len(alphabet))]
		}
		if id := string(b[:]); s.jobs[id] == nil {
			return id
		}
	}
}

func (s *Server) handleGet(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, e := s.findJob(r.PathValue("jobIdentifier"))
	if e != nil {
		return nil, e
	}
	return j.summary(), nil
}

func (s *Server) findJob(ident string) (*job, *apiError) {
	id, e := s.jobIdentifier(ident)
	if e != nil {
		return nil, e
	}
	if j := s.jobs[id]; j != nil {
		return j, nil
	}
	return nil, errorf(ResourceNotFoundException, "The specified model invocation job %s could not be found.", ident)
}

func (s *Server) handleStop(r *http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, e := s.findJob(r.PathValue("jobIdentifier"))
	if e != nil {
		return nil, e
	}
	// AWS answers ValidationException naming the state, not the modeled
	// ConflictException (spec §1.6, §6).
	if j.status.Terminal() || j.status == StatusStopping {
		return nil, errorf(ValidationException,
			"The model invocation job %s cannot be stopped in its current state. State was: %s", j.arn, j.status)
	}
	s.setStatus(j, StatusStopping, "")
	close(j.stop)
	return struct{}{}, nil
}

func (s *Server) handleList(r *http.Request) (any, *apiError) {
	req, e := parseListRequest(r.URL.Query())
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var jobs []*job
	for _, j := range s.jobs {
		if req.matches(j) {
			jobs = append(jobs, j)
		}
	}
	less := func(a, b *job) int {
		if c := a.submitTime.Compare(b.submitTime); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	}
	slices.SortFunc(jobs, func(a, b *job) int {
		if req.ascending {
			return less(a, b)
		}
		return less(b, a)
	})
	if k := req.next; k != nil {
		pos := &job{submitTime: time.UnixMilli(k.SubmitTime).UTC(), id: k.ID}
		i, _ := slices.BinarySearchFunc(jobs, pos, func(a, b *job) int {
			if req.ascending {
				return less(a, b)
			}
			return less(b, a)
		})
		for i < len(jobs) && jobs[i].id == k.ID {
			i++
		}
		jobs = jobs[i:]
	}
	var resp listResponse
	resp.Summaries = []jobSummary{}
	for i, j := range jobs {
		if i == req.maxResults {
			last := jobs[i-1]
			resp.NextToken = encodePageKey(pageKey{SubmitTime: last.submitTime.UnixMilli(), ID: last.id})
			break
		}
		resp.Summaries = append(resp.Summaries, j.summary())
	}
	return resp, nil
}

func (req *listRequest) matches(j *job) bool {
	switch {
	case !req.after.IsZero() && !j.submitTime.After(req.after):
		return false
	case !req.before.IsZero() && !j.submitTime.Before(req.before):
		return false
	case req.status != "" && j.status != req.status:
		return false
	case req.nameContains != "" && !strings.Contains(strings.ToLower(*j.req.JobName), strings.ToLower(req.nameContains)):
		return false
	}
	return true
}

type listResponse struct {
	NextToken string       `json:"nextToken,omitempty"`
	Summaries []jobSummary `json:"invocationJobSummaries"`
}

// jobSummary is both GetModelInvocationJobResponse and ModelInvocationJobSummary:
// they have the same members (spec §1.4).
type jobSummary struct {
	JobARN                 string            `json:"jobArn"`
	JobName                string            `json:"jobName"`
	ModelID                string            `json:"modelId"`
	ClientRequestToken     string            `json:"clientRequestToken,omitempty"`
	RoleARN                string            `json:"roleArn"`
	Status                 Status            `json:"status"`
	Message                string            `json:"message,omitempty"`
	SubmitTime             timestamp         `json:"submitTime"`
	LastModifiedTime       timestamp         `json:"lastModifiedTime"`
	EndTime                *timestamp        `json:"endTime,omitempty"`
	InputDataConfig        *inputDataConfig  `json:"inputDataConfig"`
	OutputDataConfig       *outputDataConfig `json:"outputDataConfig"`
	VPCConfig              *vpcConfig        `json:"vpcConfig,omitempty"`
	TimeoutDurationInHours int               `json:"timeoutDurationInHours"`
	JobExpirationTime      timestamp         `json:"jobExpirationTime"`
	ModelInvocationType    string            `json:"modelInvocationType"`
	TotalRecordCount       *int64            `json:"totalRecordCount,omitempty"`
	ProcessedRecordCount   *int64            `json:"processedRecordCount,omitempty"`
	SuccessRecordCount     *int64            `json:"successRecordCount,omitempty"`
	ErrorRecordCount       *int64            `json:"errorRecordCount,omitempty"`
}

// summary renders a job for Get and List. The caller holds s.mu.
func (j *job) summary() jobSummary {
	out := jobSummary{
		JobARN:                 j.arn,
		JobName:                *j.req.JobName,
		ModelID:                *j.req.ModelID,
		RoleARN:                *j.req.RoleARN,
		Status:                 j.status,
		Message:                j.message,
		SubmitTime:             timestamp(j.submitTime),
		LastModifiedTime:       timestamp(j.lastModified),
		InputDataConfig:        j.req.InputDataConfig,
		OutputDataConfig:       j.req.OutputDataConfig,
		VPCConfig:              j.req.VPCConfig,
		TimeoutDurationInHours: j.timeout,
		JobExpirationTime:      timestamp(j.expiration),
		ModelInvocationType:    j.invocation,
	}
	if j.req.ClientRequestToken != nil {
		out.ClientRequestToken = *j.req.ClientRequestToken
	}
	if !j.endTime.IsZero() {
		t := timestamp(j.endTime)
		out.EndTime = &t
	}
	if c := j.counts; c != nil {
		total, processed, success, errs := c.Total, c.Processed, c.Success, c.Error
		out.TotalRecordCount, out.ProcessedRecordCount = &total, &processed
		out.SuccessRecordCount, out.ErrorRecordCount = &success, &errs
	}
	return out
}

// timestamp marshals as the iso8601 form AWS sends: UTC with milliseconds.
type timestamp time.Time

func (t timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}
