package rules

import (
	"math"
	"testing"
)

func tallyReport(nrrNum, nrrDen, sfrrNum, sfrrDen, onTime, turns int) Report {
	return Report{Results: map[Metric]Result{
		NRR:              {Metric: NRR, Valid: nrrDen > 0, Numerator: nrrNum, Denominator: nrrDen, Thresholds: &Thresholds{Warn: 0.008, Critical: 0.01}},
		SFRR:             {Metric: SFRR, Valid: sfrrDen > 0, Numerator: sfrrNum, Denominator: sfrrDen, Thresholds: &Thresholds{Warn: 0.01, Critical: 0.015}},
		ChatResponseRate: {Metric: ChatResponseRate, Valid: turns > 0, Numerator: onTime, Denominator: turns, Thresholds: &Thresholds{Warn: 0.95, Critical: 0.9}},
	}}
}

func TestNewTally(t *testing.T) {
	tests := []struct {
		name    string
		report  Report
		causes  []TallyCount
		reasons []TallyCount
		want    []TallyEntry // Weight compared to 1e-9
	}{
		{
			name:    "reviews and returns of one cause keep their own units",
			report:  tallyReport(52, 1000, 57, 1000, 0, 0),
			causes:  []TallyCount{{Name: "missing_item", Orders: 52}},
			reasons: []TallyCount{{Name: "missing_item", Fault: "seller", Orders: 40}, {Name: "empty_package", Fault: "seller", Orders: 17}},
			want:    []TallyEntry{{Cause: "missing_item", Group: "service", Reviews: 52, Returns: 57, Weight: 52.0/1000/0.008 + 57.0/1000/0.01}},
		},
		{
			name:   "late chat replies join slow_response reviews",
			report: tallyReport(3, 1000, 0, 1000, 90, 100),
			causes: []TallyCount{{Name: "slow_response", Orders: 2}, {Name: "rude_service", Orders: 1}},
			want: []TallyEntry{
				{Cause: "slow_response", Group: "service", Reviews: 2, Late: 10, Weight: 2.0/1000/0.008 + 10.0/100/0.05},
				{Cause: "rude_service", Group: "service", Reviews: 1, Weight: 1.0 / 1000 / 0.008},
			},
		},
		{
			name:    "ranked by the share of the warn line, not by the count",
			report:  tallyReport(9, 1000, 30, 3000, 99, 100),
			causes:  []TallyCount{{Name: "damaged", Orders: 9}},
			reasons: []TallyCount{{Name: "wrong_item", Fault: "seller", Orders: 30}},
			want: []TallyEntry{
				{Cause: "damaged", Group: "service", Reviews: 9, Weight: 1.125},
				{Cause: "wrong_item", Group: "service", Returns: 30, Weight: 1},
				{Cause: "slow_response", Group: "service", Late: 1, Weight: 0.2},
			},
		},
		{
			name:    "logistics returns are counted as such and unclassified reasons stay apart",
			report:  tallyReport(0, 1000, 5, 1000, 0, 0),
			reasons: []TallyCount{{Name: "not_received", Fault: "logistics", Orders: 3}, {Name: "box smelled", Fault: "seller", Orders: 2, Unclassified: true}},
			want: []TallyEntry{
				{Cause: "courier", Group: "logistics", Returns: 3, Logistics: 3, Weight: 0.3},
				{Reason: "box smelled", Unclassified: true, Group: "seller", Returns: 2, Weight: 0.2},
			},
		},
		{
			name:   "a metric without a denominator weighs shares of its numerator",
			report: Report{Results: map[Metric]Result{NRR: {Metric: NRR, Numerator: 4}}},
			causes: []TallyCount{{Name: "other", Orders: 1}, {Name: "damaged", Orders: 1}, {Name: "safety", Orders: 2}},
			want: []TallyEntry{
				{Cause: "safety", Group: "product", Reviews: 2, Weight: 0.5},
				{Cause: "damaged", Group: "service", Reviews: 1, Weight: 0.25},
				{Cause: "other", Group: "other", Reviews: 1, Weight: 0.25},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewTally(tt.report, tt.causes, tt.reasons).Entries
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries %+v, want %+v", len(got), got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if math.Abs(g.Weight-w.Weight) > 1e-9 {
					t.Errorf("entry %d weight %v, want %v", i, g.Weight, w.Weight)
				}
				g.Weight, w.Weight = 0, 0
				if g != w {
					t.Errorf("entry %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestTallyEntryLabel(t *testing.T) {
	tests := []struct {
		name string
		e    TallyEntry
		want string
	}{
		{"cause", TallyEntry{Cause: "damaged"}, "damaged item or package"},
		{"reason", TallyEntry{Reason: "seller_other"}, "other seller-fault return reason"},
		{"unclassified", TallyEntry{Reason: "box smelled", Unclassified: true}, "box smelled (unclassified return reason, counted as seller fault)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Label(); got != tt.want {
				t.Errorf("Label() = %q, want %q", got, tt.want)
			}
		})
	}
}
