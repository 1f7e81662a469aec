package config

import (
	"strings"
	"testing"
	"time"
)

func TestFileSettings(t *testing.T) {
	tests := []struct {
		files   string
		in, out time.Duration
	}{
		{"", 0, 0},
		{"  files:\n    expire_after: 30d\n", 30 * 24 * time.Hour, 0},
		{"  files:\n    expire_after: 720h\n    output_expire_after: 1w\n", 720 * time.Hour, 7 * 24 * time.Hour},
		{"  files:\n    output_expire_after: 1h30m\n", 0, 90 * time.Minute},
		{"  files:\n    expire_after: os.environ/FILE_TTL\n", 2 * time.Hour, 0},
	}
	for _, tt := range tests {
		cfg, err := Parse(strings.NewReader(bgModel+"batchgate_settings:\n"+tt.files), env(map[string]string{"FILE_TTL": "2h"}))
		if err != nil {
			t.Errorf("%q: %v", tt.files, err)
			continue
		}
		f := cfg.BatchgateSettings.Files
		if f.InputTTL() != tt.in || f.OutputTTL() != tt.out {
			t.Errorf("%q: input %v, output %v; want %v, %v", tt.files, f.InputTTL(), f.OutputTTL(), tt.in, tt.out)
		}
	}
}

func TestFileSettingsErrors(t *testing.T) {
	tests := []struct{ files, field, msg string }{
		{"expire_after: soon", "batchgate_settings.files.expire_after", "not a duration"},
		{"expire_after: -30d", "batchgate_settings.files.expire_after", "not a duration"},
		{"expire_after: 0d", "batchgate_settings.files.expire_after", "at least a minute"},
		{"output_expire_after: 30x", "batchgate_settings.files.output_expire_after", "not a duration"},
		{"output_expire_after: 10s", "batchgate_settings.files.output_expire_after", "at least a minute"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(bgModel+"batchgate_settings:\n  files:\n    "+tt.files+"\n"), env(nil))
		ce, ok := err.(*Error)
		if !ok {
			t.Errorf("%s: err = %v (%T), want *Error", tt.files, err, err)
			continue
		}
		if ce.Field != tt.field || !strings.Contains(ce.Message, tt.msg) {
			t.Errorf("%s: err = %v, want field %s and %q", tt.files, err, tt.field, tt.msg)
		}
	}
}
