package postgres_test

import (
	"testing"

	"github.com/batchgate/batchgate/internal/storetest"
	"github.com/batchgate/batchgate/internal/testenv"
)

func TestLists(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	storetest.RunLists(t, func(t *testing.T) storetest.Lister {
		return mustOpen(t, freshDatabase(t, dsn))
	})
}
