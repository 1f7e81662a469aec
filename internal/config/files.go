package config

import (
	"fmt"
	"time"

	"github.com/batchgate/batchgate"
)

// FileSettings configures file expiry (batchgate_settings.files). Durations
// are LiteLLM's ("30d", "12h", "1w") or Go's ("720h", "1h30m").
type FileSettings struct {
	// ExpireAfter is how long an uploaded input file is kept when the upload
	// gives no expires_after; by default it is kept until deleted.
	ExpireAfter string `yaml:"expire_after,omitempty"`
	// OutputExpireAfter is how long a batch's output and error files are
	// kept after the batch ends; by default until deleted. Only the file
	// records go: the Bedrock output objects stay in the output bucket.
	OutputExpireAfter string `yaml:"output_expire_after,omitempty"`
}

// InputTTL returns ExpireAfter parsed (0: files don't expire).
func (f FileSettings) InputTTL() time.Duration { d, _ := parseTTL(f.ExpireAfter); return d }

// OutputTTL returns OutputExpireAfter parsed (0: files don't expire).
func (f FileSettings) OutputTTL() time.Duration { d, _ := parseTTL(f.OutputExpireAfter); return d }

// parseTTL parses a file lifetime; "" is 0.
func parseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := batchgate.ParseDuration(s)
	if err != nil {
		if gd, gerr := time.ParseDuration(s); gerr == nil {
			d, err = gd, nil
		}
	}
	return d, err
}

// validate checks the durations, naming the field on failure.
func (f FileSettings) validate() error {
	for _, x := range []struct{ field, v string }{
		{"batchgate_settings.files.expire_after", f.ExpireAfter},
		{"batchgate_settings.files.output_expire_after", f.OutputExpireAfter},
	} {
		d, err := parseTTL(x.v)
		switch {
		case err != nil:
			return &Error{Field: x.field, Message: fmt.Sprintf("%q is not a duration such as 30d, 720h or 1w", x.v)}
		case x.v != "" && d < time.Minute:
			return &Error{Field: x.field, Message: fmt.Sprintf("%q must be at least a minute; leave it out to keep files until they are deleted", x.v)}
		}
	}
	return nil
}
