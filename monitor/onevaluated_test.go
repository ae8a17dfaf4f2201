package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
)

// TestOnEvaluated: the hook is called once after each evaluation that
// evaluated shops, with its summary, and not for one that evaluated none.
func TestOnEvaluated(t *testing.T) {
	db := MustDemo(t, 2, 40, "")
	var got []Summary
	m, err := New(Options{DB: db, Clock: clockwork.NewFakeClockAt(testNow), OnEvaluated: func(s Summary) { got = append(got, s) }})
	if err != nil {
		t.Fatal(err)
	}
	day := rules.DayOf(demoEnd, time.UTC)
	tests := []struct {
		name      string
		cancelled bool
		wantCalls int
	}{
		{"an evaluation calls it", false, 1},
		{"an evaluation that evaluated nothing does not", true, 1},
		{"the next evaluation calls it again", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancelled {
				cancel()
			}
			defer cancel()
			sum, _ := m.Evaluate(ctx, day, nil, testNow)
			if len(got) != tt.wantCalls {
				t.Fatalf("called %d times, want %d", len(got), tt.wantCalls)
			}
			if last := got[len(got)-1]; !tt.cancelled && (last.Shops != 2 || last.Day != day || last.Shops != sum.Shops) {
				t.Errorf("called with %+v, Evaluate returned %+v", last, sum)
			}
		})
	}
}
