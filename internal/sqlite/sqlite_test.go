package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/sqlite"
	"github.com/batchgate/batchgate/internal/storetest"
)

func TestStore(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) batchgate.Store {
			return mustOpen(t, filepath.Join(t.TempDir(), "batchgate.db"))
		})
	})
	t.Run("Memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) batchgate.Store {
			return mustOpen(t, ":memory:")
		})
	})
}

// TestReplicas runs the suite's multi-replica tests on several handles of
// one database file, as processes sharing it would.
func TestReplicas(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T, n int) []batchgate.Store {
		path := filepath.Join(t.TempDir(), "batchgate.db")
		stores := make([]batchgate.Store, n)
		for i := range stores {
			stores[i] = mustOpen(t, path)
		}
		return stores
	})
}

// TestReopen checks that data survives closing the database and that
// migrations are applied once.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "batchgate.db")
	db := mustOpen(t, path)
	f := &batchgate.File{ID: "file-1", Purpose: batchgate.PurposeBatch}
	if err := db.CreateFile(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path)
	defer db.Close()
	if _, err := db.FindFileByID(t.Context(), f.ID); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
}

// TestOpenConcurrently opens one file from several handles at once, as
// processes starting together would: each migration must run once.
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "batchgate.db")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
}

func TestOpenInvalidPath(t *testing.T) {
	for _, path := range []string{"", "a?b", filepath.Join(t.TempDir(), "missing", "dir", "x.db")} {
		if db, err := sqlite.Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q): err = nil, want an error", path)
		}
	}
}

func mustOpen(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestUpgrade opens a database written by the first schema version: the
// later migrations apply to it and its rows read back with the added
// fields at their zero values.
func TestUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "batchgate.db")
	schema, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
		string(schema),
		`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
		`INSERT INTO keys VALUES ('tok', 'sk-...abcd', '', NULL, 'u1', 't1', 10, 2.5, NULL, NULL, 1000, 2000)`,
		`INSERT INTO keys VALUES ('tok2', 'sk-...efgh', '', NULL, '', '', NULL, 0, NULL, NULL, 1000, 2000)`,
		`INSERT INTO files VALUES ('file-1', 'batch', 'in.jsonl', 10, 1, 1000, NULL, 'tok', 'u1', 't1',
			'input', '/v1/chat/completions', 'm', 'bucket', 'key', '')`,
		`INSERT INTO files VALUES ('file-2', 'batch', 'in.jsonl', 10, 1, 1000, NULL, 'tok2', '', '',
			'input', '/v1/chat/completions', 'm', 'bucket', 'key', '')`,
		`INSERT INTO files VALUES ('file-gone', 'batch', 'in.jsonl', 10, 1, 1000, NULL, 'gone', '', '',
			'input', '/v1/chat/completions', 'm', 'bucket', 'key', '')`,
		`INSERT INTO files VALUES ('file-master', 'batch', 'in.jsonl', 10, 1, 1000, NULL, '', '', '',
			'input', '/v1/chat/completions', 'm', 'bucket', 'key', '')`,
		`INSERT INTO spend_logs VALUES ('batch-0', 'tok', 'u1', 't1', 'm', 'mid', 1, 1, 0.5, 1000)`,
		`INSERT INTO spend_logs VALUES ('batch-gone', 'gone', '', '', 'm', 'mid', 1, 1, 0.5, 1000)`,
		`INSERT INTO batches VALUES ('batch-1', '/v1/chat/completions', 'file-1', '24h', NULL, 'tok', 'u1', 't1',
			'm', 'mid', 'in_progress', '', 'ct', '', '', '', '', '', '', 0, 0, 0, 0, 0, 0,
			1000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2000)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	raw.Close()

	db := mustOpen(t, path)
	defer db.Close()
	ctx := t.Context()
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

	// Owners move from the token to the key's new ID; a deleted key's rows
	// keep its token, which no key's ID can be; the master key's stay empty.
	k2, err := db.FindKeyByToken(ctx, "tok2")
	if err != nil {
		t.Fatal(err)
	}
	if !keyIDForm.MatchString(k.ID) || !keyIDForm.MatchString(k2.ID) || k.ID == k2.ID {
		t.Errorf("upgraded key IDs %q, %q; want two distinct key-<24 hex>", k.ID, k2.ID)
	}
	for id, want := range map[string]string{"file-1": k.ID, "file-2": k2.ID, "file-gone": "gone", "file-master": ""} {
		f, err := db.FindFileByID(ctx, id)
		if err != nil || f.Owner.KeyID != want {
			t.Errorf("upgraded %s: %+v, %v; want owner %q", id, f, err, want)
		}
	}
	if b.Owner.KeyID != k.ID || b.Owner.UserID != "u1" || b.Owner.TeamID != "t1" {
		t.Errorf("upgraded batch owner = %+v, want key %s", b.Owner, k.ID)
	}
	logs, err := db.FindSpendLogs(ctx, batchgate.Scope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, l := range logs {
		owners[l.BatchID] = l.Owner.KeyID
	}
	if len(owners) != 2 || owners["batch-0"] != k.ID || owners["batch-gone"] != "gone" {
		t.Errorf("upgraded spend log owners = %v, want batch-0: %s, batch-gone: gone", owners, k.ID)
	}
	// Billing goes by the new ID.
	if ok, err := db.RecordSpend(ctx, &batchgate.SpendLog{BatchID: "batch-1", Owner: b.Owner, Cost: 1, CreatedAt: time.Now()}); err != nil || !ok {
		t.Fatalf("RecordSpend after upgrade = %v, %v", ok, err)
	}
	if k, err = db.FindKeyByToken(ctx, "tok"); err != nil || k.Spend != 3.5 {
		t.Errorf("key after RecordSpend: %+v, %v; want Spend 3.5", k, err)
	}
	// The deleted key's secret issued again owns none of its rows.
	if err := db.CreateKey(ctx, &batchgate.Key{ID: "key-reissued", Token: "gone", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if files, err := db.FindFiles(ctx, batchgate.FileFilter{Scope: batchgate.Scope{KeyID: "key-reissued"}}); err != nil || len(files) != 0 {
		t.Errorf("the reissued key's files = %d, %v; want none", len(files), err)
	}
}

var keyIDForm = regexp.MustCompile(`^key-[0-9a-f]{24}$`)
