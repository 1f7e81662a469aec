package config

import "fmt"

// Bedrock's batch inference quotas (bedrock-batch-spec §2.6), the defaults
// of Quotas.
const (
	DefaultMaxRecordsPerJob = 50_000
	DefaultMaxBytesPerFile  = 1 << 30 // 1 GB per input file
	DefaultMaxBytesPerJob   = 5 << 30 // 5 GB per job
)

// Quotas are the per-model batch limits batchgate handles for its users: a
// batch below MinRecords is refused at creation; a file above
// MaxRecordsPerJob records or MaxBytesPerFile/MaxBytesPerJob bytes is split
// into several jobs; at most MaxConcurrentJobs jobs of the model run at once
// (0: no limit of batchgate's own; Bedrock's ServiceQuotaExceededException
// still queues the batch).
type Quotas struct {
	MinRecords        int
	MaxRecordsPerJob  int
	MaxBytesPerFile   int64
	MaxBytesPerJob    int64
	MaxConcurrentJobs int
}

// MaxBytesPerPart is the size of one input object batchgate writes: each
// object is one job's only file, so it must fit both limits.
func (q Quotas) MaxBytesPerPart() int64 { return min(q.MaxBytesPerFile, q.MaxBytesPerJob) }

// Quotas returns the model's batch quotas: model_info.batch_* when set
// (model_info.batch_min_records, else litellm_params.min_records_per_job),
// else Bedrock's defaults.
func (m Model) Quotas() Quotas {
	q := Quotas{
		MinRecords: m.LiteLLMParams.MinRecords(), MaxRecordsPerJob: DefaultMaxRecordsPerJob,
		MaxBytesPerFile: DefaultMaxBytesPerFile, MaxBytesPerJob: DefaultMaxBytesPerJob,
	}
	mi := m.ModelInfo
	if mi.BatchMinRecords != nil {
		q.MinRecords = *mi.BatchMinRecords
	}
	if mi.BatchMaxRecordsPerJob != nil {
		q.MaxRecordsPerJob = *mi.BatchMaxRecordsPerJob
	}
	if mi.BatchMaxBytesPerFile != nil {
		q.MaxBytesPerFile = *mi.BatchMaxBytesPerFile
	}
	if mi.BatchMaxBytesPerJob != nil {
		q.MaxBytesPerJob = *mi.BatchMaxBytesPerJob
	}
	if mi.BatchMaxConcurrentJobs != nil {
		q.MaxConcurrentJobs = *mi.BatchMaxConcurrentJobs
	}
	return q
}

func (m Model) checkQuotas(at string) error {
	mi := m.ModelInfo
	for _, f := range []struct {
		field string
		v     *int
	}{{"batch_min_records", mi.BatchMinRecords}, {"batch_max_concurrent_jobs", mi.BatchMaxConcurrentJobs}} {
		if f.v != nil && *f.v < 0 {
			return &Error{Field: at + "." + f.field, Message: "must not be negative"}
		}
	}
	if v := mi.BatchMaxRecordsPerJob; v != nil && *v < 1 {
		return &Error{Field: at + ".batch_max_records_per_job", Message: "must be at least 1"}
	}
	for _, f := range []struct {
		field string
		v     *int64
	}{{"batch_max_bytes_per_file", mi.BatchMaxBytesPerFile}, {"batch_max_bytes_per_job", mi.BatchMaxBytesPerJob}} {
		if f.v != nil && *f.v < 1024 {
			return &Error{Field: at + "." + f.field, Message: "must be at least 1024 bytes"}
		}
	}
	if q := m.Quotas(); q.MaxRecordsPerJob < q.MinRecords {
		return &Error{Field: at + ".batch_max_records_per_job", Message: fmt.Sprintf("%d is below the minimum of %d records per job", q.MaxRecordsPerJob, q.MinRecords)}
	}
	return nil
}
