package monitor

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// TestEvaluateAllShopsSpeed measures the daily job of every shop of a big
// database for one date, end to end: reports, alert states, explanations
// of the alerts and the outbox, written. It needs a database it may write
// to (a copy: the first evaluation writes alert states and messages):
//
//	cp bench-data/10m/metrics.db /tmp/bench.db
//	SHOPWATCH_BENCH_DB=/tmp/bench.db SHOPWATCH_BENCH_CONFIG=bench-data/10m/shopwatch.yaml \
//	SHOPWATCH_BENCH_DATE=2026-11-20 go test -run EvaluateAllShopsSpeed -v ./monitor
//
// The target is under 10 s for 1,000 shops and 10 million order lines.
func TestEvaluateAllShopsSpeed(t *testing.T) {
	path, cfgPath, date := os.Getenv("SHOPWATCH_BENCH_DB"), os.Getenv("SHOPWATCH_BENCH_CONFIG"), os.Getenv("SHOPWATCH_BENCH_DATE")
	if path == "" || cfgPath == "" || date == "" {
		t.Skip("set SHOPWATCH_BENCH_DB (a copy), SHOPWATCH_BENCH_CONFIG and SHOPWATCH_BENCH_DATE")
	}
	text, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := rules.ParseConfig(text)
	if err != nil {
		t.Fatal(err)
	}
	day, err := rules.ParseDay(date)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	db, err := store.Open(ctx, store.Options{DSN: path, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Logf("opened in %s", time.Since(start).Round(time.Millisecond))
	m, err := New(Options{DB: db, Notifier: newRecorder()})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{"first evaluation", "the same date again", "the next date"} {
		d, now := day, runAt(day)
		if run == "the next date" {
			d, now = day+1, runAt(day+1)
		}
		sum, err := m.Evaluate(ctx, d, nil, now)
		if err != nil || sum.Failed > 0 {
			t.Fatalf("%s: %v %v", run, err, sum.Errors)
		}
		t.Logf("%s (%s): %d shops in %s, %d new outbox messages, %d repeated, %v",
			run, d, sum.Shops, sum.Duration.Round(time.Millisecond), sum.Added, sum.Repeated, sum.Notifications)
		if run == "first evaluation" && sum.Duration > 10*time.Second && !raceEnabled {
			t.Errorf("took %s, want under 10 s", sum.Duration)
		}
	}
}
