package httpapi_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/local"
)

// TestOrphanObjectsSwept: the hourly sweep deletes batchgate's objects that
// nothing references and that are older than the stale age on the
// gateway's clock (what a gateway killed mid-upload leaves: tenants'
// prompts no file row names), and keeps the objects of files, a running
// batch's outputs, Bedrock's own output, recent objects and anything
// outside batchgate's prefixes.
func TestOrphanObjectsSwept(t *testing.T) {
	ctx := t.Context()
	clk := &clock{t: time.Now().UTC()}
	e, le := startEnv(t, envOptions{
		local:     local.Options{StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1},
		configure: func(g *gateway.Gateway) { g.Now = clk.now; g.StaleUploadAge = time.Hour },
	})
	key := e.key(model)
	d := e.gw.Deployments[model]
	upload := func() fileObj {
		t.Helper()
		r := e.upload(key, part{"file", lines(2, model)}, part{"purpose", "batch"})
		var f fileObj
		r.json(t, &f)
		if r.status != 200 {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		return f
	}

	// A batch runs to its end; then its output file's row goes without its
	// object (a gateway killed inside DELETE /v1/files).
	done := e.createBatch(key, upload().ID)
	waitUntil(t, func() bool {
		if _, err := e.gw.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		r := e.json(key, "GET", "/v1/batches/"+done.ID, nil)
		r.json(t, &done)
		return done.Status == "completed"
	})
	out, err := e.gw.Store.FindFileByID(ctx, *done.OutputFileID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.gw.Store.DeleteFile(ctx, out.ID); err != nil {
		t.Fatal(err)
	}
	// A batch that runs (nothing reconciles it from here on).
	input := upload()
	running := e.createBatch(key, input.ID)

	plant := func(k string) string {
		t.Helper()
		if _, err := d.Objects.Put(ctx, local.Bucket, k, strings.NewReader(`{"recordId":"x"}`+"\n"), ""); err != nil {
			t.Fatal(err)
		}
		return k
	}
	orphan := plant("batchgate/input/file-0rphan.jsonl")               // an upload killed before its file row
	orphanPart := plant("batchgate/input/file-0rphan.part1.jsonl")     // and its second part
	stalePart := plant("batchgate/input/" + input.ID + ".part3.jsonl") // a part its file does not name
	noBatch := plant("batchgate/output/batch_nobody/openai/output.jsonl")
	recent := plant("batchgate/input/file-recent.jsonl")
	liveOut := plant("batchgate/output/" + running.ID + "/openai/output.jsonl") // a running batch's, being written
	liveJob := plant("batchgate/output/" + running.ID + "/abcdefghijkl/in.jsonl.out")
	outside := plant("elsewhere/file-0rphan.jsonl")

	listAll := func() []string {
		t.Helper()
		objs, _ := e.objects(le, "")
		slices.Sort(objs)
		return objs
	}
	before := listAll()

	// Nothing is old yet on the gateway's clock.
	if n, err := e.gw.DeleteOrphanObjects(ctx); err != nil || n != 0 {
		t.Fatalf("DeleteOrphanObjects before the stale age = %d, %v; want 0", n, err)
	}
	// Two hours on; the recent object was written 30 minutes ago.
	clk.add(2 * time.Hour)
	// (The embedded S3 reports a file's modification time as LastModified.)
	path := filepath.Join(e.dir, "s3", "buckets", local.Bucket, filepath.FromSlash(recent))
	if err := os.Chtimes(path, time.Time{}, clk.now().Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	gone := []string{orphan, orphanPart, stalePart, noBatch, out.Key}
	n, err := e.gw.DeleteOrphanObjects(ctx)
	if err != nil || n != len(gone) {
		t.Errorf("DeleteOrphanObjects = %d, %v; want %d", n, err, len(gone))
	}
	// (The emulator may add the running job's output meanwhile.)
	after := listAll()
	for _, k := range before {
		if slices.Contains(gone, k) == slices.Contains(after, k) {
			t.Errorf("%s: kept = %v after the sweep; want %v", k, slices.Contains(after, k), !slices.Contains(gone, k))
		}
	}
	for _, k := range append([]string{recent, liveOut, liveJob, outside}, gone...) {
		if !slices.Contains(before, k) {
			t.Errorf("%s was not planted", k)
		}
	}
	// The files that exist still serve their content.
	if r := e.do(key, "GET", "/v1/files/"+input.ID+"/content", "", nil); r.status != 200 {
		t.Errorf("the running batch's input after the sweep: %d %s", r.status, r.body)
	}
	if r := e.do(key, "GET", "/v1/files/"+done.InputFileID+"/content", "", nil); r.status != 200 {
		t.Errorf("the ended batch's input after the sweep: %d %s", r.status, r.body)
	}
	// Bedrock's own output of the ended batch stays (raw reads, the admin's audit).
	raw := 0
	for _, k := range listAll() {
		if strings.HasPrefix(k, "batchgate/output/"+done.ID+"/") && strings.HasSuffix(k, ".jsonl.out") {
			raw++
		}
	}
	if raw == 0 {
		t.Errorf("Bedrock's output of %s went with the sweep", done.ID)
	}
}
