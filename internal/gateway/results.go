package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/translate"
)

// Output and error files are written once, when the batch settles: the
// Bedrock .out objects of every job of the batch are converted in one pass
// to OpenAI batch output lines, split into the two files and stored beside
// the jobs' output (with the deployment's SSE-KMS key). A download is then a
// plain S3 read, the file's bytes are its real size, and the content no
// longer depends on the input file (unprocessed records) or on the model
// still being configured the same way.
//
// Files settled before batchgate did this point at a Bedrock .out object
// (every Bedrock output key ends in .out) and are converted on each read.

// resultKey is where the OpenAI form of a batch's output or error file is
// stored: {outputUri}/openai/{kind}.jsonl, beside the job folders (a Bedrock
// job id is 12 characters, so "openai" never collides with one).
func resultKey(b *batchgate.Batch, kind string) (bucket, key string) {
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(b.OutputPrefix, "s3://"), "/")
	return bucket, strings.TrimSuffix(prefix, "/") + "/openai/" + kind + ".jsonl"
}

// isResultKey reports whether key is one resultKey gives.
func isResultKey(key string) bool {
	// (Under the deployment's output key prefix, which the sweeps list.)
	return strings.Contains(key, outputPrefix) && (strings.HasSuffix(key, "/openai/"+batchgate.FileOutput+".jsonl") ||
		strings.HasSuffix(key, "/openai/"+batchgate.FileError+".jsonl"))
}

// materialized reports whether f's content is stored in OpenAI form.
func materialized(f *batchgate.File) bool {
	return f.Key != "" && !strings.HasSuffix(f.Key, ".out")
}

// createResultFiles writes and records the output and error files of a
// batch settling in status: the output file when its jobs wrote output, the
// error file when requests failed. Their ids and keys derive from the batch
// id, so settling twice (after a crash, or by two replicas) creates nothing
// new.
func (g *Gateway) createResultFiles(ctx context.Context, d *Deployment, b *batchgate.Batch, status string, created time.Time) error {
	objs, err := g.outputObjects(ctx, d, b)
	if err != nil {
		return err
	}
	withOutput, withErrors := len(objs) > 0, b.RequestCounts.Failed > 0
	if !withOutput && !withErrors {
		return nil
	}
	release, err := g.resultSlot(ctx, objs)
	if err != nil {
		return err
	}
	defer release()
	// A large write can outlast the lease: keep it, so that no other
	// replica takes the batch over and writes the same files meanwhile.
	defer g.keepLease(ctx, b)()
	sizes, err := g.writeResults(ctx, d, b, objs, status, created, withOutput, withErrors)
	if err != nil {
		return fmt.Errorf("write result files of %s: %w", b.ID, err)
	}
	suffix := strings.TrimPrefix(b.ID, "batch_")
	mk := func(kind string, n, size int64) error {
		bucket, key := resultKey(b, kind)
		f := &batchgate.File{
			ID: "file-" + kind + "-" + suffix, Purpose: batchgate.PurposeBatchOutput, Filename: b.ID + "_" + kind + ".jsonl",
			Records: int(n), CreatedAt: g.now(), Owner: b.Owner, Kind: kind, Endpoint: b.Endpoint, Model: b.Model,
			Bytes: size, Bucket: bucket, Key: key, BatchID: b.ID,
		}
		f.ExpiresAt = g.outputExpiry(b, f.CreatedAt)
		if err := g.Store.CreateFile(ctx, f); err != nil && batchgate.ErrorCode(err) != batchgate.ECONFLICT {
			return err
		}
		if kind == batchgate.FileOutput {
			b.OutputFileID = f.ID
		} else {
			b.ErrorFileID = f.ID
		}
		return nil
	}
	if withOutput {
		if err := mk(batchgate.FileOutput, b.RequestCounts.Completed, sizes[0]); err != nil {
			return err
		}
	}
	if !withErrors {
		return nil
	}
	return mk(batchgate.FileError, b.RequestCounts.Failed, sizes[1])
}

// maxLargeResultWrites bounds the settlements writing large result files at
// once: each holds the buffers of two multipart uploads (up to ~80 MB) and
// its conversion chunks, and the reconciler works several batches at a
// time. Small outputs (one part) are not held back.
const maxLargeResultWrites = 2

// largeResultBytes is "larger than one multipart part" (s3store's default).
const largeResultBytes = 8 << 20

