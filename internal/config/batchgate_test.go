package config

import (
	"strings"
	"testing"
	"time"
)

const bgModel = `model_list:
  - model_name: m
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      s3_bucket_name: bkt
      aws_batch_role_arn: arn:aws:iam::123456789012:role/r
`

// 32 bytes, base64.
const bgSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo="

func TestBatchgateSettings(t *testing.T) {
	yaml := bgModel + `batchgate_settings:
  metrics:
    require_auth: true
  webhooks:
    - url: https://hooks.example.com/batchgate
      secret: os.environ/HOOK_SECRET
      events: [batch.completed, batch.failed]
      timeout: 3s
    - url: http://10.0.0.1:8080/hook
      secret: ` + bgSecret + `
`
	cfg, err := Parse(strings.NewReader(yaml), env(map[string]string{"HOOK_SECRET": bgSecret}))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg.Warnings {
		if strings.Contains(w, "batchgate_settings") {
			t.Errorf("warning about our own section: %s", w)
		}
	}
	s := cfg.BatchgateSettings
	if !s.Metrics.On() || !s.Metrics.RequireAuth {
		t.Errorf("metrics = %+v", s.Metrics)
	}
	if len(s.Webhooks) != 2 {
		t.Fatalf("webhooks = %+v", s.Webhooks)
	}
	w0, w1 := s.Webhooks[0], s.Webhooks[1]
	if w0.Secret != bgSecret || w0.Timeout != 3*time.Second || w0.MaxAttempts != DefaultWebhookMaxAttempts {
		t.Errorf("webhook 0 = %+v", w0)
	}
	if !w0.Wants("batch.failed") || w0.Wants("batch.cancelled") || !w1.Wants("batch.expired") || w1.Timeout != DefaultWebhookTimeout {
		t.Errorf("filters/defaults: %+v %+v", w0, w1)
	}
	if k, err := w1.Key(); err != nil || len(k) != 32 {
		t.Errorf("key: %d bytes, %v", len(k), err)
	}

	cfg, err = Parse(strings.NewReader(bgModel+"batchgate_settings:\n  metrics: {enabled: false}\n"), env(nil))
	if err != nil || cfg.BatchgateSettings.Metrics.On() {
		t.Errorf("metrics.enabled false: %v %+v", err, cfg)
	}
	cfg, err = Parse(strings.NewReader(bgModel), env(nil))
	if err != nil || !cfg.BatchgateSettings.Metrics.On() || cfg.BatchgateSettings.Metrics.RequireAuth {
		t.Errorf("default metrics: %v", err)
	}
}

func TestBatchgateSettingsErrors(t *testing.T) {
	hook := func(lines string) string { return bgModel + "batchgate_settings:\n  webhooks:\n    - " + lines }
	tests := []struct{ name, yaml, field, msg string }{
		{"ErrNoURL", hook("secret: " + bgSecret + "\n"), "batchgate_settings.webhooks[0].url", "required"},
		{"ErrURL", hook("url: ftp://x/y\n      secret: " + bgSecret + "\n"), "batchgate_settings.webhooks[0].url", "http"},
		{"ErrNoSecret", hook("url: https://x.example/h\n"), "batchgate_settings.webhooks[0].secret", "required"},
		{"ErrUnsetSecret", hook("url: https://x.example/h\n      secret: os.environ/NOPE\n"), "batchgate_settings.webhooks[0].secret", "NOPE is not set"},
		{"ErrSecretPrefix", hook("url: https://x.example/h\n      secret: MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=\n"), "batchgate_settings.webhooks[0].secret", "whsec_"},
		{"ErrSecretShort", hook("url: https://x.example/h\n      secret: whsec_c2hvcnQ=\n"), "batchgate_settings.webhooks[0].secret", "24 to 64"},
		{"ErrSecretBase64", hook("url: https://x.example/h\n      secret: whsec_not*base64\n"), "batchgate_settings.webhooks[0].secret", "base64"},
		{"ErrEvent", hook("url: https://x.example/h\n      secret: " + bgSecret + "\n      events: [batch.done]\n"), "batchgate_settings.webhooks[0].events[0]", "batch.completed"},
		{"ErrTimeout", hook("url: https://x.example/h\n      secret: " + bgSecret + "\n      timeout: -1s\n"), "batchgate_settings.webhooks[0].timeout", "negative"},
		{"ErrAttempts", hook("url: https://x.example/h\n      secret: " + bgSecret + "\n      max_attempts: -2\n"), "batchgate_settings.webhooks[0].max_attempts", "negative"},
		{"ErrDuplicate", hook("url: https://x.example/h\n      secret: " + bgSecret + "\n    - url: https://x.example/h\n      secret: " + bgSecret + "\n"), "batchgate_settings.webhooks[1].url", "earlier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.yaml), env(nil))
			ce, ok := err.(*Error)
			if !ok {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if ce.Field != tt.field || !strings.Contains(ce.Message, tt.msg) {
				t.Fatalf("err = %v, want field %s and %q", err, tt.field, tt.msg)
			}
			if strings.Contains(ce.Error(), "MfKQ9r8GKYqr") {
				t.Fatalf("the error echoes the secret: %v", err)
			}
		})
	}
}
