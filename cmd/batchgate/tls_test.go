package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeTLS: with LiteLLM's --ssl_certfile_path and --ssl_keyfile_path
// the gateway serves HTTPS with that certificate; one without the other is
// refused at start.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, certFile, keyFile := selfSigned(t, dir)

	if err := runServe(context.Background(), []string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--ssl_certfile_path", certFile},
		func(string) string { return "" }, io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "ssl_keyfile_path") {
		t.Fatalf("a certificate without its key: %v; want an error naming --ssl_keyfile_path", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	readyc, errc := make(chan string, 1), make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		errc <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--sim-step-delay", "20ms",
			"--ssl_certfile_path", certFile, "--ssl_keyfile_path", keyFile},
			func(string) string { return "" }, io.Discard, logs, func(u, _ string) { readyc <- u })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	var url string
	select {
	case url = <-readyc:
	case err := <-errc:
		errc <- err
		t.Fatalf("serve: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not start")
	}
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("base URL %s, want https", url)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(url + "/health/liveliness")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("GET over TLS: %d, tls %v", resp.StatusCode, resp.TLS != nil)
	}
}

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (certPEM []byte, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "batchgate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPEM, certFile, keyFile
}
