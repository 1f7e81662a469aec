package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// clock is a gateway clock the test moves on.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newClockEnv is newEnv without the background reconciler and with the
// gateway on clk: the test runs Reconcile and ExpireFiles itself.
// configure runs before the server starts.
func newClockEnv(t *testing.T, clk *clock, configure func(*gateway.Gateway)) *env {
	t.Helper()
	e, _ := startEnv(t, envOptions{
		local: local.Options{StepDelay: 5 * time.Millisecond, MinRecordsPerJob: 1},
		configure: func(gw *gateway.Gateway) {
			gw.Now = clk.now
			if configure != nil {
				configure(gw)
			}
		},
	})
	return e
}

type fileObj struct {
	ID        string
	CreatedAt int64  `json:"created_at"`
	ExpiresAt *int64 `json:"expires_at"`
}

func (e *env) getFile(key, id string) (int, fileObj) {
	e.t.Helper()
	r := e.json(key, "GET", "/v1/files/"+id, nil)
	var f fileObj
	if r.status == 200 {
		r.json(e.t, &f)
	}
	return r.status, f
}

// expiresIn checks that file f expires d after its creation, in the upload
// response and in GET /v1/files/{id}.
func (e *env) expiresIn(key string, f fileObj, d time.Duration) {
	e.t.Helper()
	want := f.CreatedAt + int64(d/time.Second)
	if f.ExpiresAt == nil || *f.ExpiresAt != want {
		e.t.Errorf("file %s: expires_at = %v, want created_at+%v = %d", f.ID, show(f.ExpiresAt), d, want)
	}
	if status, got := e.getFile(key, f.ID); status != 200 || got.ExpiresAt == nil || *got.ExpiresAt != want {
		e.t.Errorf("GET file %s: status %d, expires_at = %v, want %d", f.ID, status, show(got.ExpiresAt), want)
	}
}

