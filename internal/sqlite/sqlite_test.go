package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

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
