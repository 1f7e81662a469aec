package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/batchgate/batchgate/internal/storetest"
)

func TestLists(t *testing.T) {
	storetest.RunLists(t, func(t *testing.T) storetest.Lister {
		return mustOpen(t, filepath.Join(t.TempDir(), "batchgate.db"))
	})
}
