package config

import (
	"strings"
	"testing"
)

func TestQuotas(t *testing.T) {
	m := Model{}
	q := m.Quotas()
	if q != (Quotas{MinRecords: 100, MaxRecordsPerJob: 50_000, MaxBytesPerFile: 1 << 30, MaxBytesPerJob: 5 << 30}) || q.MaxBytesPerPart() != 1<<30 {
		t.Fatalf("defaults = %+v", q)
	}
	ten, three, one := 10, 3, 1
	kb := int64(2048)
	m.LiteLLMParams.MinRecordsPerJob = &one
	if m.Quotas().MinRecords != 1 {
		t.Error("litellm_params.min_records_per_job is not the minimum")
	}
	m.ModelInfo = ModelInfo{BatchMinRecords: &three, BatchMaxRecordsPerJob: &ten, BatchMaxBytesPerJob: &kb, BatchMaxConcurrentJobs: &one}
	q = m.Quotas()
	if q.MinRecords != 3 || q.MaxRecordsPerJob != 10 || q.MaxBytesPerPart() != 2048 || q.MaxConcurrentJobs != 1 {
		t.Errorf("quotas = %+v", q)
	}
	if err := m.checkQuotas("model_list[0].model_info"); err != nil {
		t.Errorf("valid quotas: %v", err)
	}
}

func TestQuotasInvalid(t *testing.T) {
	for _, tc := range []struct{ yaml, field string }{
		{"batch_min_records: -1", "batch_min_records"},
		{"batch_max_records_per_job: 0", "batch_max_records_per_job"},
		{"batch_min_records: 20\n      batch_max_records_per_job: 10", "batch_max_records_per_job"},
		{"batch_max_bytes_per_file: 10", "batch_max_bytes_per_file"},
		{"batch_max_concurrent_jobs: -2", "batch_max_concurrent_jobs"},
	} {
		cfg := `model_list:
  - model_name: m
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      s3_bucket_name: bucket
      aws_batch_role_arn: arn:aws:iam::123456789012:role/r
    model_info:
      ` + tc.yaml + "\n"
		_, err := Parse(strings.NewReader(cfg), func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "model_list[0].model_info."+tc.field) {
			t.Errorf("%s: err = %v; want one naming %s", tc.yaml, err, tc.field)
		}
	}
}
