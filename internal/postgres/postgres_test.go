package postgres_test

import (
	"context"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/postgres"
	"github.com/batchgate/batchgate/internal/storetest"
	"github.com/batchgate/batchgate/internal/testenv"
	"github.com/jackc/pgx/v5"
)

func TestStore(t *testing.T) {
	testenv.PostgresDSN(t) // require the server before any subtest
	storetest.Run(t, func(t *testing.T) batchgate.Store {
		return mustOpen(t, testenv.FreshPostgres(t))
	})
}

// TestReplicas runs the suite's multi-replica tests on several stores (each
// with its own pool) sharing one database.
func TestReplicas(t *testing.T) {
	testenv.PostgresDSN(t) // require the server before any subtest
	storetest.RunReplicas(t, func(t *testing.T, n int) []batchgate.Store {
		db := testenv.FreshPostgres(t)
		stores := make([]batchgate.Store, n)
		for i := range stores {
			stores[i] = mustOpen(t, db)
		}
		return stores
	})
}

// TestOpenConcurrently opens one database from several replicas at once: the
// advisory lock makes them migrate one after the other.
func TestOpenConcurrently(t *testing.T) {
	dsn := testenv.FreshPostgres(t)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			db.Close()
		})
	}
	wg.Wait()

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n, distinct int
	if err := conn.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n == 0 || n != distinct {
		t.Errorf("schema_migrations has %d rows for %d versions", n, distinct)
	}
}

// TestReopen checks that data survives reconnecting.
func TestReopen(t *testing.T) {
	dsn := testenv.FreshPostgres(t)
	db := mustOpen(t, dsn)
	f := &batchgate.File{ID: "file-1", Purpose: batchgate.PurposeBatch}
	if err := db.CreateFile(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mustOpen(t, dsn)
	if _, err := db.FindFileByID(t.Context(), f.ID); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
}

func TestOpenBadDSN(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("DSN is not a URL: %v", err)
	}
	u.Path = "/bg_does_not_exist"
	if db, err := postgres.Open(t.Context(), u.String()); err == nil {
		db.Close()
		t.Fatal("Open of a missing database: err = nil")
	}
}

// mustOpen opens the store at dsn and closes it when the test ends.
func mustOpen(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // Close is idempotent
	return db
}

// TestUpgrade opens a database written by the first schema version: the
// later migrations apply to it and its rows read back with the added
// fields at their zero values.
func TestUpgrade(t *testing.T) {
	dsn := testenv.FreshPostgres(t)
	schema, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		string(schema),
		`INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql')`,
		`INSERT INTO keys VALUES ('tok', 'sk-...abcd', '', NULL, 'u1', 't1', 10, 2.5, NULL, NULL, now(), now())`,
		`INSERT INTO files VALUES ('file-1', 'batch', 'in.jsonl', 10, 1, now(), NULL, 'tok', 'u1', 't1',
			'input', '/v1/chat/completions', 'm', 'bucket', 'key', '')`,
		`INSERT INTO batches VALUES ('batch-1', '/v1/chat/completions', 'file-1', '24h', NULL, 'tok', 'u1', 't1',
			'm', 'mid', 'in_progress', '', 'ct', '', '', '', '', '', '', 0, 0, 0, 0, 0, 0,
			now(), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	conn.Close(ctx)

	db := mustOpen(t, dsn)
	k, err := db.FindKeyByToken(ctx, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if k.Spend != 2.5 || k.MaxBudget == nil || *k.MaxBudget != 10 || k.BudgetDuration != "" || k.BudgetResetAt != nil {
		t.Errorf("upgraded key budget = %+v", k.Budget)
	}
	f, err := db.FindFileByID(ctx, "file-1")
	if err != nil {
		t.Fatal(err)
	}
	if f.EstimatedInputTokens != 0 || f.MaxOutputTokens != 0 {
		t.Errorf("upgraded file tokens = %d, %d; want 0, 0", f.EstimatedInputTokens, f.MaxOutputTokens)
	}
	b, err := db.FindBatchByID(ctx, "batch-1")
	if err != nil {
		t.Fatal(err)
	}
	if b.Reserved != 0 || b.LeaseOwner != "" || b.LeaseUntil != nil {
		t.Errorf("upgraded batch: reserved %v, lease %q until %v; want none", b.Reserved, b.LeaseOwner, b.LeaseUntil)
	}
	claimed, err := db.ClaimBatches(ctx, "me", time.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Errorf("ClaimBatches after upgrade = %d batches, %v; want 1", len(claimed), err)
	}
	if err := db.CreateUser(ctx, &batchgate.User{UserID: "u1"}); err != nil {
		t.Errorf("CreateUser after upgrade: %v", err)
	}
}
