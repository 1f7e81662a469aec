package postgres_test

import (
	"testing"

	"github.com/batchgate/batchgate/internal/storetest"
	"github.com/batchgate/batchgate/internal/testenv"
)

func TestEvents(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	storetest.RunEvents(t, func(t *testing.T) storetest.EventStore {
		return mustOpen(t, freshDatabase(t, dsn))
	}, func(t *testing.T, n int) []storetest.EventStore {
		db := freshDatabase(t, dsn)
		out := make([]storetest.EventStore, n)
		for i := range out {
			out[i] = mustOpen(t, db)
		}
		return out
	})
}
