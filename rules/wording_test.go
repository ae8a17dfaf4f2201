package rules

import "testing"

func TestMetricWords(t *testing.T) {
	tests := []struct {
		name   string
		metric Metric
		want   MetricWords
	}{
		{"nrr", NRR, MetricWords{Label: "Negative review rate", Title: "Negative review rate (NRR)", Short: "NRR", Abbrev: "NRR",
			Chart: "NRR - negative review rate"}},
		{"chat rate abbreviates", ChatResponseRate, MetricWords{Label: "Chat response rate", Title: "Chat response rate",
			Short: "the chat response rate", Abbrev: "chat rate", Chart: "Chat response rate"}},
		{"chat hours in hours", ChatAvgResponseHours, MetricWords{Label: "Chat average response time", Title: "Chat average response time",
			Short: "the average chat response time", Abbrev: "chat time", Chart: "chat_avg_response_hours", Unit: UnitHours}},
		{"unknown falls back to the key", MetricData, MetricWords{Label: "data", Title: "data", Short: "data", Abbrev: "data", Chart: "data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.metric.Words(); got != tt.want {
				t.Errorf("Words() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMetricWordsCoverEveryMetric(t *testing.T) {
	for _, m := range Metrics {
		w, ok := metricWords[m]
		if !ok || w.Label == "" || w.Short == "" {
			t.Errorf("%s: no label or short name in the table: %+v", m, w)
		}
	}
}