func show(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// The official Go SDK (v3) sends expires_after[anchor] and
// expires_after[seconds] before the file part and purpose after it.
func TestUploadExpiresAfterSDK(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	e := newClockEnv(t, clk, nil)
	key := e.key(model)
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	f, err := client.Files.New(t.Context(), openai.FileNewParams{
		File:         openai.File(strings.NewReader(lines(2, model)), "in.jsonl", "application/jsonl"),
		Purpose:      openai.FilePurposeBatch,
		ExpiresAfter: openai.FileNewParamsExpiresAfter{Seconds: 7200},
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.CreatedAt != clk.now().Unix() || f.ExpiresAt != clk.now().Unix()+7200 {
		t.Errorf("SDK file: created_at %d, expires_at %d; want %d, %d", f.CreatedAt, f.ExpiresAt, clk.now().Unix(), clk.now().Unix()+7200)
	}
	e.expiresIn(key, fileObj{ID: f.ID, CreatedAt: f.CreatedAt, ExpiresAt: &f.ExpiresAt}, 2*time.Hour)
	got, err := client.Files.Get(t.Context(), f.ID)
	if err != nil || got.ExpiresAt != f.ExpiresAt {
		t.Errorf("SDK Get: %v, expires_at %d, want %d", err, got.ExpiresAt, f.ExpiresAt)
	}
}

// The policy may come before the file, after it, split around it, or as a
// JSON object; a configured default applies to uploads without one.
func TestUploadExpiresAfterForms(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	e := newClockEnv(t, clk, func(g *gateway.Gateway) { g.FileExpireAfter = 30 * 24 * time.Hour })
	key := e.key(model)
	file := lines(2, model)
	anchor, secs := part{"expires_after[anchor]", "created_at"}, func(s string) part { return part{"expires_after[seconds]", s} }
	tests := []struct {
		name  string
		parts []part
		want  time.Duration
	}{
		{"Before", []part{{"purpose", "batch"}, anchor, secs("3600"), {"file", file}}, time.Hour},
		{"After", []part{{"file", file}, {"purpose", "batch"}, secs("2592000"), anchor}, 30 * 24 * time.Hour},
		{"Split", []part{{"purpose", "batch"}, secs("86400"), {"file", file}, anchor}, 24 * time.Hour},
		{"JSON", []part{{"purpose", "batch"}, {"file", file}, {"expires_after", `{"anchor":"created_at","seconds":7200}`}}, 2 * time.Hour},
		{"ConfigDefault", []part{{"purpose", "batch"}, {"file", file}}, 30 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(key, tt.parts...)
			if r.status != 200 {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
			var f fileObj
			r.json(t, &f)
			e.expiresIn(key, f, tt.want)
		})
	}
}

// Without expires_after and without a configured default a file never
// expires (expires_at null), as before.
func TestUploadNoExpiry(t *testing.T) {
	e := newClockEnv(t, &clock{t: time.Now()}, nil)
	key := e.key(model)
	r := e.upload(key, part{"purpose", "batch"}, part{"file", lines(1, model)})
	var f fileObj
	r.json(t, &f)
	if r.status != 200 || f.ExpiresAt != nil {
		t.Errorf("upload: %d, expires_at %v, want null (%s)", r.status, show(f.ExpiresAt), r.body)
	}
}

func TestUploadExpiresAfterErrors(t *testing.T) {
	e := newClockEnv(t, &clock{t: time.Now()}, nil)
	key := e.key(model)
	file := lines(1, model)
	anchor := part{"expires_after[anchor]", "created_at"}
	secs := func(s string) part { return part{"expires_after[seconds]", s} }
	tests := []struct {
		name  string
		parts []part
		param string
	}{
		{"ErrAnchor", []part{{"purpose", "batch"}, {"expires_after[anchor]", "last_active_at"}, secs("3600"), {"file", file}}, "expires_after[anchor]"},
		{"ErrAnchorAfterFile", []part{{"purpose", "batch"}, {"file", file}, secs("3600"), {"expires_after[anchor]", "updated_at"}}, "expires_after[anchor]"},
		{"ErrTooShort", []part{{"purpose", "batch"}, anchor, secs("3599"), {"file", file}}, "expires_after[seconds]"},
		{"ErrTooLong", []part{{"purpose", "batch"}, {"file", file}, anchor, secs("2592001")}, "expires_after[seconds]"},
		{"ErrNotANumber", []part{{"purpose", "batch"}, {"file", file}, anchor, secs("1h")}, "expires_after[seconds]"},
		{"ErrNoAnchor", []part{{"purpose", "batch"}, secs("3600"), {"file", file}}, "expires_after[anchor]"},
		{"ErrNoSeconds", []part{{"purpose", "batch"}, {"file", file}, anchor}, "expires_after[seconds]"},
		{"ErrJSON", []part{{"purpose", "batch"}, {"file", file}, {"expires_after", `{"anchor":"created_at","seconds":"soon"}`}}, "expires_after[seconds]"},
		{"ErrNotJSON", []part{{"purpose", "batch"}, {"expires_after", `3600`}, {"file", file}}, "expires_after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(key, tt.parts...)
			var ae apiError
			r.json(t, &ae)
			if r.status != 400 || ae.Error.Param == nil || *ae.Error.Param != tt.param || !strings.Contains(ae.Error.Message, "expires_after") {
				t.Errorf("status %d, body %s; want 400 naming %s", r.status, r.body, tt.param)
			}
		})
	}
	// No refused upload left a file behind.
	r := e.json(key, "GET", "/v1/files", nil)
	var list struct{ Data []fileObj }
	r.json(t, &list)
	if r.status != 200 || len(list.Data) != 0 {
		t.Errorf("files after refused uploads: %d %s", r.status, r.body)
	}
}

// An expired input file goes, object and record, at the reconciler's next
// pass, but not while a batch that uses it runs; the batch's output file
// expires OutputExpireAfter after settlement, its record only.
func TestFilesExpire(t *testing.T) {
	ctx := t.Context()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	e := newClockEnv(t, clk, func(g *gateway.Gateway) { g.OutputExpireAfter = 2 * time.Hour })
	key := e.key(model)
	d := e.gw.Deployments[model]
	upload := func() fileObj {
		r := e.upload(key, part{"purpose", "batch"}, part{"file", lines(2, model)},
			part{"expires_after[seconds]", "3600"}, part{"expires_after[anchor]", "created_at"})
		var f fileObj
		r.json(t, &f)
		if r.status != 200 {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		return f
	}
	expire := func() int {
		t.Helper()
		n, err := e.gw.ExpireFiles(ctx)
		if err != nil {
			t.Fatalf("ExpireFiles: %v", err)
		}
		return n
	}
	idle, used := upload(), upload()
	stored, err := e.gw.Store.FindFileByID(ctx, used.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := e.createBatch(key, used.ID)

	// Not yet expired.
	clk.add(59 * time.Minute)
	if n := expire(); n != 0 {
		t.Errorf("ExpireFiles before expires_at deleted %d files", n)
	}
	// Expired: the idle file goes, the running batch's input stays.
	clk.add(2 * time.Minute)
	if n := expire(); n != 1 {
		t.Errorf("ExpireFiles deleted %d files, want 1", n)
	}
	if status, _ := e.getFile(key, idle.ID); status != 404 {
		t.Errorf("expired idle file: GET = %d, want 404", status)
	}
	if status, _ := e.getFile(key, used.ID); status != 200 {
		t.Errorf("input of a running batch: GET = %d, want 200", status)
	}
	// The batch runs to its end; the next pass deletes its input file and object.
	var done batchObj
	waitUntil(t, func() bool {
		if _, err := e.gw.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		r := e.json(key, "GET", "/v1/batches/"+b.ID, nil)
		r.json(t, &done)
		return done.Status == "completed"
	})
	if done.OutputFileID == nil || done.RequestCounts.Completed != 2 {
		t.Fatalf("batch = %+v", done)
	}
	if n := expire(); n != 1 {
		t.Errorf("after the batch: ExpireFiles deleted %d files, want 1", n)
	}
	if status, _ := e.getFile(key, used.ID); status != 404 {
		t.Errorf("expired input after its batch: GET = %d, want 404", status)
	}
	if rc, err := d.Objects.Get(ctx, stored.Bucket, stored.Key); err == nil {
		rc.Close()
		t.Errorf("the expired input file's object %s is still there", stored.Key)
	}

	// The output file expires 2h after settlement: its record and the
	// OpenAI-form object go, Bedrock's own output stays.
	_, out := e.getFile(key, *done.OutputFileID)
	e.expiresIn(key, out, 2*time.Hour)
	outRec, err := e.gw.Store.FindFileByID(ctx, out.ID)
	if err != nil {
		t.Fatal(err)
	}
	clk.add(time.Hour)
	if n := expire(); n != 0 {
		t.Errorf("output file deleted %d files an hour early", n)
	}
	clk.add(time.Hour)
	if n := expire(); n != 1 {
		t.Errorf("ExpireFiles deleted %d files, want the output file", n)
	}
	if status, _ := e.getFile(key, out.ID); status != 404 {
		t.Errorf("expired output file: GET = %d, want 404", status)
	}
	if rc, err := d.Objects.Get(ctx, outRec.Bucket, outRec.Key); err == nil {
		rc.Close()
		t.Errorf("the expired output file's object %s is still there", outRec.Key)
	}
	raw, err := d.Objects.List(ctx, outRec.Bucket, strings.TrimSuffix(outRec.Key, "openai/output.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	jobOutputs := 0
	for _, o := range raw {
		if strings.HasSuffix(o.Key, ".jsonl.out") {
			jobOutputs++
		}
	}
	if jobOutputs == 0 {
		t.Errorf("Bedrock's output went with the expired output file: %v", raw)
	}
	if r := e.json(key, "GET", "/v1/batches/"+b.ID, nil); r.status != 200 {
		t.Errorf("batch after its files expired: %d %s", r.status, r.body)
	}
}

// staleExpired is a replica's store whose FindExpiredFiles still lists files
// another replica has already deleted.
type staleExpired struct {
	batchgate.Store
	stale []*batchgate.File
}

func (s staleExpired) FindExpiredFiles(ctx context.Context, now time.Time, limit int) ([]*batchgate.File, error) {
	files, err := s.Store.FindExpiredFiles(ctx, now, limit)
	return append(s.stale, files...), err
}

// Two replicas expiring the same file: the second finds it gone, which is
// no error.
func TestFilesExpireTwice(t *testing.T) {
	ctx := t.Context()
	clk := &clock{t: time.Now().UTC()}
	e := newClockEnv(t, clk, nil)
	key := e.key(model)
	r := e.upload(key, part{"purpose", "batch"}, part{"expires_after[anchor]", "created_at"}, part{"expires_after[seconds]", "3600"}, part{"file", lines(1, model)})
	var f fileObj
	r.json(t, &f)
	rec, err := e.gw.Store.FindFileByID(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Hour)
	if n, err := e.gw.ExpireFiles(ctx); n != 1 || err != nil {
		t.Fatalf("first replica: %d, %v", n, err)
	}
	var deps []*gateway.Deployment
	for _, d := range e.gw.Deployments {
		deps = append(deps, d)
	}
	other := gateway.New(staleExpired{e.gw.Store, []*batchgate.File{rec}}, deps, slog.New(slog.NewTextHandler(io.Discard, nil)))
	other.Now = clk.now
	if n, err := other.ExpireFiles(ctx); n != 0 || err != nil {
		t.Errorf("second replica: %d, %v; want 0, nil", n, err)
	}
}

// The background reconciler expires files without anyone calling ExpireFiles.
func TestReconcilerExpiresFiles(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	e := newClockEnv(t, clk, nil)
	key := e.key(model)
	r := e.upload(key, part{"purpose", "batch"}, part{"expires_after[anchor]", "created_at"}, part{"expires_after[seconds]", "3600"}, part{"file", lines(1, model)})
	var f fileObj
	r.json(t, &f)
	if r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	clk.add(time.Hour + time.Second)
	runReconciler(t, e.gw, 10*time.Millisecond)
	waitUntil(t, func() bool { status, _ := e.getFile(key, f.ID); return status == 404 })
}

// TestBatchOutputExpiresAfter: OpenAI's output_expires_after on batch
// creation sets the output file's expires_at from its creation (over the
// configured default), and bad values are refused naming the field.
func TestBatchOutputExpiresAfter(t *testing.T) {
	ctx := t.Context()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	e := newClockEnv(t, clk, func(g *gateway.Gateway) { g.OutputExpireAfter = 2 * time.Hour })
	key := e.key(model)
	fileID := e.uploadOK(key, lines(2, model))
	create := func(policy any) response {
		return e.json(key, "POST", "/v1/batches", map[string]any{"input_file_id": fileID, "endpoint": "/v1/chat/completions",
			"completion_window": "24h", "output_expires_after": policy})
	}
	for _, bad := range []struct {
		policy any
		param  string
	}{
		{map[string]any{"anchor": "completed_at", "seconds": 7200}, "output_expires_after.anchor"},
		{map[string]any{"anchor": "created_at", "seconds": 60}, "output_expires_after.seconds"},
		{map[string]any{"anchor": "created_at", "seconds": 3000000}, "output_expires_after.seconds"},
		{map[string]any{"anchor": "created_at", "seconds": "soon"}, "output_expires_after.seconds"},
	} {
		wantError(t, fmt.Sprint(bad.policy), create(bad.policy), 400, bad.param)
	}
	r := create(map[string]any{"anchor": "created_at", "seconds": 3 * 86400})
	var b batchObj
	r.json(t, &b)
	if r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var done batchObj
	waitUntil(t, func() bool {
		if _, err := e.gw.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		e.json(key, "GET", "/v1/batches/"+b.ID, nil).json(t, &done)
		return done.Status == "completed"
	})
	if done.OutputFileID == nil {
		t.Fatalf("batch = %+v", done)
	}
	_, out := e.getFile(key, *done.OutputFileID)
	e.expiresIn(key, out, 3*24*time.Hour) // not the configured 2h
}
