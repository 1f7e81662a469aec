package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/bedrock"
	"github.com/batchgate/batchgate/internal/translate"
)

// writeUnprocessed appends an OpenAI error line to an error file for every
// input record a Bedrock job never reached (a PartiallyCompleted, Expired or
// Stopped job writes no output line for them, a job never submitted none at
// all), so that every failed request of request_counts has its line with its
// custom_id, as on OpenAI. status is the batch's final status. Jobs that
// completed processed every record: nothing is read for them.
func (g *Gateway) writeUnprocessed(ctx context.Context, d *Deployment, b *batchgate.Batch, status string, keys []batchgate.Object, bw *bufio.Writer) error {
	jobs, err := g.Store.FindBatchJobs(ctx, b.ID)
	if err != nil {
		return err
	}
	if len(jobs) == 0 { // a single-job batch: its input is the file's object
		jobs = []batchgate.BatchJob{{JobStatus: b.JobStatus, JobARN: b.JobARN}}
	}
	var in *batchgate.File
	var seen map[string]bool
	for _, j := range jobs {
		code, msg := unprocessedError(j, status)
		if code == "" {
			continue
		}
		if in == nil {
			if in, err = g.Store.FindFileByID(ctx, b.InputFileID); batchgate.IsNotFound(err) {
				g.Log.Warn("unprocessed records: input file deleted", "batch_id", b.ID, "file_id", b.InputFileID)
				return nil
			} else if err != nil {
				return err
			}
			seen = map[string]bool{}
			for _, o := range keys {
				if err := eachRecordID(ctx, d, d.OutputBucket, o.Key, func(id string) { seen[id] = true }); err != nil {
					return err
				}
			}
		}
		key := j.InputKey
		if key == "" {
			key = in.Key
		}
		// The upload's bucket may be another deployment's of the group (in
		// another region): read it with that deployment's client.
		src := g.deploymentWithBucket(g.Group(d.Name())[0], in.Bucket)
		if err := eachRecordID(ctx, src, in.Bucket, key, func(id string) {
			if !seen[id] {
				bw.Write(translate.ErrorLine(id, 0, code, msg))
				bw.WriteByte('\n')
			}
		}); err != nil {
			return err
		}
	}
	return nil
}

// eachRecordID calls fn with the recordId of every line of a JSONL object
// (Bedrock input records and output records both carry one).
func eachRecordID(ctx context.Context, d *Deployment, bucket, key string, fn func(string)) error {
	rc, err := d.Objects.Get(ctx, bucket, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 256<<10)
	for {
		line, err := readLine(br, 1<<30)
		if len(line) > 0 {
			var r struct {
				RecordID string `json:"recordId"`
			}
			if jerr := json.Unmarshal(line, &r); jerr != nil {
				return fmt.Errorf("read recordId in %s: %w", key, jerr)
			}
			fn(r.RecordID)
		}
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// unprocessedError is the error code and message of the records job j left
// unprocessed in a batch ending in status; "" when it left none to list.
func unprocessedError(j batchgate.BatchJob, status string) (code, msg string) {
	switch j.JobStatus {
	case "PartiallyCompleted", "Expired":
		return "batch_expired", "This request could not be executed before the Bedrock job ended (" + j.JobStatus + ")."
	case "Stopped", "Stopping":
		return "batch_cancelled", "This request was not executed: the batch was cancelled."
	}
	if bedrock.Terminal(j.JobStatus) {
		return "", ""
	}
	// Never submitted, or lost (Bedrock no longer knows it): the batch
	// ended without the job's end.
	switch status {
	case batchgate.StatusCancelled:
		return "batch_cancelled", "This request was not executed: the batch was cancelled."
	case batchgate.StatusExpired:
		return "batch_expired", "This request could not be executed: the batch expired before its Bedrock job could be submitted."
	}
	return "", ""
}
