package bot

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

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

func (c *countingStore) Evidence(ctx context.Context, shopID, productID string, day rules.Day) (*store.Evidence, error) {
	c.reads.Add(1)
	return c.Store.Evidence(ctx, shopID, productID, day)
}

func (c *countingStore) BreakdownWindow(ctx context.Context, shopID, metric string, day rules.Day, days, top int) (*store.Breakdown, error) {
	c.reads.Add(1)
	return c.Store.BreakdownWindow(ctx, shopID, metric, day, days, top)
}

// fakeChanges is a data version and per-shop change counts that a test moves.
type fakeChanges struct {
	mu      sync.Mutex
	version uint64
	counts  map[string]int64
	reads   atomic.Int64  // calls of ShopChanges
	delay   time.Duration // how long ShopChanges takes
}

func (f *fakeChanges) Version(context.Context) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version, nil
}

func (f *fakeChanges) ShopChanges(context.Context) (map[string]int64, error) {
	f.reads.Add(1)
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.counts), nil
}

// change moves the version and the counts of shops.
func (f *fakeChanges) change(shops ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	for _, s := range shops {
		f.counts[s]++
	}
}

func TestCache(t *testing.T) {
	db, _ := MustFixtureDB(t)
	counting := &countingStore{Store: db}
	changes := &fakeChanges{counts: map[string]int64{}}
	h, err := NewHandler(Options{DB: counting, Clock: clockwork.NewFakeClockAt(fixtureNow), Changes: changes})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(text string) (Reply, int64) {
		before := counting.reads.Load()
		r := h.Answer(context.Background(), Request{Text: text, ChannelID: chanBeauty})
		MustCheckReply(t, r)
		return r, counting.reads.Load() - before
	}
	const shop, other = "7495001", "7495002" // chanBeauty's shop, and another
	tests := []struct {
		name      string
		text      string
		changed   []string // nil: no change; empty: a change to no shop's data
		wantReads int64
	}{
		{"first status reads", "status", nil, 1},
		{"second status is cached", "status", nil, 0},
		{"digest reuses the status reports", "digest", nil, 4}, // the other days of its eight weeks + feedback + nrr and sfrr products
		{"appeal reads its evidence", "appeal warning", nil, 1},
		{"a second appeal is cached", "appeal removal", nil, 0},
		{"tips reuse them too", "tips", nil, 0},
		{"a write no answer reads keeps the cache", "status", []string{}, 0},
		{"a change to another shop keeps it", "status", []string{other}, 0},
		{"a change to the shop drops its entries", "status", []string{shop}, 1},
		{"and only once", "digest", nil, 4},
		{"the digest's top products and causes came from whole breakdowns", "breakdown nrr", nil, 0},
		{"which a breakdown reads too", "breakdown sfrr", nil, 0},
	}
	var first string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.changed != nil {
				changes.change(tt.changed...)
			}
			r, n := ask(tt.text)
			if n != tt.wantReads {
				t.Errorf("%d reads, want %d", n, tt.wantReads)
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

// After a change, concurrent requests read the shops' counts once, not
// once each.
func TestCacheReadsCountsOncePerChange(t *testing.T) {
	db, _ := MustFixtureDB(t)
	changes := &fakeChanges{counts: map[string]int64{}, delay: 20 * time.Millisecond}
	h, err := NewHandler(Options{DB: db, Clock: clockwork.NewFakeClockAt(fixtureNow), Changes: changes})
	if err != nil {
		t.Fatal(err)
	}
	ask := func() {
		MustCheckReply(t, h.Answer(context.Background(), Request{Text: "status", ChannelID: chanBeauty}))
	}
	ask()
	for round := range 3 {
		changes.change("7495002")
		before := changes.reads.Load()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(ask)
		}
		wg.Wait()
		if n := changes.reads.Load() - before; n != 1 {
			t.Errorf("round %d: 20 requests read the counts %d times, want once", round, n)
		}
	}
}

// hookedStore runs during inside each ReportDays read, as a write by
// another connection in the middle of it would.
type hookedStore struct {
	Store
	during func()
}

func (h *hookedStore) ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error) {
	h.during()
	return h.Store.ReportDays(ctx, shopID, days...)
}

// A value computed while the data version moved is kept when the shop's
// count did not move (on PostgreSQL, any transaction on the server moves
// the version), and dropped when it did.
func TestCacheKeepsAcrossOtherChanges(t *testing.T) {
	const shop, other = "7495001", "7495002" // chanBeauty's shop, and another
	for _, tc := range []struct {
		name      string
		changed   []string
		wantReads int64
	}{
		{"a write no answer reads", []string{}, 0},
		{"a change to another shop", []string{other}, 0},
		{"a change to the shop", []string{shop}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := MustFixtureDB(t)
			changes := &fakeChanges{counts: map[string]int64{}}
			var moved bool
			hooked := &hookedStore{Store: db, during: func() {
				if !moved {
					moved = true
					changes.change(tc.changed...)
				}
			}}
			counting := &countingStore{Store: hooked}
			h, err := NewHandler(Options{DB: counting, Clock: clockwork.NewFakeClockAt(fixtureNow), Changes: changes})
			if err != nil {
				t.Fatal(err)
			}
			status := func() int64 {
				before := counting.reads.Load()
				MustCheckReply(t, h.Answer(context.Background(), Request{Text: "status", ChannelID: chanBeauty}))
				return counting.reads.Load() - before
			}
			if n := status(); n != 1 {
				t.Fatalf("the first status made %d reads, want 1", n)
			}
			if n := status(); n != tc.wantReads {
				t.Errorf("after %v changed during the first status's read, the second made %d reads, want %d", tc.changed, n, tc.wantReads)
			}
		})
	}
}

