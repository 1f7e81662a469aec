package sqlstore

import (
	"testing"
	"time"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`x = '?' AND y = ?`, `x = '?' AND y = $1`},
		{`x = 'it''s?' OR y IN (?, ?)`, `x = 'it''s?' OR y IN ($1, $2)`},
	} {
		if got := Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestScanTime(t *testing.T) {
	want := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	for _, src := range []any{want.UnixMilli(), want.In(time.FixedZone("x", 3600))} {
		var got time.Time
		if err := (Time{&got}).Scan(src); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Time.Scan(%v) = %v, %v; want %v in UTC", src, got, err, want)
		}
	}
	p := &want
	if err := (NullTime{&p}).Scan(nil); err != nil || p != nil {
		t.Errorf("NullTime.Scan(nil) = %v, %v; want nil", p, err)
	}
	var got time.Time
	if err := (Time{&got}).Scan(nil); err == nil {
		t.Error("Time.Scan(nil): no error")
	}
}
