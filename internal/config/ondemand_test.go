package config

import (
	"strings"
	"testing"
)

func TestOnDemandSettings(t *testing.T) {
	n := func(v int) *int { return &v }
	m := Model{}
	if m.OnDemand() || m.OnDemandConcurrency() != DefaultOnDemandConcurrency {
		t.Errorf("zero model: OnDemand %v, concurrency %d; want refuse, %d", m.OnDemand(), m.OnDemandConcurrency(), DefaultOnDemandConcurrency)
	}
	m.ModelInfo = ModelInfo{BatchBelowMinimum: "on_demand", BatchOnDemandConcurrency: n(8)}
	if !m.OnDemand() || m.OnDemandConcurrency() != 8 || m.checkOnDemand("m") != nil {
		t.Errorf("on_demand, 8: OnDemand %v, concurrency %d, check %v", m.OnDemand(), m.OnDemandConcurrency(), m.checkOnDemand("m"))
	}
	for _, bad := range []ModelInfo{{BatchBelowMinimum: "ondemand"}, {BatchOnDemandConcurrency: n(0)}} {
		m.ModelInfo = bad
		if err := m.checkOnDemand("m"); err == nil || !strings.Contains(err.Error(), "m.batch_") {
			t.Errorf("%+v: check = %v, want an error naming the field", bad, err)
		}
	}
}
