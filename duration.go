package batchgate

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var durationRE = regexp.MustCompile(`^([0-9]+)(s|m|h|d|w|mo|y)$`)

var durationUnits = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "mo": 30 * 24 * time.Hour, "y": 365 * 24 * time.Hour}

// ParseDuration parses LiteLLM's durations: "30s", "10m", "2h", "30d", "1w", "1mo", "1y".
// A duration longer than time.Duration holds (about 292 years) is an error,
// not a wrapped-around value.
func ParseDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a duration such as 30s, 10m, 2h, 30d, 1w, 1mo or 1y", s)
	}
	unit := durationUnits[m[2]]
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > math.MaxInt64/int64(unit) {
		return 0, fmt.Errorf("%q is too long: a duration must be under 292 years", s)
	}
	return time.Duration(n) * unit, nil
}
