package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/bedrocksim"
	"github.com/batchgate/batchgate/internal/awsconf"
)

// TestResultFilesWrittenAtSettlement: a settled batch's output and error
// files are stored in OpenAI form, with their real sizes, and read back
// as they were written even once the input file is gone (the error file's
// lines for unprocessed records come from it). A file recorded before
// batchgate stored results (pointing at Bedrock's .out object) still reads
// the same, converted on the fly; deleting a file deletes the object
// batchgate wrote but not Bedrock's output.
func TestResultFilesWrittenAtSettlement(t *testing.T) {
	e := newOpsEnv(t, opsOptions{faults: bedrocksim.Faults{PartialFraction: 0.25}})
	gw := e.gws[0]
	ctx := context.Background()
	in := e.upload(gw, 8, "res")
	b := e.waitFor(e.create(gw, in).ID, 20*time.Second, "ended", func(b *batchgate.Batch) bool { return batchgate.Terminal(b.Status) })
	if b.OutputFileID == "" || b.ErrorFileID == "" || b.RequestCounts != (batchgate.RequestCounts{Total: 8, Completed: 6, Failed: 2}) {
		t.Fatalf("batch = %s, counts %+v, output %q, error %q", b.Status, b.RequestCounts, b.OutputFileID, b.ErrorFileID)
	}
	if err := gw.DeleteFile(ctx, admin, in.ID); err != nil {
		t.Fatal(err)
	}
	read := func(f *batchgate.File, raw bool) string {
		t.Helper()
		var buf bytes.Buffer
		if err := gw.WriteContent(ctx, f, raw, &buf); err != nil {
			t.Fatalf("content of %s: %v", f.ID, err)
		}
		return buf.String()
	}
	d := gw.Deployments[e.model.ModelName]
	for _, c := range []struct {
		id    string
		lines int
		key   string // a field every line has
	}{{b.OutputFileID, 6, `"response":{"status_code":200`}, {b.ErrorFileID, 2, `"code":"batch_expired"`}} {
		f, err := e.store.FindFileByID(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		got := read(f, false)
		if int64(len(got)) != f.Bytes || strings.Count(got, "\n") != c.lines || f.Records != c.lines {
			t.Errorf("%s: %d bytes and %d lines, recorded %d bytes and %d records; want %d lines",
				f.ID, len(got), strings.Count(got, "\n"), f.Bytes, f.Records, c.lines)
		}
		for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			if !json.Valid([]byte(l)) || !strings.Contains(l, c.key) || !strings.Contains(l, `"custom_id":"res-`) {
				t.Errorf("%s line %s: want %s and its custom_id", f.ID, l, c.key)
			}
		}
		if !strings.HasSuffix(f.Key, "/openai/"+f.Kind+".jsonl") {
			t.Errorf("%s is stored at %s", f.ID, f.Key)
		}

		// A file recorded the old way: its key is the job's .out object.
		objs, err := d.Objects.List(ctx, f.Bucket, strings.TrimSuffix(f.Key, "openai/"+f.Kind+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		legacy := *f
		legacy.ID = f.ID + "-legacy"
		for _, o := range objs {
			if strings.HasSuffix(o.Key, ".jsonl.out") {
				legacy.Key = o.Key
			}
		}
		if legacy.Key == f.Key {
			t.Fatalf("no Bedrock output among %v", objs)
		}
		if f.Kind == batchgate.FileOutput { // (the error file's unprocessed lines need the input, deleted above)
			if old := read(&legacy, false); old != got {
				t.Errorf("%s converted on the fly differs from the stored form:\n%s\nvs\n%s", f.ID, old, got)
			}
		}
		if raw := read(f, true); strings.Count(raw, `"recordId"`) != strings.Count(raw, "\n") || (f.Kind == batchgate.FileOutput) != (raw != "") {
			t.Errorf("%s raw: %q", f.ID, raw)
		}

		if err := gw.DeleteFile(ctx, admin, f.ID); err != nil {
			t.Fatal(err)
		}
		if rc, err := d.Objects.Get(ctx, f.Bucket, f.Key); err == nil {
			rc.Close()
			t.Errorf("%s's object outlived the file", f.ID)
		}
		if rc, err := d.Objects.Get(ctx, f.Bucket, legacy.Key); err != nil {
			t.Errorf("Bedrock's output went with %s: %v", f.ID, err)
		} else {
			rc.Close()
		}
	}
}

// TestStaleResultUploadsAborted: a result file upload a crash left
// unfinished is aborted by the hourly sweep; Bedrock's own uploads under the
// output prefix are not.
func TestStaleResultUploadsAborted(t *testing.T) {
	e := newOpsEnv(t, opsOptions{})
	ctx := context.Background()
	client, err := awsconf.S3(ctx, e.model.LiteLLMParams)
	if err != nil {
		t.Fatal(err)
	}
	bucket := e.model.LiteLLMParams.OutputBucket()
	ours, bedrocks := "batchgate/output/batch_1/openai/output.jsonl", "batchgate/output/batch_1/abcdefghijkl/in.jsonl.out"
	for _, k := range []string{ours, bedrocks} {
		if _, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	gw := e.gws[0]
	gw.StaleUploadAge = time.Nanosecond
	time.Sleep(10 * time.Millisecond)
	if _, err := gw.AbortStaleUploads(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: aws.String("batchgate/output/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 1 || aws.ToString(out.Uploads[0].Key) != bedrocks {
		var keys []string
		for _, u := range out.Uploads {
			keys = append(keys, aws.ToString(u.Key))
		}
		t.Errorf("uploads left %v; want only Bedrock's %s", keys, bedrocks)
	}
}
