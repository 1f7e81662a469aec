// Package testenv gives tests the endpoints of the servers that scripts/test.sh
// starts (moto_server for S3, a throwaway PostgreSQL), and in-process stand-ins
// for unit tests.
//
// When a server is not configured, a test is skipped locally but fails under
// CI (BATCHGATE_CI=1), so nothing is silently skipped where it matters.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Environment variables set by scripts/test.sh.
const (
	EnvCI          = "BATCHGATE_CI"                // "1" in CI: missing servers fail tests instead of skipping them
	EnvS3Endpoint  = "BATCHGATE_TEST_S3_ENDPOINT"  // moto_server, e.g. http://127.0.0.1:5000
	EnvPostgresDSN = "BATCHGATE_TEST_POSTGRES_DSN" // postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable
	// EnvS3Server is "versitygw" when scripts/test.sh, finding no
	// moto_server, started versitygw at EnvS3Endpoint instead.
	EnvS3Server = "BATCHGATE_TEST_S3_SERVER"
)

// Region and static credentials used against every local S3 server.
const (
	Region    = "us-east-1"
	AccessKey = "testing"
	SecretKey = "testing"
)

// require returns the value of env or stops the test: skip locally, fail in CI.
func require(t testing.TB, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv(EnvCI) == "1" {
		t.Fatalf("%s is not set; run the suite with scripts/test.sh", env)
	}
	t.Skipf("%s is not set; run scripts/test.sh to start the integration servers", env)
	return ""
}

// MotoEndpoint returns the URL of the real S3-protocol server (moto_server).
// Each call resets its state is NOT done: tests use unique bucket names instead.
func MotoEndpoint(t testing.TB) string {
	t.Helper()
	return strings.TrimRight(require(t, EnvS3Endpoint), "/")
}

// MotoOnly skips a test that needs what only moto_server offers (IAM, STS,
// SSE-KMS headers echoed back, region checks) when the S3 server is
// scripts/test.sh's versitygw fallback, even in CI: the script says so when
// it starts, and installing moto_server runs the test.
func MotoOnly(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(EnvS3Server) == "versitygw" {
		t.Skipf("needs moto_server (%s); the S3 server is versitygw: pip install 'moto[server]' to run it", what)
	}
}

// PostgresDSN returns the DSN of the throwaway PostgreSQL server.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return require(t, EnvPostgresDSN)
}

// FakeS3 starts an in-process gofakes3 server for unit tests and returns its URL.
func FakeS3(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// S3Client returns an S3 client for a local S3 server at endpoint (path-style, static credentials).
func S3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// Bucket creates a bucket with a name unique to the test and returns it.
func Bucket(t testing.TB, client *s3.Client, prefix string) string {
	t.Helper()
	name := uniqueBucketName(prefix)
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// FreshPostgres creates an empty database on the test PostgreSQL server,
// drops it when the test ends, and returns its DSN.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "bg_" + hex.EncodeToString(b[:])
	exec := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name // keyword/value form: the last setting wins
}
