package config

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// BatchgateSettings is batchgate's own top-level section (batchgate_settings),
// for what LiteLLM has no setting for.
type BatchgateSettings struct {
	Metrics  MetricsSettings `yaml:"metrics,omitempty"`
	Webhooks []Webhook       `yaml:"webhooks,omitempty"`
	Files    FileSettings    `yaml:"files,omitempty"`
}

// MetricsSettings configures GET /metrics.
type MetricsSettings struct {
	// Enabled serves /metrics. By default it is served.
	Enabled *bool `yaml:"enabled,omitempty"`
	// RequireAuth makes /metrics need the master key. By default it is open,
	// as LiteLLM's is: keep the port private or set this.
	RequireAuth bool `yaml:"require_auth,omitempty"`
}

// On reports whether /metrics is served.
func (m MetricsSettings) On() bool { return m.Enabled == nil || *m.Enabled }

// Webhook is an endpoint that receives batch events, signed per the
// Standard Webhooks scheme.
type Webhook struct {
	URL string `yaml:"url"`
	// Secret is the signing secret, "whsec_" followed by base64 of 24 to 64
	// random bytes (openssl rand -base64 32).
	Secret string `yaml:"secret"`
	// Events lists the event types sent; by default all of WebhookEvents.
	Events []string `yaml:"events,omitempty"`
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// MaxAttempts is how many times an event is sent before giving up
	// (default 15, with exponential backoff from 5s to 1h between them: about 5.5 hours).
	MaxAttempts int `yaml:"max_attempts,omitempty"`
}

// WebhookEvents are the event types batchgate emits, as OpenAI names them.
var WebhookEvents = []string{"batch.completed", "batch.failed", "batch.cancelled", "batch.expired"}

// Webhook defaults.
const (
	DefaultWebhookTimeout     = 10 * time.Second
	DefaultWebhookMaxAttempts = 15
)

// Wants reports whether the endpoint receives events of type typ.
func (w Webhook) Wants(typ string) bool {
	if len(w.Events) == 0 {
		return true
	}
	for _, e := range w.Events {
		if e == typ {
			return true
		}
	}
	return false
}

// Key returns the decoded signing secret.
func (w Webhook) Key() ([]byte, error) {
	return base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(w.Secret, "whsec_"))
}

// applyDefaults fills the webhooks' defaults.
func (s *BatchgateSettings) applyDefaults() {
	for i := range s.Webhooks {
		w := &s.Webhooks[i]
		if w.Timeout == 0 {
			w.Timeout = DefaultWebhookTimeout
		}
		if w.MaxAttempts == 0 {
			w.MaxAttempts = DefaultWebhookMaxAttempts
		}
	}
}

// validate checks batchgate_settings, naming the field on failure.
func (s *BatchgateSettings) validate(refs map[string]string) error {
	if err := s.Files.validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, w := range s.Webhooks {
		at := fmt.Sprintf("batchgate_settings.webhooks[%d]", i)
		u, err := url.Parse(w.URL)
		switch {
		case w.URL == "":
			return &Error{Field: at + ".url", Message: "is required" + envHint(refs, at+".url")}
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return &Error{Field: at + ".url", Message: fmt.Sprintf("%q must be an http:// or https:// URL", w.URL)}
		case seen[w.URL]:
			return &Error{Field: at + ".url", Message: fmt.Sprintf("%q is used by an earlier webhook", w.URL)}
		}
		seen[w.URL] = true
		if w.Secret == "" {
			return &Error{Field: at + ".secret", Message: "is required" + envHint(refs, at+".secret") +
				`: a Standard Webhooks signing secret such as "whsec_$(openssl rand -base64 32)"`}
		}
		key, err := w.Key()
		if err != nil || !strings.HasPrefix(w.Secret, "whsec_") || len(key) < 24 || len(key) > 64 {
			// The secret itself is never echoed.
			return &Error{Field: at + ".secret", Message: `must be "whsec_" followed by the base64 of 24 to 64 random bytes (openssl rand -base64 32)`}
		}
		for j, e := range w.Events {
			if !contains(WebhookEvents, e) {
				return &Error{Field: fmt.Sprintf("%s.events[%d]", at, j), Message: fmt.Sprintf("%q is not one of %s", e, strings.Join(WebhookEvents, ", "))}
			}
		}
		if w.Timeout < 0 {
			return &Error{Field: at + ".timeout", Message: "must not be negative"}
		}
		if w.MaxAttempts < 0 {
			return &Error{Field: at + ".max_attempts", Message: "must not be negative"}
		}
	}
	return nil
}

func envHint(refs map[string]string, field string) string {
	if name, ok := refs[field]; ok {
		return fmt.Sprintf(", but environment variable %s is not set", name)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
