package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// uniqueBucketName returns a valid, random S3 bucket name starting with prefix.
func uniqueBucketName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	p := strings.ToLower(strings.Trim(prefix, "-"))
	if p == "" {
		p = "test"
	}
	if len(p) > 40 {
		p = p[:40]
	}
	return p + "-" + hex.EncodeToString(b[:])
}
