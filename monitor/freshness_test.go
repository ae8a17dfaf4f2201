package monitor

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store/demo"
)

// TestReplayReviewsStop replays the case of issue 13: a shop's review
// exports stop while its orders, returns and chats keep coming. Its NRR
// falls as the old negative reviews leave the window; the NRR alert must
// not resolve on that, the NRR must show as stale, and a notice that
// reviews are not being imported must post once.
func TestReplayReviewsStop(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and imports a data set")
	}
	const shop = "7495001" // the demo's shop in trouble: its NRR alert is open for weeks
	end := rules.DateDay(2026, 11, 20)
	cut := rules.DateDay(2026, 10, 24) // the last date with reviews
	first := end - 59

	dir := t.TempDir()
	if _, err := demo.Generate(dir, demo.Options{Shops: 2, Days: 60, OrdersPerDay: 60, Seed: 1, End: demoEnd}); err != nil {
		t.Fatal(err)
	}
	dropped := mustDropRows(t, filepath.Join(dir, "reviews.csv"), func(row map[string]string) bool {
		return row["shop_id"] == shop && row["created_at"][:10] > cut.String()
	})
	if dropped < 50 {
		t.Fatalf("dropped %d reviews: the case needs the reviews of weeks", dropped)
	}
	db := MustImportDemo(t, dir, "")
	rec := newRecorder()
	m := MustMonitor(t, db, rec)
	ctx := context.Background()

	var posts []post
	for d := first; d <= end; d++ {
		rec.reset()
		if sum, err := m.Evaluate(ctx, d, nil, runAt(d)); err != nil || sum.Failed > 0 {
			t.Fatalf("%s: %v %v", d, err, sum.Errors)
		}
		MustDrain(t, m)
		for _, p := range rec.posted {
			if a := p.Message.Alert; a != nil && p.Message.ShopID == shop {
				posts = append(posts, post{shop: shop, metric: a.Metric, day: d, transition: a.Transition, since: a.Since})
			}
		}
	}

	var opened bool
	var notices []post
	for _, p := range posts {
		switch {
		case p.metric == rules.NRR && p.day <= cut && (p.transition == rules.TransitionWarn || p.transition == rules.TransitionCritical):
			opened = true
		case p.metric == rules.NRR && p.day > cut && p.transition == rules.TransitionResolved:
			t.Errorf("%s: NRR resolved while no reviews were imported after %s", p.day, cut)
		case p.metric == rules.KindMetric(rules.KindReviews):
			notices = append(notices, p)
		case p.metric == rules.MetricData || p.metric == rules.KindMetric(rules.KindOrders) ||
			p.metric == rules.KindMetric(rules.KindReturns) || p.metric == rules.KindMetric(rules.KindChats):
			t.Errorf("%s: unexpected %s %s: only reviews stopped", p.day, p.metric, p.transition)
		}
	}
	if !opened {
		t.Fatalf("no NRR alert opened by %s: the case does not hold (posts %v)", cut, posts)
	}
	if len(notices) != 1 || notices[0].transition != rules.TransitionStale || notices[0].day <= cut || notices[0].day > cut+5 {
		t.Fatalf("reviews notices %v: want one stale notice within 5 days after %s", notices, cut)
	}

	var after []string
	for _, p := range posts {
		if p.day > cut {
			after = append(after, p.day.String()+" "+string(p.metric)+" "+string(p.transition))
		}
	}
	t.Logf("reviews end %s; posts after that: %q", cut, after)

	// From the notice on, NRR shows as stale, its figures' level kept apart.
	reports, err := db.ReportDays(ctx, shop, notices[0].day, end)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		res := r.Results[rules.NRR]
		if res.Level != rules.LevelStale || res.Computed.Severity() < 0 || len(res.Gaps) != 1 || res.Gaps[0].Kind != rules.KindReviews || res.Gaps[0].Last != cut {
			t.Errorf("%s: NRR level %s (computed %s, gaps %+v), want stale for reviews since %s", r.Date, res.Level, res.Computed, res.Gaps, cut)
		}
		if sfrr := r.Results[rules.SFRR]; sfrr.Level == rules.LevelStale || sfrr.Level == rules.LevelNoData {
			t.Errorf("%s: SFRR %s, but its orders and returns are fresh", r.Date, sfrr.Level)
		}
	}
	// The overview never calls the shop fine while NRR cannot be judged.
	s, _ := db.Config().Shop(shop)
	if l := m.shopLine(ctx, s, end); !slices.ContainsFunc(l.Figures, func(f rules.Result) bool { return f.Metric == rules.NRR && f.Level == rules.LevelStale }) {
		t.Errorf("overview line %+v: NRR not listed as stale", l)
	}

	// The alert state holds the level of the last judged date.
	states, err := db.AlertStates(ctx, shop, end+1)
	if err != nil {
		t.Fatal(err)
	}
	if s := states[rules.NRR]; s.Level.Severity() <= 0 || s.Observed != rules.LevelStale {
		t.Errorf("NRR state on %s: %+v, want the alert held while stale", end, s)
	}
}

// mustDropRows rewrites the CSV file at path without the rows drop
// matches, and returns how many it dropped.
func mustDropRows(t *testing.T, path string, drop func(row map[string]string) bool) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	head := recs[0]
	kept := [][]string{head}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range head {
			row[h] = rec[i]
		}
		if !drop(row) {
			kept = append(kept, rec)
		}
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	if err := w.WriteAll(kept); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return len(recs) - len(kept)
}
