package bedrocksim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// inputFile is one .jsonl object of a job's input.
type inputFile struct {
	key  string // S3 key
	name string // key relative to the input location; the output is name + ".out"
	size int64
}

// record is one parsed input line.
type record struct {
	recordID   *string
	modelInput json.RawMessage
}

// formatError is a record that breaks the input format; it fails the job
// during validation, unlike a modelInput the model rejects (spec §2.2).
type formatError struct{ msg string }

func (e *formatError) Error() string { return e.msg }

func parseS3URI(uri string) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
	return bucket, key
}

// validateInput does what AWS does while a job is Validating (spec §2.1, §2.2):
// find the .jsonl input, check every line is a record, and check the quotas.
// It returns the files, or a failure message for the job.
func (s *Server) validateInput(ctx context.Context, j *job) ([]inputFile, string) {
	if s.cfg.S3 == nil {
		return nil, "The emulator has no S3 client configured, so it cannot read the input."
	}
	uri := *j.req.InputDataConfig.S3InputDataConfig.S3URI
	bucket, key := parseS3URI(uri)
	files, failure := s.listInput(ctx, bucket, key)
	if failure != "" {
		return nil, failure
	}
	var jobBytes, total int64
	for _, f := range files {
		if f.size > s.cfg.MaxFileBytes {
			return nil, fmt.Sprintf("The input file s3://%s/%s is %d bytes, more than the quota of %d bytes per batch inference input file.",
				bucket, f.key, f.size, s.cfg.MaxFileBytes)
		}
		jobBytes += f.size
	}
	if jobBytes > s.cfg.MaxJobBytes {
		return nil, fmt.Sprintf("The input files at %s total %d bytes, more than the quota of %d bytes per batch inference job.",
			uri, jobBytes, s.cfg.MaxJobBytes)
	}
	for _, f := range files {
		var n int64
		err := s.scanRecords(ctx, bucket, f.key, func(int, record) error {
			n++
			return nil
		})
		var fe *formatError
		switch {
		case errors.As(err, &fe):
			return nil, fe.msg
		case err != nil:
			return nil, fmt.Sprintf("Unable to read the input file s3://%s/%s: %v", bucket, f.key, err)
		}
		if n > int64(s.cfg.MaxRecordsPerFile) {
			return nil, fmt.Sprintf("The input file s3://%s/%s has %d records, more than the quota of %d records per input file per batch inference job.",
				bucket, f.key, n, s.cfg.MaxRecordsPerFile)
		}
		total += n
	}
	if total > int64(s.cfg.MaxRecordsPerJob) {
		return nil, fmt.Sprintf("The job has %d records, more than the quota of %d records per batch inference job.",
			total, s.cfg.MaxRecordsPerJob)
	}
	if minRecords := s.cfg.MinRecordsPerJob; minRecords > 0 && total < int64(minRecords) {
		return nil, fmt.Sprintf("The job has %d records, fewer than the minimum of %d records per batch inference job.",
			total, minRecords)
	}
	s.mu.Lock()
	j.counts = &recordCounts{Total: total}
	s.mu.Unlock()
	return files, ""
}

// listInput resolves the input location: the object itself when the URI names
// one, else every .jsonl object under it as a folder, nested ones included
// (spec §2.2). Other objects (images and other content) are ignored.
func (s *Server) listInput(ctx context.Context, bucket, key string) ([]inputFile, string) {
	uri := "s3://" + bucket + "/" + key
	p := s3.NewListObjectsV2Paginator(s.cfg.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	prefix := key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var files []inputFile
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Sprintf("Unable to list the input location %s: %v", uri, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if k == key && !strings.HasSuffix(key, "/") {
				if !strings.HasSuffix(k, ".jsonl") {
					return nil, fmt.Sprintf("The input file %s is not a JSONL file: its name must end in .jsonl.", uri)
				}
				return []inputFile{{key: k, name: path.Base(k), size: aws.ToInt64(o.Size)}}, ""
			}
			if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, ".jsonl") {
				files = append(files, inputFile{key: k, name: strings.TrimPrefix(k, prefix), size: aws.ToInt64(o.Size)})
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Sprintf("No .jsonl input files were found at %s.", uri)
	}
	return files, ""
}

// scanRecords reads an input object line by line and calls fn with each
// record. A line that is not a record is a *formatError.
func (s *Server) scanRecords(ctx context.Context, bucket, key string, fn func(line int, r record) error) error {
	out, err := s.cfg.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	br := bufio.NewReaderSize(out.Body, 1<<16)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if len(b) == 0 && errors.Is(err, io.EOF) {
			return nil
		}
		r, perr := parseRecord(bytes.TrimRight(b, "\r\n"))
		if perr != "" {
			return &formatError{fmt.Sprintf("Line %d of the input file s3://%s/%s %s.", line, bucket, key, perr)}
		}
		if ferr := fn(line, r); ferr != nil {
			return ferr
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// parseRecord parses {"recordId": "…", "modelInput": {…}}; extra keys are
// ignored (spec §2.2). It returns why the line is not a record, if it is not.
func parseRecord(line []byte) (record, string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil || m == nil {
		return record{}, "is not a JSON object"
	}
	var r record
	if raw, ok := m["recordId"]; ok {
		var id string
		if err := json.Unmarshal(raw, &id); err != nil {
			return record{}, "has a recordId that is not a string"
		}
		r.recordID = &id
	}
	in, ok := m["modelInput"]
	if !ok {
		return record{}, "has no modelInput"
	}
	if t := bytes.TrimSpace(in); len(t) == 0 || t[0] != '{' {
		return record{}, "has a modelInput that is not a JSON object"
	}
	r.modelInput = in
	return r, ""
}
