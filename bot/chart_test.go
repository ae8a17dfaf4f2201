package bot

import (
	"bytes"
	"errors"
	"image/png"
	"testing"

	"github.com/shopwatch/shopwatch/chart"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
)

func TestDigestChart(t *testing.T) {
	v := 0.01
	series := []monitor.Series{
		{Metric: rules.NRR, Thresholds: &rules.Thresholds{Warn: 0.01, Critical: 0.02}, Values: []*float64{&v, nil, &v}},
		{Metric: rules.SFRR, Values: []*float64{&v, &v, &v}},
	}
	for _, tt := range []struct {
		name   string
		digest *monitor.Digest
		panels int // 0: no chart
	}{
		{"no digest", nil, 0},
		{"no series", &monitor.Digest{First: 10, Day: 12}, 0},
		{"a panel per series", &monitor.Digest{First: 10, Day: 12, Series: series}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := digestChart("Beauty Hub", tt.digest)
			if tt.panels == 0 {
				if !errors.Is(err, chart.ErrNoSeries) {
					t.Errorf("err %v, want chart.ErrNoSeries", err)
				}
				return
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if w, h := chart.Size(tt.panels); err != nil || cfg.Width != w || cfg.Height != h {
				t.Errorf("chart %dx%d (%v), want %dx%d", cfg.Width, cfg.Height, err, w, h)
			}
		})
	}
}
