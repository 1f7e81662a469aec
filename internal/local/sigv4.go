package local

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// newCredentials returns random credentials for one run. They stay in
// memory: only this process's own SDK clients talk to the local servers.
func newCredentials() aws.Credentials {
	b := make([]byte, 36)
	_, _ = rand.Read(b)
	return aws.Credentials{
		AccessKeyID:     "BGLOCAL" + strings.ToUpper(hex.EncodeToString(b[:8])),
		SecretAccessKey: hex.EncodeToString(b[8:]),
	}
}

// maxSkew is how far a request's X-Amz-Date may be from now, as in AWS.
const maxSkew = 15 * time.Minute

// maxHashedBody bounds the body read to hash a request that does not name
// its payload hash (the emulator's small JSON control calls).
const maxHashedBody = 10 << 20

// requireSigV4 lets through only requests signed with creds for service in
// Region, and answers the others 403. It checks a signature by signing the
// same request again with the SDK's own signer and comparing, so it accepts
// exactly what aws-sdk-go-v2 clients send.
//
// An S3 request's body is trusted to match the hash it names in
// X-Amz-Content-Sha256 (which the signature covers): hashing every upload
// twice would cost CPU, and changing a body in flight takes an attacker on
// the loopback path, who could read the data directory anyway.
func requireSigV4(h http.Handler, creds aws.Credentials, service string) http.Handler {
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		// S3 signs the path as sent; other services escape it again.
		o.DisableURIPathEscaping = service == "s3"
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := verify(signer, r, creds, service); msg != "" {
			forbidden(w, service, msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// verify returns why r is not signed with creds, or "".
func verify(signer *v4.Signer, r *http.Request, creds aws.Credentials, service string) string {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "Request is not signed (no Authorization header)."
	}
	signed := signedHeaders(auth)
	if signed == nil {
		return "Authorization header is not AWS4-HMAC-SHA256 with SignedHeaders."
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "X-Amz-Date is missing or malformed."
	}
	if d := time.Since(at); d > maxSkew || d < -maxSkew {
		return "Signature expired: X-Amz-Date is more than 15 minutes from the server's time."
	}
	hash := r.Header.Get("X-Amz-Content-Sha256")
	if hash == "" {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxHashedBody+1))
		if err != nil || len(body) > maxHashedBody {
			return "Request body unreadable or too large to verify."
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}

	// The request as the client signed it: its method, path, query, and the
	// headers it says it signed.
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	again := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, name := range signed {
		switch name {
		case "host":
		case "content-length":
			again.ContentLength = r.ContentLength
		default:
			if v := r.Header.Values(name); len(v) > 0 {
				again.Header[http.CanonicalHeaderKey(name)] = v
			}
		}
	}
	if err := signer.SignHTTP(r.Context(), creds, again, hash, service, Region, at); err != nil {
		return "Signature could not be checked."
	}
	if !hmac.Equal([]byte(again.Header.Get("Authorization")), []byte(auth)) {
		return "The request signature does not match: sign with this run's local credentials."
	}
	return ""
}

// signedHeaders returns the SignedHeaders list of a SigV4 Authorization
// header, or nil.
func signedHeaders(auth string) []string {
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return nil
	}
	for part := range strings.SplitSeq(rest, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "SignedHeaders="); ok && v != "" {
			return strings.Split(v, ";")
		}
	}
	return nil
}

// forbidden answers 403 in the service's error format.
func forbidden(w http.ResponseWriter, service, msg string) {
	if service == "s3" {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>`+msg+`</Message></Error>`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, `{"message":"`+msg+`"}`)
}
