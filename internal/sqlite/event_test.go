package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/batchgate/batchgate/internal/storetest"
)

func TestEvents(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) storetest.EventStore {
		db := mustOpen(t, ":memory:")
		t.Cleanup(func() { db.Close() })
		return db
	}, func(t *testing.T, n int) []storetest.EventStore {
		path := filepath.Join(t.TempDir(), "batchgate.db")
		out := make([]storetest.EventStore, n)
		for i := range out {
			db := mustOpen(t, path)
			t.Cleanup(func() { db.Close() })
			out[i] = db
		}
		return out
	})
}
