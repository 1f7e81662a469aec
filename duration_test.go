package batchgate

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30s", 30 * time.Second}, {"10m", 10 * time.Minute}, {"2h", 2 * time.Hour}, {"30d", 30 * 24 * time.Hour},
		{"1w", 7 * 24 * time.Hour}, {"1mo", 30 * 24 * time.Hour}, {"1y", 365 * 24 * time.Hour}, {" 0d ", 0},
		{"292y", 292 * 365 * 24 * time.Hour},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	// Before, the first two wrapped around to a negative or small duration
	// and the last two (Atoi out of range) parsed as 0.
	for _, in := range []string{"99999999999d", "293y", "9223372036854775807s", "99999999999999999999d", "", "1", "-1d", "1x", "1.5h"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}
