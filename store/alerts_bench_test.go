package store

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// BenchmarkEvaluationRoundTrip is what one shop's daily evaluation asks of
// the store besides its report: the previous states, the mutes, which
// messages are queued, and the saved evaluation (five states, one new
// alert, the run), over a month of dates saved again and again.
func BenchmarkEvaluationRoundTrip(b *testing.B) {
	db := MustOpen(b, testConfig)
	ctx := context.Background()
	first := rules.DateDay(2026, 1, 1)
	metrics := []rules.Metric{rules.MetricData, rules.NRR, rules.SFRR, rules.ChatResponseRate, rules.ChatAvgResponseHours}
	b.ResetTimer()
	for i := range b.N {
		day := first + rules.Day(i%30)
		at := time.Date(2026, 1, 2, 7, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		if _, err := db.AlertStates(ctx, "7495001", day); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Mutes(ctx, "7495001", at); err != nil {
			b.Fatal(err)
		}
		key := "7495001/nrr/" + day.String() + "/critical/" + strconv.Itoa(i)
		if _, err := db.OutboxHas(ctx, []string{key}); err != nil {
			b.Fatal(err)
		}
		ev := Evaluation{ShopID: "7495001", Day: day, Run: "daily", At: at,
			Outbox: []OutboxMessage{{Key: key, ShopID: "7495001", Channel: "C1", Kind: "alert", Payload: []byte(`{}`)}}}
		for _, m := range metrics {
			ev.States = append(ev.States, rules.AlertState{Metric: m, Day: day, Level: rules.LevelCritical, Since: day,
				Observed: rules.LevelCritical, Fresh: true, Announced: rules.LevelCritical, NotifiedOn: day, Root: key, Value: 0.01, Valid: true})
		}
		if n, err := db.SaveEvaluation(ctx, ev); err != nil || n != 1 {
			b.Fatalf("save: %d %v", n, err)
		}
	}
}
