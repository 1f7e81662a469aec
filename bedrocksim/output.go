package bedrocksim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"slices"
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
	// Lines go to tmp in input order; ends[i] is where line i ends.
	w := &countingWriter{w: tmp}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var ends []int64
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
		if err := enc.Encode(out); err != nil {
			return err
		}
		ends = append(ends, w.n)
		return nil
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
	shuffled, err := s.shuffleLines(j, f, tmp, ends)
	if err != nil {
		return c, message(fmt.Sprintf("Internal error: %v", err))
	}
	defer os.Remove(shuffled.Name())
	defer shuffled.Close()
	bucket, prefix := outputLocation(j)
	if err := s.put(ctx, j, bucket, prefix+f.name+".out", shuffled); err != nil {
		return c, err
	}
	return c, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// shuffleLines copies the lines of src (line i ends at ends[i]) to a new
// temporary file in a shuffled order, positioned at its start. AWS does not
// keep the input order ("not guaranteed", spec §2.4), so clients must join
// on recordId; the shuffle makes sure they do. It is seeded by the job id and
// the file name, or by Config.OutputOrderSeed, so a job's output is
// reproducible.
func (s *Server) shuffleLines(j *job, f inputFile, src *os.File, ends []int64) (*os.File, error) {
	seed := j.id
	if s.cfg.OutputOrderSeed != 0 {
		seed = strconv.FormatUint(s.cfg.OutputOrderSeed, 10)
	}
	sum := sha256.Sum256([]byte(seed + "/" + f.name))
	rng := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
	order := rng.Perm(len(ends))

	dst, err := os.CreateTemp("", "bedrocksim-*.out")
	if err != nil {
		return nil, err
	}
	var buf []byte
	for _, i := range order {
		start := int64(0)
		if i > 0 {
			start = ends[i-1]
		}
		buf = slices.Grow(buf[:0], int(ends[i]-start))[:ends[i]-start]
		if _, err = src.ReadAt(buf, start); err == nil {
			_, err = dst.Write(buf)
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		_, err = dst.Seek(0, io.SeekStart)
	}
	if err != nil {
		dst.Close()
		os.Remove(dst.Name())
		return nil, err
	}
	return dst, nil
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
