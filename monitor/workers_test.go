package monitor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// batchStore holds each evaluation in Daily until a batch of workers
// evaluations is in flight (or the shops run out), and keeps the most it
// saw at once. A pool larger than workers shows as more at once; a smaller
// one never completes a batch.
type batchStore struct {
	Store
	workers, total int

	mu       sync.Mutex
	arrived  int
	active   int
	most     int
	batches  []chan struct{}
	timedOut bool
}

func newBatchStore(db Store, workers, total int) *batchStore {
	b := &batchStore{Store: db, workers: workers, total: total}
	for range (total + workers - 1) / workers {
		b.batches = append(b.batches, make(chan struct{}))
	}
	return b
}

func (b *batchStore) Daily(ctx context.Context, shopID string, day rules.Day) (*store.Daily, error) {
	b.mu.Lock()
	b.arrived++
	b.active++
	b.most = max(b.most, b.active)
	batch := (b.arrived - 1) / b.workers
	if b.arrived == min((batch+1)*b.workers, b.total) {
		close(b.batches[batch])
	}
	b.mu.Unlock()
	select {
	case <-b.batches[batch]:
	case <-time.After(10 * time.Second): // a guard: the test fails, it does not hang
		b.mu.Lock()
		b.timedOut = true
		b.mu.Unlock()
	}
	b.mu.Lock()
	b.active--
	b.mu.Unlock()
	return b.Store.Daily(ctx, shopID, day)
}

func TestEvaluateWorkers(t *testing.T) {
	const shops = 12
	var cfg strings.Builder
	cfg.WriteString("shops:\n")
	for i := range shops {
		fmt.Fprintf(&cfg, "  - id: \"%d\"\n    timezone: Asia/Bangkok\n    channel: C%d\n", i+1, i+1)
	}
	for _, tt := range []struct {
		name    string
		workers int
	}{
		{"one at a time", 1},
		{"three at a time", 3},
		{"more workers than shops", 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, cfg.String())
			bs := newBatchStore(db, min(tt.workers, shops), shops)
			m, err := New(Options{DB: bs, Notifier: newRecorder(), Clock: newLaterClock(), Workers: tt.workers})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := m.Evaluate(t.Context(), rules.DateDay(2026, 11, 20), nil, testNow)
			if err != nil || sum.Failed != 0 {
				t.Fatalf("evaluate: %+v %v", sum, err)
			}
			if got := m.Metrics().Counters().Evaluations; got != shops {
				t.Errorf("%d shops evaluated, want %d", got, shops)
			}
			if bs.timedOut || bs.most != min(tt.workers, shops) {
				t.Errorf("at most %d evaluations at once (a batch timed out: %v), want %d", bs.most, bs.timedOut, min(tt.workers, shops))
			}
		})
	}
}
