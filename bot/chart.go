package bot

import (
	"github.com/shopwatch/shopwatch/chart"
	"github.com/shopwatch/shopwatch/monitor"
)

// digestChart draws a digest's chart: its series from d.First to d.Day.
// A digest without series (or none) is chart.ErrNoSeries.
func digestChart(shopName string, d *monitor.Digest) ([]byte, error) {
	if d == nil {
		return nil, chart.ErrNoSeries
	}
	series := make([]chart.Series, len(d.Series))
	for i, s := range d.Series {
		series[i] = chart.Series{Metric: s.Metric, Thresholds: s.Thresholds, Values: s.Values}
	}
	return chart.PNG(shopName, d.First, d.Day, series)
}