// resultSlot waits for a slot when the batch's Bedrock output is larger
// than one multipart part, and returns its release.
func (g *Gateway) resultSlot(ctx context.Context, objs []batchgate.Object) (func(), error) {
	var size int64
	for _, o := range objs {
		size += o.Size
	}
	if g.largeResults == nil || size <= largeResultBytes {
		return func() {}, nil
	}
	select {
	case g.largeResults <- struct{}{}:
		return func() { <-g.largeResults }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// keepLease renews b's lease every third of LeaseTTL until the returned
// stop is called (and has waited for the renewer to end).
func (g *Gateway) keepLease(ctx context.Context, b *batchgate.Batch) (stop func()) {
	if g.LeaseTTL <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(g.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A copy: b is being read meanwhile, and stays as it was.
				c := *b
				now := g.now()
				c.LeaseOwner, c.LeaseUntil, c.UpdatedAt = g.ReplicaID, ptr(now.Add(g.LeaseTTL)), now
				if err := g.Store.UpdateBatch(ctx, &c); err != nil && ctx.Err() == nil {
					g.Log.Warn("renew lease during settlement", "batch_id", b.ID, "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// writeResults converts the batch's Bedrock output objects in one pass and
// streams the output lines (withOutput) and the error lines (withErrors),
// followed by a line for each record Bedrock never reached, to their S3
// objects at once. It returns the two objects' sizes.
func (g *Gateway) writeResults(ctx context.Context, d *Deployment, b *batchgate.Batch, objs []batchgate.Object, status string, created time.Time, withOutput, withErrors bool) ([2]int64, error) {
	var sizes [2]int64
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var streams []int // of convertResults' two: 0 output, 1 errors
	if withOutput {
		streams = append(streams, 0)
	}
	if withErrors {
		streams = append(streams, 1)
	}
	kinds := []string{batchgate.FileOutput, batchgate.FileError}
	pipes := make([]*io.PipeWriter, len(streams))
	bws := make([]*bufio.Writer, 2)
	writers := []io.Writer{io.Discard, io.Discard} // convertResults' two streams
	done := make(chan error, len(streams))
	for i, s := range streams {
		pr, pw := io.Pipe()
		pipes[i] = pw
		bws[s] = bufio.NewWriterSize(pw, 256<<10)
		writers[s] = bws[s]
		bucket, key := resultKey(b, kinds[s])
		go func() {
			n, err := d.Objects.Put(ctx, bucket, key, pr, d.KMSKeyID)
			sizes[s] = n
			pr.CloseWithError(err) // unblocks the writer when Put gives up early
			done <- err
		}()
	}
	err := g.convertResults(ctx, d, b, objs, created, false, writers)
	if err == nil && withErrors {
		err = g.writeUnprocessed(ctx, d, b, status, objs, bws[1])
	}
	for i, pw := range pipes {
		if err == nil {
			err = bws[streams[i]].Flush()
		}
		if err != nil {
			cancel(err) // abort the uploads rather than complete a truncated object
		}
		pw.CloseWithError(err)
	}
	for range streams {
		if perr := <-done; err == nil {
			err = perr
		}
	}
	return sizes, err
}

// convertResults converts Bedrock output lines to OpenAI batch output
// lines (or, raw, keeps them as they are): successes to ws[0], failures to
// ws[1].
func (g *Gateway) convertResults(ctx context.Context, d *Deployment, b *batchgate.Batch, objs []batchgate.Object, created time.Time, raw bool, ws []io.Writer) error {
	opts := d.translateOptions()
	opts.Endpoint = b.Endpoint // output lines are chat completions, Responses or text completions
	for _, o := range objs {
		err := g.eachOutputLine(ctx, d, o.Key, ws, func(line []byte, out [][]byte) error {
			conv, ok, _, err := translate.OutputLine(opts, line, b.Model, created.Unix())
			if err != nil {
				return fmt.Errorf("convert output line of %s: %w", b.ID, err)
			}
			i := 0
			if !ok {
				i = 1
			}
			if raw {
				conv = line
			}
			out[i] = append(append(out[i], conv...), '\n')
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// eachOutputLine runs convert over the lines of one Bedrock output object
// (on several cores, written to ws in order).
func (g *Gateway) eachOutputLine(ctx context.Context, d *Deployment, key string, ws []io.Writer, convert lineConverter) error {
	rc, err := d.Objects.Get(ctx, d.OutputBucket, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	return convertLines(ctx, rc, ws, convert)
}
