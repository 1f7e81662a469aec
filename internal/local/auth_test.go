package local_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/internal/local"
)

func startLocal(t *testing.T) *local.Env {
	t.Helper()
	le, err := local.Start(context.Background(), local.Options{DataDir: t.TempDir(), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(le.Close)
	return le
}

var emptyHash = hex.EncodeToString(sha256.New().Sum(nil))

// send makes a GET to url, signed with creds for service unless creds is nil.
func send(t *testing.T, url, service string, creds *aws.Credentials) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if creds != nil {
		req.Header.Set("X-Amz-Content-Sha256", emptyHash)
		if err := v4.NewSigner().SignHTTP(context.Background(), *creds, req, emptyHash, service, local.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// The embedded S3 and Bedrock emulator listen on loopback: any local user
// could reach them, so they answer only requests signed with the
// credentials generated for this run.
func TestLocalServersRequireSignature(t *testing.T) {
	le := startLocal(t)
	other := aws.Credentials{AccessKeyID: "batchgate-local", SecretAccessKey: "batchgate-local"}
	mine := le.Credentials()
	if mine.AccessKeyID == other.AccessKeyID || mine.SecretAccessKey == "" {
		t.Errorf("credentials are not generated per run: %+v", mine)
	}
	for _, c := range []struct{ name, url, service string }{
		{"s3", le.S3URL + "/" + local.Bucket + "/?list-type=2", "s3"},
		{"bedrock", le.BedrockURL + "/model-invocation-jobs", "bedrock"},
	} {
		if got := send(t, c.url, c.service, nil); got != http.StatusForbidden {
			t.Errorf("%s unsigned: status %d, want 403", c.name, got)
		}
		if got := send(t, c.url, c.service, &other); got != http.StatusForbidden {
			t.Errorf("%s signed with other credentials: status %d, want 403", c.name, got)
		}
		if got := send(t, c.url, c.service, &mine); got != http.StatusOK {
			t.Errorf("%s signed with the run's credentials: status %d, want 200", c.name, got)
		}
	}
	// The SDK client the gateway and tests use signs as S3 expects.
	if _, err := le.S3Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(local.Bucket)}); err != nil {
		t.Fatal(err)
	}
}

// Tools outside the process (the CLI's `files content s3://...`) find the
// run's credentials in the data directory, readable by its owner only.
func TestLocalCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	le, err := local.Start(context.Background(), local.Options{DataDir: dir, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, local.CredentialsFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	c := le.Credentials()
	for _, want := range []string{"[" + local.Profile + "]", "aws_access_key_id = " + c.AccessKeyID, "aws_secret_access_key = " + c.SecretAccessKey} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%s", path, want, b)
		}
	}
	le.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s outlives the run: %v", path, err)
	}
}
