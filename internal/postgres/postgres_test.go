package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/postgres"
	"github.com/batchgate/batchgate/internal/storetest"
	"github.com/batchgate/batchgate/internal/testenv"
	"github.com/jackc/pgx/v5"
)

func TestStore(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	storetest.Run(t, func(t *testing.T) batchgate.Store {
		return mustOpen(t, freshDatabase(t, dsn))
	})
}

// TestOpenConcurrently opens one database from several replicas at once: the
// advisory lock makes them migrate one after the other.
func TestOpenConcurrently(t *testing.T) {
	dsn := freshDatabase(t, testenv.PostgresDSN(t))
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
	dsn := freshDatabase(t, testenv.PostgresDSN(t))
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

// freshDatabase creates an empty database on the server of dsn, drops it
// when the test ends, and returns its DSN.
func freshDatabase(t *testing.T, dsn string) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	name := "bg_" + hex.EncodeToString(b[:])

	admin := func(sql string) error {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), sql)
		return err
	}
	if err := admin(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if err := admin(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})

	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parse dsn: %v", err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name // keyword/value form: the last setting wins
}
