// Command apibench measures the API's read latency with many batches in the
// store: it seeds -batches batches straight through the store API, serves
// the real HTTP handler (internal/httpapi) on a loopback port, and drives
// GET /v1/batches/{id} and GET /v1/batches?limit=100 with -c concurrent
// clients for -d each. It prints one line per endpoint:
//
//	store endpoint requests seconds req/s p50_ms p99_ms
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/postgres"
	"github.com/batchgate/batchgate/internal/sqlite"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to clone rows
)

const master = "sk-bench"

func main() {
	kind := flag.String("store", "sqlite", "sqlite or postgres")
	dsn := flag.String("dsn", "", "PostgreSQL DSN, or the SQLite file (default: a temporary one)")
	n := flag.Int("batches", 100_000, "batches to seed")
	conc := flag.Int("c", 16, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "load duration per endpoint")
	flag.Parse()
	if err := run(*kind, *dsn, *n, *conc, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

func run(kind, dsn string, n, conc int, dur time.Duration) error {
	ctx := context.Background()
	var store batchgate.Store
	switch kind {
	case "sqlite":
		if dsn == "" {
			dir, err := os.MkdirTemp("", "apibench")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			dsn = dir + "/batchgate.db"
		}
		db, err := sqlite.Open(ctx, dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		store = db
	case "postgres":
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		store = db
	default:
		return fmt.Errorf("unknown store %q", kind)
	}

	t0 := time.Now()
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[kind]
	ids, err := seed(ctx, store, driver, dsn, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d batches in %s (%.0f/s)\n", n, time.Since(t0).Round(time.Millisecond), float64(n)/time.Since(t0).Seconds())

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gw := gateway.New(store, nil, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: (&httpapi.Server{Gateway: gw, MasterKey: master, Log: log, Version: "bench"}).Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
	for _, ep := range []struct {
		name string
		url  func(r *rand.Rand) string
	}{
		{"GET /v1/batches/{id}", func(r *rand.Rand) string { return base + "/v1/batches/" + ids[r.IntN(len(ids))] }},
		{"GET /v1/batches?limit=100", func(*rand.Rand) string { return base + "/v1/batches?limit=100" }},
	} {
		// Warm up connections and caches.
		if _, err := load(client, ep.url, conc, time.Second); err != nil {
			return err
		}
		lat, err := load(client, ep.url, conc, dur)
		if err != nil {
			return err
		}
		slices.Sort(lat)
		fmt.Printf("%s\t%s\t%d\t%.1f\t%.0f\t%.2f\t%.2f\n", kind, ep.name, len(lat), dur.Seconds(), float64(len(lat))/dur.Seconds(),
			ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// load runs conc clients for dur and returns every request's latency.
func load(client *http.Client, url func(*rand.Rand) string, conc int, dur time.Duration) ([]time.Duration, error) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		all     []time.Duration
		failure atomic.Value
	)
	deadline := time.Now().Add(dur)
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			var lat []time.Duration
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", url(r), nil)
				req.Header.Set("Authorization", "Bearer "+master)
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failure.Store(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failure.Store(fmt.Errorf("%s: status %d", req.URL, resp.StatusCode))
					return
				}
				lat = append(lat, time.Since(start))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err, _ := failure.Load().(error); err != nil {
		return nil, err
	}
	return all, nil
}

// seed creates n finished batches spread over 100 keys and a day: up to
// 2,000 through the store API (CreateBatch), then copies of those rows with
// new ids, in one SQL statement per round, which is much faster than
// n single-row transactions.
func seed(ctx context.Context, store batchgate.Store, driver, dsn string, n int) ([]string, error) {
	k := min(n, 2000)
	ids := make([]string, k, n)
	start := time.Now().Add(-24 * time.Hour).UTC()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= k {
					return
				}
				created := start.Add(time.Duration(i) * 24 * time.Hour / time.Duration(k))
				done := created.Add(time.Hour)
				exp := created.Add(24 * time.Hour)
				b := &batchgate.Batch{
					ID: gateway.NewID("batch_"), Endpoint: "/v1/chat/completions", InputFileID: gateway.NewID("file-"),
					CompletionWindow: "24h", Metadata: map[string]string{"job": fmt.Sprint(i)},
					Owner: batchgate.Owner{KeyID: fmt.Sprintf("key-%03d", i%100), UserID: "user", TeamID: fmt.Sprintf("team-%d", i%10)},
					Model: "bedrock-batch-claude", ModelID: "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
					Status: batchgate.StatusCompleted, ClientToken: fmt.Sprint("tok-", i), JobName: fmt.Sprint("job-", i),
					JobARN:    fmt.Sprintf("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/%012d", i),
					JobStatus: "Completed", OutputPrefix: "s3://bench/batchgate/output/",
					OutputFileID: gateway.NewID("file-"), RequestCounts: batchgate.RequestCounts{Total: 1000, Completed: 1000},
					Usage: batchgate.Usage{InputTokens: 100000, OutputTokens: 50000}, Cost: 1.5,
					CreatedAt: created, ExpiresAt: &exp, InProgressAt: &created, FinalizingAt: &done, CompletedAt: &done,
				}
				if err := store.CreateBatch(ctx, b); err != nil {
					errs <- err
					return
				}
				ids[i] = b.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	if n == k {
		return ids, nil
	}

	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT * FROM batches LIMIT 0")
	if err != nil {
		return nil, err
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	orig := ids
	for r := 1; len(ids) < n; r++ {
		sel := slices.Clone(cols)
		for i, c := range sel {
			if c == "id" {
				sel[i] = fmt.Sprintf("id || '-%d'", r)
			}
		}
		m := min(k, n-len(ids))
		q := fmt.Sprintf("INSERT INTO batches (%s) SELECT %s FROM batches WHERE id NOT LIKE '%%-%%' ORDER BY id LIMIT %d",
			strings.Join(cols, ", "), strings.Join(sel, ", "), m)
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("clone batches: %w", err)
		}
		sorted := slices.Sorted(slices.Values(orig))
		for _, id := range sorted[:m] {
			ids = append(ids, fmt.Sprintf("%s-%d", id, r))
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if driver == "sqlite" {
		// As SQLite's automatic checkpoints would after a while in service.
		if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return nil, err
		}
	} else if _, err := db.ExecContext(ctx, "ANALYZE batches"); err != nil {
		return nil, err
	}
	return ids, nil
}
