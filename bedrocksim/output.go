package bedrocksim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// outputLine is one line of an output file, with the key order of real output
// (spec §2.4). Error replaces modelOutput when the record failed.
type outputLine struct {
	ModelInput  json.RawMessage `json:"modelInput"`
	ModelOutput any             `json:"modelOutput,omitempty"`
	Error       *recordError    `json:"error,omitempty"`
	RecordID    string          `json:"recordId"`
}

type recordError struct {
	ErrorCode    int    `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// manifest is manifest.json.out (spec §2.5).
type manifest struct {
	TotalRecordCount     int64 `json:"totalRecordCount"`
	ProcessedRecordCount int64 `json:"processedRecordCount"`
	SuccessRecordCount   int64 `json:"successRecordCount"`
	ErrorRecordCount     int64 `json:"errorRecordCount"`
	InputTokenCount      int64 `json:"inputTokenCount"`
	OutputTokenCount     int64 `json:"outputTokenCount"`
}

// outputLocation is where a job writes: {outputUri}/{jobId}/ (spec §2.3).
func outputLocation(j *job) (bucket, prefix string) {
	bucket, key := parseS3URI(*j.req.OutputDataConfig.S3OutputDataConfig.S3URI)
	key = strings.TrimRight(key, "/")
	if key != "" {
		key += "/"
	}
	return bucket, key + j.id + "/"
}

// processFile answers every record of an input file with index < limit
// (a job-wide index, advanced in *index) and writes {name}.out.
func (s *Server) processFile(ctx context.Context, j *job, f inputFile, index *int64, limit int64) (recordCounts, error) {
	var c recordCounts
	tmp, err := os.CreateTemp("", "bedrocksim-*.out")
	if err != nil {
		return c, message(fmt.Sprintf("Internal error: %v", err))
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	enc := json.NewEncoder(tmp)
	enc.SetEscapeHTML(false)
	inBucket, _ := parseS3URI(*j.req.InputDataConfig.S3InputDataConfig.S3URI)
	err = s.scanRecords(ctx, inBucket, f.key, func(line int, r record) error {
		i := *index
		*index++
		if i >= limit {
			return nil
		}
		out, u := s.respond(j, f, line, r)
		c.Processed++
		if out.Error != nil {
			c.Error++
		} else {
			c.Success++
		}
		c.InputTokens += u.in
		c.OutputTokens += u.out
		return enc.Encode(out)
	})
	if err != nil {
		if ctx.Err() != nil {
			return c, err
		}
		return c, message(fmt.Sprintf("Unable to read the input file s3://%s/%s: %v", inBucket, f.key, err))
	}
	if c.Processed == 0 {
		return c, nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return c, message(fmt.Sprintf("Internal error: %v", err))
	}
	bucket, prefix := outputLocation(j)
	if err := s.put(ctx, j, bucket, prefix+f.name+".out", tmp); err != nil {
		return c, err
	}
	return c, nil
}

// respond runs one record through the job's model family.
func (s *Server) respond(j *job, f inputFile, line int, r record) (outputLine, usage) {
	out := outputLine{ModelInput: r.modelInput}
	if r.recordID != nil {
		out.RecordID = *r.recordID
	} else {
		// AWS adds a recordId when the input has none; its format is not
		// documented, older docs say 11 alphanumerics (spec §2.2, §6).
		out.RecordID = idFrom(j.id+"/"+f.key+"/"+strconv.Itoa(line), 11, alnum)
	}
	fam := j.model.family
	if j.invocation == invocationConverse {
		fam = converseFamily
	}
	input, err := decodeInput(r.modelInput)
	if err != nil {
		out.Error = &recordError{ErrorCode: 400, ErrorMessage: malformed(err).Error()}
		return out, usage{}
	}
	resp, u, err := fam.invoke(&modelCall{
		modelID: *j.req.ModelID, model: j.model, recordID: out.RecordID, input: input, now: s.cfg.Now(),
	})
	if err != nil {
		out.Error = &recordError{ErrorCode: 400, ErrorMessage: err.Error()}
		return out, usage{}
	}
	out.ModelOutput = resp
	return out, u
}

func (s *Server) writeManifest(ctx context.Context, j *job, c recordCounts) error {
	b, _ := json.Marshal(manifest{
		TotalRecordCount:     c.Total,
		ProcessedRecordCount: c.Processed,
		SuccessRecordCount:   c.Success,
		ErrorRecordCount:     c.Error,
		InputTokenCount:      c.InputTokens,
		OutputTokenCount:     c.OutputTokens,
	})
	bucket, prefix := outputLocation(j)
	return s.put(ctx, j, bucket, prefix+"manifest.json.out", bytes.NewReader(b))
}

// put writes an output object, with SSE-KMS when the job names a key (spec §3).
func (s *Server) put(ctx context.Context, j *job, bucket, key string, body io.ReadSeeker) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: body}
	if k := j.req.OutputDataConfig.S3OutputDataConfig.S3EncryptionKeyID; k != nil {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = k
	}
	if _, err := s.cfg.S3.PutObject(ctx, in); err != nil {
		return message(fmt.Sprintf("Unable to write the output object s3://%s/%s: %v", bucket, key, err))
	}
	return nil
}
