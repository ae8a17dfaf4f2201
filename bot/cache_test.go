package bot

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// countingStore counts the reads that the cache should spare.
type countingStore struct {
	Store
	reads atomic.Int64
}

func (c *countingStore) ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error) {
	c.reads.Add(1)
	return c.Store.ReportDays(ctx, shopID, days...)
}

func (c *countingStore) Feedback(ctx context.Context, shopID string, day rules.Day) (*store.Feedback, error) {
	c.reads.Add(1)
	return c.Store.Feedback(ctx, shopID, day)
}

func (c *countingStore) BreakdownWindow(ctx context.Context, shopID, metric string, day rules.Day, days, top int) (*store.Breakdown, error) {
	c.reads.Add(1)
	return c.Store.BreakdownWindow(ctx, shopID, metric, day, days, top)
}

func TestCache(t *testing.T) {
	db, _ := MustFixtureDB(t)
	counting := &countingStore{Store: db}
	var version atomic.Uint64
	h, err := NewHandler(Options{DB: counting, Now: func() time.Time { return fixtureNow },
		DataVersion: func(context.Context) (uint64, error) { return version.Load(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(text string) (Reply, int64) {
		before := counting.reads.Load()
		r := h.Answer(context.Background(), Request{Text: text, ChannelID: chanBeauty})
		MustCheckReply(t, r)
		return r, counting.reads.Load() - before
	}
	tests := []struct {
		name      string
		text      string
		bump      bool
		wantReads func(n int64) bool
	}{
		{"first status reads", "status", false, func(n int64) bool { return n == 1 }},
		{"second status is cached", "status", false, func(n int64) bool { return n == 0 }},
		{"digest reuses the status reports", "digest", false, func(n int64) bool { return n == 2 }}, // feedback + nrr products
		{"appeal reuses the digest's reads", "appeal warning", false, func(n int64) bool { return n == 0 }},
		{"tips reuse them too", "tips", false, func(n int64) bool { return n == 0 }},
		{"a data change empties the cache", "status", true, func(n int64) bool { return n == 1 }},
	}
	var first string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.bump {
				version.Add(1)
			}
			r, n := ask(tt.text)
			if !tt.wantReads(n) {
				t.Errorf("%d reads", n)
			}
			if tt.text == "status" {
				if first == "" {
					first = r.Text
				} else if r.Text != first {
					t.Error("a cached answer differs from the first")
				}
			}
		})
	}
}

// TestCacheSeesImports runs the cache with the real change watcher: an
// import by another connection (as `shopwatch import` in another process
// would) shows in the next answer.
func TestCacheSeesImports(t *testing.T) {
	db, _ := MustFixtureDB(t)
	opts := Options{Now: func() time.Time { return fixtureNow }}
	release, err := PrepareStore(context.Background(), db, &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	h, err := NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	status := func() string {
		return h.Answer(context.Background(), Request{Text: "status", ChannelID: chanBeauty}).Text
	}
	before := status()
	if !strings.Contains(before, "(27 of 1,200 delivered orders)") {
		t.Fatalf("unexpected fixture figures:\n%s", before)
	}
	var reviews strings.Builder
	reviews.WriteString("review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n")
	reviews.WriteString("new-1,10000100,7495001,1729000000000000001,1,2026-11-20T10:00:00+07:00,,damaged\n")
	if _, err := db.Import(context.Background(), store.Reviews, []store.Source{{Name: "new.csv", R: strings.NewReader(reviews.String())}}, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if after := status(); !strings.Contains(after, "(28 of 1,200 delivered orders)") {
		t.Errorf("the cached status missed the import:\n%s", after)
	}
}
