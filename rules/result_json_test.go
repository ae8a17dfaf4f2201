package rules

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Messages in the outbox keep results as JSON: a result must read back as
// it was written.
func TestResultJSONRoundTrip(t *testing.T) {
	headroom, recovers := 3, Day(20000)
	tests := []struct {
		name string
		in   Result
	}{
		{"rate with thresholds", Result{Metric: NRR, Valid: true, Value: 0.0061, Numerator: 61, Denominator: 10000, WindowDays: 30,
			Level: LevelCritical, Thresholds: &Thresholds{Warn: 0.004, Critical: 0.005}, Headroom: &headroom, RecoversOn: &recovers}},
		{"chat pending", Result{Metric: ChatResponseRate, Valid: true, Value: 0.88, Numerator: 88, Denominator: 100, Pending: 2,
			WindowDays: 30, TargetHours: 12, Level: LevelWarn}},
		{"no value", Result{Metric: ChatAvgResponseHours, WindowDays: 30, Level: LevelNone}},
		{"stale with gaps", Result{Metric: SFRR, Valid: true, Value: 0.02, Level: LevelStale, Computed: LevelWarn,
			Gaps: []Input{{Kind: KindReturns, State: Stale, Has: true, Last: 19990}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got Result
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip of %s:\n got %+v\nwant %+v", b, got, tt.in)
			}
		})
	}
}
