package postgres_test

import (
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/storetest"
	"github.com/batchgate/batchgate/internal/testenv"
)

func TestLists(t *testing.T) {
	testenv.PostgresDSN(t) // require the server before any subtest
	storetest.RunLists(t, func(t *testing.T) batchgate.Store {
		return mustOpen(t, testenv.FreshPostgres(t))
	})
}
