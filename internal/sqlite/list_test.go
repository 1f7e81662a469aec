package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/storetest"
)

func TestLists(t *testing.T) {
	storetest.RunLists(t, func(t *testing.T) batchgate.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "batchgate.db"))
	})
}
