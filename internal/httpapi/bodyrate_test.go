package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/deploy"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/local"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// trickle gives b in small pieces with a pause between them: an upload
// that is slow but steady.
type trickle struct {
	b     []byte
	piece int
	pause time.Duration
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(t.pause)
	n := copy(p[:min(len(p), t.piece)], t.b)
	t.b = t.b[n:]
	return n, nil
}

// The minimum body rate is not a total deadline: an upload that takes many
// windows but keeps bringing bytes is accepted.
func TestBodyRate_SlowSteadyUploadPasses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	le, err := local.Start(ctx, local.Options{DataDir: dir, Log: log, MinRecordsPerJob: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	store, err := sqlite.Open(ctx, dir+"/batchgate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	deps, _, err := deploy.All(ctx, le.Config.ModelList)
	if err != nil {
		t.Fatal(err)
	}
	api := &httpapi.Server{Gateway: gateway.New(store, deps, log), MasterKey: master, Log: log, Version: "test",
		BodyProgressWindow: 500 * time.Millisecond, BodyProgressBytes: 256}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)

	body, ctype := multipartBody(part{name: "purpose", value: "batch"}, part{name: "file", value: lines(40, local.ModelName)})
	// ~8 KB in 512-byte pieces 100 ms apart: several windows in all, each with
	// more than 256 bytes.
	slow := &trickle{b: body.(*bytes.Buffer).Bytes(), piece: 512, pause: 100 * time.Millisecond}
	req, _ := http.NewRequest("POST", srv.URL+"/v1/files", slow)
	req.Header.Set("Authorization", "Bearer "+master)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("slow steady upload: %d %s", resp.StatusCode, b)
	}
}