// TestCacheSeesImports runs the cache with the real change watcher: an
// import by another connection (as `shopwatch import` in another process
// would) shows in the next answer, while writes to other shops' data, or
// to data no answer reads, leave the shop's answers cached.
func TestCacheSeesImports(t *testing.T) {
	ctx := context.Background()
	db, _ := MustFixtureDB(t)
	opts := Options{Clock: clockwork.NewFakeClockAt(fixtureNow)}
	release, err := PrepareStore(ctx, db, &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	counting := &countingStore{Store: db}
	opts.DB = counting
	h, err := NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	status := func() (string, int64) {
		before := counting.reads.Load()
		text := h.Answer(ctx, Request{Text: "status", ChannelID: chanBeauty}).Text
		return text, counting.reads.Load() - before
	}
	importReview := func(shop string) {
		t.Helper()
		csv := "review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n" +
			"new-" + shop + ",10000100," + shop + ",1729000000000000001,1,2026-11-20T10:00:00+07:00,,damaged\n"
		if _, err := db.Import(ctx, store.Reviews, []store.Source{{Name: "new.csv", R: strings.NewReader(csv)}}, store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if before, _ := status(); !strings.Contains(before, "(27 of 1,200 delivered orders)") {
		t.Fatalf("unexpected fixture figures:\n%s", before)
	}
	importReview("7495001")
	if after, n := status(); !strings.Contains(after, "(28 of 1,200 delivered orders)") || n != 1 {
		t.Errorf("the cached status missed the import (%d reads):\n%s", n, after)
	}
	importReview("7495002")
	if err := db.MarkRun(ctx, "7495001", "evaluate", 20400, fixtureNow); err != nil {
		t.Fatal(err)
	}
	if after, n := status(); !strings.Contains(after, "(28 of 1,200 delivered orders)") || n != 0 {
		t.Errorf("writes that do not concern the shop's answers cost %d reads:\n%s", n, after)
	}
}

// TestCachedAnswersMatch: with the cache, and after other answers filled
// it (a breakdown's whole lists, which a digest cuts to its top entries),
// every answer is the one read straight from the store.
func TestCachedAnswersMatch(t *testing.T) {
	db, _ := MustFixtureDB(t)
	plain, err := NewHandler(Options{DB: db, Clock: clockwork.NewFakeClockAt(fixtureNow)})
	if err != nil {
		t.Fatal(err)
	}
	cached, err := NewHandler(Options{DB: db, Clock: clockwork.NewFakeClockAt(fixtureNow), Changes: &fakeChanges{counts: map[string]int64{}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"breakdown nrr", "breakdown sfrr", "breakdown chat", "status", "digest", "tips", "appeal warning", "digest", "breakdown nrr"} {
		want := plain.Answer(context.Background(), Request{Text: text, ChannelID: chanBeauty})
		got := cached.Answer(context.Background(), Request{Text: text, ChannelID: chanBeauty})
		MustCheckReply(t, got)
		gotBlocks, _ := json.Marshal(got.Blocks)
		wantBlocks, _ := json.Marshal(want.Blocks)
		if got.Text != want.Text || string(gotBlocks) != string(wantBlocks) {
			t.Errorf("%q: the cached answer differs:\n%s\nwant\n%s", text, got.Text, want.Text)
		}
	}
}

// TestCachedBreakdownTop: a breakdown's top entries come from the cached
// whole breakdown and are those the store gives for the same top.
func TestCachedBreakdownTop(t *testing.T) {
	db, _ := MustFixtureDB(t)
	counting := &countingStore{Store: db}
	c := newCachedStore(counting, &fakeChanges{counts: map[string]int64{}})
	ctx := context.Background()
	day := rules.DayOf(fixtureNow.AddDate(0, 0, -1), db.Config().Shops()[0].Location)
	for _, metric := range []string{"nrr", "sfrr", "chat"} {
		whole, err := c.BreakdownWindow(ctx, "7495001", metric, day, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		before := counting.reads.Load()
		for _, top := range []int{1, 3, 100} {
			got, err := c.BreakdownWindow(ctx, "7495001", metric, day, 0, top)
			if err != nil {
				t.Fatal(err)
			}
			want, err := db.BreakdownWindow(ctx, "7495001", metric, day, 0, top)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s top %d: %+v, want %+v", metric, top, got, want)
			}
		}
		if n := counting.reads.Load() - before; n != 0 {
			t.Errorf("%s: %d reads for the tops, want none", metric, n)
		}
		if len(whole.Products)+len(whole.Causes)+len(whole.Hours)+len(whole.Waiting) <= 1 {
			t.Errorf("%s: the fixture's breakdown has too few entries to cut: %+v", metric, whole)
		}
	}
}
