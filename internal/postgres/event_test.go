package postgres_test

import (
	"testing"

	"github.com/batchgate/batchgate/internal/storetest"
	"github.com/batchgate/batchgate/internal/testenv"
)

func TestEvents(t *testing.T) {
	testenv.PostgresDSN(t) // require the server before any subtest
	storetest.RunEvents(t, func(t *testing.T) storetest.EventStore {
		return mustOpen(t, testenv.FreshPostgres(t))
	}, func(t *testing.T, n int) []storetest.EventStore {
		db := testenv.FreshPostgres(t)
		out := make([]storetest.EventStore, n)
		for i := range out {
			out[i] = mustOpen(t, db)
		}
		return out
	})
}
