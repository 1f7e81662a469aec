package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/batchgate/batchgate"
)

// inputPrefix is where input files are stored in the model's bucket, under
// the deployment's key prefix (s3_bucket_name "bucket/prefix").
const inputPrefix = "batchgate/input/"

// outputPrefix is where the batches' jobs write (outputPrefix{batch_id}/),
// in the output bucket, under the deployment's output key prefix.
const outputPrefix = "batchgate/output/"

// outputURI is where the job of batch id writes on d.
func (d *Deployment) outputURI(id string) string {
	return "s3://" + d.OutputBucket + "/" + d.OutputPrefix + outputPrefix + id + "/"
}

// partUploader streams an input file's translated records to S3, rolling to
// a new object whenever the next record would break the model's per-job
// quota (batch_max_records_per_job, or the bytes of one job's file), so
// that each object can run as one Bedrock job. Parts are written one after
// the other; only the current one is in flight.
type partUploader struct {
	ctx context.Context
	d   *Deployment
	f   *batchgate.File

	maxRecords, minRecords int
	maxBytes               int64

	pw    *io.PipeWriter
	done  chan error
	parts []batchgate.FilePart // the last one is in flight while pw != nil
}

func (g *Gateway) newPartUploader(ctx context.Context, d *Deployment, f *batchgate.File) *partUploader {
	q := d.Quotas
	f.Bucket, f.Key = d.InputBucket, partKey(d.InputPrefix, f.ID, 0)
	return &partUploader{ctx: ctx, d: d, f: f, maxRecords: q.MaxRecordsPerJob, minRecords: q.MinRecords, maxBytes: q.MaxBytesPerPart()}
}

// partKey is the S3 key of part i of file id under the deployment's key
// prefix; part 0 has the key of an unsplit file.
func partKey(prefix, id string, i int) string {
	if i == 0 {
		return prefix + inputPrefix + id + ".jsonl"
	}
	return fmt.Sprintf("%s%s%s.part%d.jsonl", prefix, inputPrefix, id, i)
}

func (u *partUploader) start(key string) {
	pr, pw := io.Pipe()
	u.pw, u.done = pw, make(chan error, 1)
	u.parts = append(u.parts, batchgate.FilePart{Key: key})
	go func() {
		_, err := u.d.Objects.Put(u.ctx, u.f.Bucket, key, pr, u.d.KMSKeyID)
		pr.CloseWithError(err) // unblock the writer if the upload failed
		u.done <- err
	}()
}

// write adds one record (with its newline).
func (u *partUploader) write(rec []byte) error {
	if u.pw != nil {
		cur := u.parts[len(u.parts)-1]
		if cur.Records >= u.maxRecords || (cur.Records > 0 && cur.Bytes+int64(len(rec)) > u.maxBytes) {
			if err := u.closePart(); err != nil {
				return err
			}
		}
	}
	if u.pw == nil {
		u.start(partKey(u.d.InputPrefix, u.f.ID, len(u.parts)))
	}
	if _, err := u.pw.Write(rec); err != nil {
		return err
	}
	cur := &u.parts[len(u.parts)-1]
	cur.Records++
	cur.Bytes += int64(len(rec))
	return nil
}

func (u *partUploader) closePart() error {
	err := u.pw.Close()
	if perr := <-u.done; err == nil {
		err = perr
	}
	u.pw = nil
	return err
}

// finish completes the upload. When the file was split and its last part
// is below the model's minimum records per job, the last two parts are
// rewritten as two balanced ones (or one, if they fit a job together). It
// returns the parts, nil for a file of one object.
func (u *partUploader) finish() ([]batchgate.FilePart, error) {
	if u.pw != nil {
		if err := u.closePart(); err != nil {
			u.abort(err)
			return nil, err
		}
	}
	if n := len(u.parts); n > 1 && u.parts[n-1].Records < u.minRecords {
		if err := u.rebalance(); err != nil {
			u.abort(err)
			return nil, err
		}
	}
	u.f.Key = u.parts[0].Key
	if len(u.parts) == 1 {
		return nil, nil
	}
	return u.parts, nil
}

// rebalance rewrites the last two parts a and b as the first k and the
// other records of a+b.
func (u *partUploader) rebalance() (err error) {
	n := len(u.parts)
	a, b := u.parts[n-2], u.parts[n-1]
	defer func() {
		if err != nil { // abort deletes them with the new parts
			u.parts = append(u.parts, a, b)
		}
	}()
	total := a.Records + b.Records
	k := total / 2
	if total <= u.maxRecords && a.Bytes+b.Bytes <= u.maxBytes {
		k = total
	}
	u.parts = u.parts[:n-2]
	old := []string{a.Key, b.Key}
	next := func(i int) string {
		return fmt.Sprintf("%s%s%s.part%dr.jsonl", u.d.InputPrefix, inputPrefix, u.f.ID, i)
	}
	u.start(next(n - 2))
	written := 0
	for _, key := range old {
		rc, err := u.d.Objects.Get(u.ctx, u.f.Bucket, key)
		if err != nil {
			return err
		}
		br := bufio.NewReaderSize(rc, 256<<10)
		for {
			line, rerr := br.ReadBytes('\n')
			if len(line) > 0 {
				if written == k {
					if err := u.closePart(); err != nil {
						rc.Close()
						return err
					}
					u.start(next(n - 1))
				}
				if _, err := u.pw.Write(line); err != nil {
					rc.Close()
					return err
				}
				cur := &u.parts[len(u.parts)-1]
				cur.Records++
				cur.Bytes += int64(len(line))
				written++
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				rc.Close()
				return rerr
			}
		}
		rc.Close()
	}
	if err := u.closePart(); err != nil {
		return err
	}
	for _, key := range old {
		_ = u.d.Objects.Delete(context.WithoutCancel(u.ctx), u.f.Bucket, key)
	}
	return nil
}

// abort stops the upload in flight (its multipart upload is aborted by the
// object store) and deletes the parts already written.
func (u *partUploader) abort(err error) {
	if u.pw != nil {
		u.pw.CloseWithError(err)
		<-u.done
		u.pw = nil
	}
	u.deleteAll()
}

func (u *partUploader) deleteAll() {
	for _, p := range u.parts {
		_ = u.d.Objects.Delete(context.WithoutCancel(u.ctx), u.f.Bucket, p.Key)
	}
}

// inputKeys returns the S3 keys of an input file's records, in order.
func (g *Gateway) inputKeys(ctx context.Context, f *batchgate.File) ([]string, error) {
	parts, err := g.Store.FindFileParts(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return []string{f.Key}, nil
	}
	keys := make([]string, len(parts))
	for i, p := range parts {
		keys[i] = p.Key
	}
	return keys, nil
}

func copyObject(ctx context.Context, d *Deployment, bucket, key string, w io.Writer) error {
	rc, err := d.Objects.Get(ctx, bucket, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.CopyBuffer(w, rc, make([]byte, copyBufferBytes))
	return err
}

// copyBufferBytes is the copy size for serving an object: fewer, larger
// writes to the client than io.Copy's 32 KB.
const copyBufferBytes = 256 << 10
