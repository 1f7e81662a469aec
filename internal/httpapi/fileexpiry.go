package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

// expiresAfter collects OpenAI's file expiration policy from the upload
// form: expires_after[anchor] (only "created_at") and expires_after[seconds]
// (3600 to 2592000), as the OpenAI SDKs send them, or one expires_after
// field holding the JSON object. The fields may come before the file part
// (the upload then stores the expiry with the file) or after it (apply sets
// it on the stored file).
type expiresAfter struct {
	anchor, seconds bool // seen
	after           time.Duration
}

// field reads one form field of the policy; other names are not its own.
func (e *expiresAfter) field(name, v string) error {
	switch name {
	case "expires_after[anchor]":
		return e.setAnchor(strings.TrimSpace(v))
	case "expires_after[seconds]":
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return e.badSeconds(v)
		}
		return e.setSeconds(n, v)
	case "expires_after":
		var obj struct {
			Anchor  *string          `json:"anchor"`
			Seconds *json.RawMessage `json:"seconds"`
		}
		if json.Unmarshal([]byte(v), &obj) != nil {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "expires_after",
				Message: `expires_after must be an object such as {"anchor": "created_at", "seconds": 86400}, or the fields expires_after[anchor] and expires_after[seconds]`}
		}
		if obj.Anchor != nil {
			if err := e.setAnchor(*obj.Anchor); err != nil {
				return err
			}
		}
		if obj.Seconds != nil {
			var n int64
			if json.Unmarshal(*obj.Seconds, &n) != nil {
				return e.badSeconds(string(*obj.Seconds))
			}
			return e.setSeconds(n, string(*obj.Seconds))
		}
	}
	return nil
}

func (e *expiresAfter) setAnchor(v string) error {
	if v != "created_at" {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "expires_after[anchor]",
			Message: fmt.Sprintf("expires_after[anchor] %q is not supported: the only anchor is \"created_at\"", v)}
	}
	e.anchor = true
	return nil
}

func (e *expiresAfter) setSeconds(n int64, raw string) error {
	if n < int64(gateway.MinFileExpiry/time.Second) || n > int64(gateway.MaxFileExpiry/time.Second) {
		return e.badSeconds(raw)
	}
	e.seconds, e.after = true, time.Duration(n)*time.Second
	return nil
}

func (e *expiresAfter) badSeconds(v string) error {
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return &batchgate.Error{Code: batchgate.EINVALID, Param: "expires_after[seconds]",
		Message: fmt.Sprintf("expires_after[seconds] %q must be a whole number of seconds between %d (1 hour) and %d (30 days)",
			v, int64(gateway.MinFileExpiry/time.Second), int64(gateway.MaxFileExpiry/time.Second))}
}

// upload returns the lifetime to give the upload: the policy's, if all of
// it came before the file, else 0 (the configured default; apply fixes it).
func (e *expiresAfter) upload() time.Duration {
	if e.anchor && e.seconds {
		return e.after
	}
	return 0
}

// apply checks, once the whole form is read, that the policy is complete
// (both fields or neither), and sets it on the uploaded file f unless the
// upload stored it already.
func (e *expiresAfter) apply(ctx context.Context, g *gateway.Gateway, f *batchgate.File) error {
	switch {
	case e.seconds && !e.anchor:
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "expires_after[anchor]",
			Message: `expires_after[anchor] is required with expires_after[seconds]: it must be "created_at"`}
	case e.anchor && !e.seconds:
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "expires_after[seconds]",
			Message: "expires_after[seconds] is required with expires_after[anchor]"}
	case !e.seconds:
		return nil
	}
	if want := f.CreatedAt.Add(e.after); f.ExpiresAt != nil && f.ExpiresAt.Equal(want) {
		return nil
	}
	return g.SetFileExpiry(ctx, f, e.after)
}
