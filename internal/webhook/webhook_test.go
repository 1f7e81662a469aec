package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/webhooks"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/config"
	"github.com/batchgate/batchgate/internal/sqlite"
	"github.com/batchgate/batchgate/internal/webhook"
)

// TestSign checks the test vector of the Standard Webhooks libraries.
func TestSign(t *testing.T) {
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

func newSecret(t *testing.T) string {
	var b [32]byte
	rand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// receiver is an endpoint that answers the status codes of fail (then 200)
// and keeps what it was sent.
type receiver struct {
	mu   sync.Mutex
	fail []int
	reqs []received
}

type received struct {
	header http.Header
	body   []byte
	status int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	status := http.StatusOK
	if len(rc.fail) > 0 {
		status, rc.fail = rc.fail[0], rc.fail[1:]
	}
	rc.reqs = append(rc.reqs, received{r.Header.Clone(), body, status})
	w.WriteHeader(status)
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

type fixture struct {
	db     *sqlite.DB
	store  *webhook.Store
	sender *webhook.Sender
	now    time.Time
	added  []string
}

func newFixture(t *testing.T, hooks ...config.Webhook) *fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := range hooks {
		if hooks[i].Timeout == 0 {
			hooks[i].Timeout = 5 * time.Second
		}
		if hooks[i].MaxAttempts == 0 {
			hooks[i].MaxAttempts = 3
		}
	}
	f := &fixture{db: db, now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	f.store = &webhook.Store{Store: db, Events: db, Endpoints: hooks, Added: func(e *batchgate.BatchEvent) { f.added = append(f.added, e.Type) }}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.sender = webhook.NewSender(db, db, hooks, log)
	f.sender.Now = func() time.Time { return f.now }
	f.sender.MinBackoff, f.sender.MaxBackoff = 10*time.Second, time.Minute
	return f
}

func (f *fixture) batch(t *testing.T, id string) *batchgate.Batch {
	t.Helper()
	b := &batchgate.Batch{ID: id, Endpoint: "/v1/chat/completions", InputFileID: "file-x", CompletionWindow: "24h",
		Model: "m", ModelID: "mid", Status: batchgate.StatusInProgress, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.store.CreateBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) finish(t *testing.T, b *batchgate.Batch, status string) {
	t.Helper()
	b.Status, b.UpdatedAt = status, f.now
	if err := f.store.UpdateBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) send(t *testing.T) int {
	t.Helper()
	n, err := f.sender.Send(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// verify checks a request with OpenAI's own SDK, which implements Standard
// Webhooks verification independently, and returns the event.
func verify(t *testing.T, secret string, r received, _ time.Time) *webhooks.UnwrapWebhookEventUnion {
	t.Helper()
	ts, err := strconv.ParseInt(r.header.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		t.Fatalf("webhook-timestamp: %v", err)
	}
	now := time.Unix(ts, 0) // the fixture's clock when it was sent
	svc := webhooks.NewWebhookService(option.WithWebhookSecret(secret))
	ev, err := svc.UnwrapWithToleranceAndTime(r.body, r.header, 5*time.Minute, now)
	if err != nil {
		t.Fatalf("openai-go refuses the webhook: %v\nheaders %v\nbody %s", err, r.header, r.body)
	}
	return ev
}

func TestDeliverRetryAndVerify(t *testing.T) {
	rc := &receiver{fail: []int{500}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	secret := newSecret(t)
	f := newFixture(t, config.Webhook{URL: srv.URL + "/hook?token=abc", Secret: secret})

	b := f.batch(t, "batch_1")
	f.finish(t, b, batchgate.StatusCompleted)
	// A second terminal write (the store may refuse it: a finished batch does
	// not change) adds no event.
	b.Status = batchgate.StatusFailed
	f.store.UpdateBatch(context.Background(), b)
	if len(f.added) != 1 {
		t.Fatalf("events added %v, want one", f.added)
	}

	if n := f.send(t); n != 1 {
		t.Fatalf("first pass took %d deliveries, want 1", n)
	}
	if n := f.send(t); n != 0 {
		t.Fatalf("the retry was due at once (%d)", n)
	}
	f.now = f.now.Add(10 * time.Second)
	if n := f.send(t); n != 1 {
		t.Fatalf("retry pass took %d deliveries, want 1", n)
	}
	f.now = f.now.Add(time.Hour)
	if n := f.send(t); n != 0 {
		t.Fatalf("a delivered webhook was sent again (%d)", n)
	}

	reqs := rc.received()
	if len(reqs) != 2 || reqs[0].status != 500 || reqs[1].status != 200 {
		t.Fatalf("requests %+v, want a 500 then a 200", reqs)
	}
	if reqs[0].header.Get("webhook-id") != reqs[1].header.Get("webhook-id") || !json.Valid(reqs[1].body) ||
		string(reqs[0].body) != string(reqs[1].body) {
		t.Fatalf("a retry must resend the same event: %s %s", reqs[0].body, reqs[1].body)
	}
	ev := verify(t, secret, reqs[1], f.now)
	c := ev.AsBatchCompleted()
	if ev.Type != "batch.completed" || c.Data.ID != "batch_1" || c.ID != webhook.EventID("batch_1") || string(c.Object) != "event" ||
		c.CreatedAt != time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).Unix() {
		t.Fatalf("event %s", reqs[1].body)
	}
	// A tampered body fails verification.
	bad := reqs[1]
	bad.body = []byte(`{"id":"evt_x","object":"event","created_at":1,"type":"batch.completed","data":{"id":"batch_2"}}`)
	svc := webhooks.NewWebhookService(option.WithWebhookSecret(secret))
	ts, _ := strconv.ParseInt(bad.header.Get("webhook-timestamp"), 10, 64)
	if _, err := svc.UnwrapWithToleranceAndTime(bad.body, bad.header, time.Minute, time.Unix(ts, 0)); err == nil {
		t.Fatal("a tampered body verified")
	}
}

func TestEventTypesAndFilter(t *testing.T) {
	all, only := &receiver{}, &receiver{}
	srvAll, srvOnly := httptest.NewServer(all), httptest.NewServer(only)
	defer srvAll.Close()
	defer srvOnly.Close()
	secret := newSecret(t)
	f := newFixture(t,
		config.Webhook{URL: srvAll.URL, Secret: secret},
		config.Webhook{URL: srvOnly.URL, Secret: secret, Events: []string{"batch.failed"}},
	)
	want := map[string]string{}
	for _, s := range []string{batchgate.StatusCompleted, batchgate.StatusFailed, batchgate.StatusCancelled, batchgate.StatusExpired} {
		b := f.batch(t, "batch_"+s)
		f.finish(t, b, s)
		want[b.ID] = "batch." + s
	}
	f.send(t)
	got := map[string]string{}
	for _, r := range all.received() {
		ev := verify(t, secret, r, f.now)
		var id string
		switch v := ev.AsAny().(type) {
		case webhooks.BatchCompletedWebhookEvent:
			id = v.Data.ID
		case webhooks.BatchFailedWebhookEvent:
			id = v.Data.ID
		case webhooks.BatchCancelledWebhookEvent:
			id = v.Data.ID
		case webhooks.BatchExpiredWebhookEvent:
			id = v.Data.ID
		default:
			t.Fatalf("unexpected event %T: %s", v, r.body)
		}
		got[id] = ev.Type
	}
	if len(got) != 4 {
		t.Fatalf("got %v, want %v", got, want)
	}
	for id, typ := range want {
		if got[id] != typ {
			t.Errorf("%s: %q, want %q", id, got[id], typ)
		}
	}
	if rs := only.received(); len(rs) != 1 || verify(t, secret, rs[0], f.now).Type != "batch.failed" {
		t.Fatalf("filtered endpoint got %d requests, want only batch.failed", len(rs))
	}
}

// TestHeldUntilTerminal: an event stored before its batch's terminal status
// (a crash in between) is not sent until the status is stored.
func TestHeldUntilTerminal(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	f := newFixture(t, config.Webhook{URL: srv.URL, Secret: newSecret(t)})
	b := f.batch(t, "batch_held")
	ev := &batchgate.BatchEvent{ID: webhook.EventID(b.ID), BatchID: b.ID, Type: "batch.completed", CreatedAt: f.now}
	if ok, err := f.db.AddBatchEvent(context.Background(), ev, []string{srv.URL}); err != nil || !ok {
		t.Fatalf("AddBatchEvent: %v %v", ok, err)
	}
	f.send(t)
	if n := len(rc.received()); n != 0 {
		t.Fatalf("sent %d webhooks for a running batch", n)
	}
	// The reconciler settles the batch again after the restart.
	f.finish(t, b, batchgate.StatusCompleted)
	if len(f.added) != 0 {
		t.Fatalf("a second event was added: %v", f.added)
	}
	f.now = f.now.Add(time.Minute)
	f.send(t)
	if n := len(rc.received()); n != 1 {
		t.Fatalf("sent %d webhooks, want 1", n)
	}
}

func TestGiveUp(t *testing.T) {
	rc := &receiver{fail: []int{503, 503, 503, 503}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	f := newFixture(t, config.Webhook{URL: srv.URL, Secret: newSecret(t), MaxAttempts: 2})
	f.finish(t, f.batch(t, "batch_x"), batchgate.StatusFailed)
	for range 5 {
		f.send(t)
		f.now = f.now.Add(time.Hour)
	}
	if n := len(rc.received()); n != 2 {
		t.Fatalf("%d attempts, want MaxAttempts=2", n)
	}
}

func TestBackoffGrows(t *testing.T) {
	rc := &receiver{fail: []int{500, 500, 500, 500, 500}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	f := newFixture(t, config.Webhook{URL: srv.URL, Secret: newSecret(t), MaxAttempts: 10})
	f.finish(t, f.batch(t, "batch_b"), batchgate.StatusCompleted)
	// Step time by 1s and record when each attempt happens.
	start := f.now
	var at []time.Duration
	for range 200 {
		before := len(rc.received())
		f.send(t)
		if len(rc.received()) > before {
			at = append(at, f.now.Sub(start))
		}
		f.now = f.now.Add(time.Second)
	}
	if len(at) < 4 {
		t.Fatalf("attempts at %v", at)
	}
	for i := 2; i < len(at); i++ {
		if at[i]-at[i-1] <= at[i-1]-at[i-2] && at[i]-at[i-1] < time.Minute-time.Minute/5 {
			t.Fatalf("gaps do not grow: attempts at %v", at)
		}
	}
}
