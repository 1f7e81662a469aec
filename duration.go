package batchgate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var durationRE = regexp.MustCompile(`^([0-9]+)(s|m|h|d|w|mo|y)$`)

// ParseDuration parses LiteLLM's durations: "30s", "10m", "2h", "30d", "1w", "1mo", "1y".
func ParseDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a duration such as 30s, 10m, 2h, 30d, 1w, 1mo or 1y", s)
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
		"w": 7 * 24 * time.Hour, "mo": 30 * 24 * time.Hour, "y": 365 * 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, nil
}
