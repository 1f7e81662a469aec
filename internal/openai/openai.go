// Package openai holds the OpenAI wire types batchgate serves: File, Batch,
// lists and the error envelope. They are a compatibility contract, kept apart
// from the domain types, and checked against OpenAI's schemas in
// shared/reference/openai-files-batches.openapi.json.
package openai

import (
	"time"

	"github.com/batchgate/batchgate"
)

// File is OpenAI's File object.
type File struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Bytes     int64  `json:"bytes"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt *int64 `json:"expires_at,omitempty"`
	Filename  string `json:"filename"`
	Purpose   string `json:"purpose"`
	Status    string `json:"status"`
}

// NewFile renders a file.
func NewFile(f *batchgate.File) File {
	return File{
		ID: f.ID, Object: "file", Bytes: f.Bytes, CreatedAt: f.CreatedAt.Unix(), ExpiresAt: unix(f.ExpiresAt),
		Filename: f.Filename, Purpose: f.Purpose, Status: "processed",
	}
}

// List is OpenAI's list envelope.
type List[T any] struct {
	Object  string  `json:"object"`
	Data    []T     `json:"data"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
	HasMore bool    `json:"has_more"`
}

// NewList renders a page; hasMore says whether more items follow.
func NewList[T any](data []T, id func(T) string, hasMore bool) List[T] {
	l := List[T]{Object: "list", Data: data, HasMore: hasMore}
	if l.Data == nil {
		l.Data = []T{}
	}
	if len(data) > 0 {
		first, last := id(data[0]), id(data[len(data)-1])
		l.FirstID, l.LastID = &first, &last
	}
	return l
}

// FileDeleted is OpenAI's DeleteFileResponse.
type FileDeleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// Batch is OpenAI's Batch object.
type Batch struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Endpoint         string            `json:"endpoint"`
	Model            string            `json:"model,omitempty"`
	Errors           *BatchErrors      `json:"errors"`
	InputFileID      string            `json:"input_file_id"`
	CompletionWindow string            `json:"completion_window"`
	Status           string            `json:"status"`
	OutputFileID     *string           `json:"output_file_id"`
	ErrorFileID      *string           `json:"error_file_id"`
	CreatedAt        int64             `json:"created_at"`
	InProgressAt     *int64            `json:"in_progress_at"`
	ExpiresAt        *int64            `json:"expires_at"`
	FinalizingAt     *int64            `json:"finalizing_at"`
	CompletedAt      *int64            `json:"completed_at"`
	FailedAt         *int64            `json:"failed_at"`
	ExpiredAt        *int64            `json:"expired_at"`
	CancellingAt     *int64            `json:"cancelling_at"`
	CancelledAt      *int64            `json:"cancelled_at"`
	RequestCounts    RequestCounts     `json:"request_counts"`
	Usage            *BatchUsage       `json:"usage,omitempty"`
	Metadata         map[string]string `json:"metadata"`

	// Owner is a batchgate extension (OpenAI's SDKs ignore unknown fields):
	// who created the batch, named as in /spend/logs.
	Owner *BatchOwner `json:"owner,omitempty"`
	// Bedrock is a batchgate extension: where the batch runs on Bedrock.
	Bedrock *BatchBedrock `json:"bedrock,omitempty"`
}

// BatchBedrock locates a batch on Bedrock: its (first) job and the S3
// folder every job of the batch writes its raw output under, which
// `batchgate files content s3://...` and the direct package read with the
// caller's own AWS credentials.
type BatchBedrock struct {
	JobARN      string `json:"job_arn,omitempty"`
	JobStatus   string `json:"job_status,omitempty"`
	OutputS3URI string `json:"output_s3_uri,omitempty"`
	// Mode is "on_demand" for a batch below the batch minimum run through
	// the runtime API (model_info.batch_below_minimum: on_demand).
	Mode string `json:"mode,omitempty"`
}

// BatchOwner names the key (its key_id, empty for the master key), user and
// team a batch belongs to.
type BatchOwner struct {
	APIKey string `json:"api_key"`
	UserID string `json:"user_id,omitempty"`
	TeamID string `json:"team_id,omitempty"`
}

// BatchErrors is the errors list of a batch.
type BatchErrors struct {
	Object string       `json:"object"`
	Data   []BatchError `json:"data"`
}

// BatchError is one problem, with the input line when there is one.
type BatchError struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Param   *string `json:"param"`
	Line    *int    `json:"line"`
}

// RequestCounts is OpenAI's BatchRequestCounts.
type RequestCounts struct {
	Total     int64 `json:"total"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
}

// BatchUsage is the token usage of a batch.
type BatchUsage struct {
	InputTokens         int64        `json:"input_tokens"`
	InputTokensDetails  TokenDetails `json:"input_tokens_details"`
	OutputTokens        int64        `json:"output_tokens"`
	OutputTokensDetails TokenDetails `json:"output_tokens_details"`
	TotalTokens         int64        `json:"total_tokens"`
}

// TokenDetails breaks token counts down; Bedrock batch reports none of it.
type TokenDetails struct {
	CachedTokens    int64 `json:"cached_tokens"`
	ReasoningTokens int64 `json:"reasoning_tokens"`
}

// NewBatch renders a batch.
func NewBatch(b *batchgate.Batch) Batch {
	out := Batch{
		ID: b.ID, Object: "batch", Endpoint: b.Endpoint, Model: b.Model, InputFileID: b.InputFileID,
		CompletionWindow: b.CompletionWindow, Status: b.Status,
		OutputFileID: str(b.OutputFileID), ErrorFileID: str(b.ErrorFileID),
		CreatedAt: b.CreatedAt.Unix(), InProgressAt: unix(b.InProgressAt), ExpiresAt: unix(b.ExpiresAt),
		FinalizingAt: unix(b.FinalizingAt), CompletedAt: unix(b.CompletedAt), FailedAt: unix(b.FailedAt),
		ExpiredAt: unix(b.ExpiredAt), CancellingAt: unix(b.CancellingAt), CancelledAt: unix(b.CancelledAt),
		RequestCounts: RequestCounts{Total: b.RequestCounts.Total, Completed: b.RequestCounts.Completed, Failed: b.RequestCounts.Failed},
		Metadata:      b.Metadata,
		Owner:         &BatchOwner{APIKey: b.Owner.KeyID, UserID: b.Owner.UserID, TeamID: b.Owner.TeamID},
	}
	if b.JobARN != "" || b.OutputPrefix != "" {
		out.Bedrock = &BatchBedrock{JobARN: b.JobARN, JobStatus: b.JobStatus, OutputS3URI: b.OutputPrefix, Mode: b.Mode}
		if b.Mode != "" {
			out.Bedrock.JobARN = "" // an on-demand batch has no job (its JobARN only locates its results)
		}
	}
	if b.Message != "" {
		out.Errors = &BatchErrors{Object: "list", Data: []BatchError{{Code: "batch_failed", Message: b.Message}}}
	}
	if u := b.Usage; u.InputTokens+u.OutputTokens > 0 {
		out.Usage = &BatchUsage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, TotalTokens: u.InputTokens + u.OutputTokens}
	}
	return out
}

// ErrorBody is OpenAI's error envelope: {"error": {...}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error itself. Line and Data are batchgate's additions
// for JSONL problems (OpenAI's SDKs ignore unknown fields).
type ErrorDetail struct {
	Message string       `json:"message"`
	Type    string       `json:"type"`
	Param   *string      `json:"param"`
	Code    *string      `json:"code"`
	Line    *int         `json:"line,omitempty"`
	Data    []BatchError `json:"data,omitempty"`
}

func unix(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.Unix()
	return &v
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
