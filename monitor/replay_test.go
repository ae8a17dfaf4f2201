package monitor

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// post is one delivered alert, as the replay sees it.
type post struct {
	shop       string
	metric     rules.Metric
	day        rules.Day
	transition rules.Transition
	root       string    // the thread root's timestamp, if it was threaded
	since      rules.Day // the date the alert opened, as the message says
}

// TestReplay replays 64 days of generated data (12 shops in the demo's
// scenarios: in trouble, trouble starting, recovering, healthy) through the
// daily evaluation, delivering after each day, and checks every post
// against the day's reports and SPEC section 4, and the whole sequence
// against a golden file. Two mutes are set; each date is evaluated twice;
// the last days have no new data.
func TestReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and imports a data set")
	}
	db := MustDemo(t, 12, 60, "")
	ctx := context.Background()
	cfg := db.Config()
	rec := newRecorder()
	explains := &explainCounter{DB: db}
	m := MustMonitor(t, explains, rec)
	end := rules.DateDay(2026, 11, 20)
	first, last := end-59, end+5 // the data ends at end: the last days go stale

	// Mutes: 7495002's NRR for the runs of 11-03 to 11-07, everything of
	// 7495009 for the runs of 10-24 to 10-26.
	type mute struct {
		shop, metric string
		from, to     rules.Day // evaluated dates whose run it covers
	}
	mutes := []mute{{"7495002", "nrr", rules.DateDay(2026, 11, 3), rules.DateDay(2026, 11, 7)}, {"7495009", store.MuteAll, rules.DateDay(2026, 10, 24), rules.DateDay(2026, 10, 26)}}
	for _, mu := range mutes {
		err := db.SetMute(ctx, store.Mute{ShopID: mu.shop, Metric: mu.metric, At: runAt(mu.from).Add(-time.Hour), Until: runAt(mu.to).Add(time.Hour), By: "U1", Channel: "C1"})
		if err != nil {
			t.Fatal(err)
		}
	}
	mutedOn := func(shop string, metric rules.Metric, d rules.Day) bool {
		for _, mu := range mutes {
			if mu.shop == shop && (mu.metric == string(metric) || mu.metric == store.MuteAll) && d >= mu.from && d <= mu.to {
				return true
			}
		}
		return false
	}

	var posts []post
	var golden []string
	for d := first; d <= last; d++ {
		rec.reset()
		sum, err := m.Evaluate(ctx, d, nil, runAt(d))
		if err != nil || sum.Failed > 0 {
			t.Fatalf("%s: %v %v", d, err, sum.Errors)
		}
		MustDrain(t, m)
		var day []string
		for _, p := range rec.posted {
			a := p.Message.Alert
			if a == nil || a.Day != d || p.Message.Key != rules.NotificationKey(p.Message.ShopID, a.Metric, a.Day, a.Transition) {
				t.Fatalf("%s: unexpected post %+v", d, p.Message)
			}
			pp := post{shop: p.Message.ShopID, metric: a.Metric, day: d, transition: a.Transition, since: a.Since}
			if p.Root != nil {
				pp.root = p.Root.TS
			}
			posts = append(posts, pp)
			day = append(day, fmt.Sprintf("%s %s %s", pp.shop, pp.metric, pp.transition))
		}
		if sum.Added != len(day) {
			t.Errorf("%s: %d messages written, %d posted", d, sum.Added, len(day))
		}
		slices.Sort(day)
		for _, l := range day {
			golden = append(golden, d.String()+" "+l)
		}

		// The same date again: the same decisions, nothing new to post.
		// (Under the race detector, which makes SQLite ten times slower,
		// every third date.)
		if raceEnabled && (d-first)%3 != 0 {
			continue
		}
		rec.reset()
		before := explains.n.Load()
		again, err := m.Evaluate(ctx, d, nil, runAt(d).Add(30*time.Minute))
		if err != nil || again.Added != 0 || again.Repeated != sum.Added+sum.Repeated {
			t.Fatalf("%s evaluated again: %+v %v (first %+v)", d, again, err, sum)
		}
		if n := explains.n.Load() - before; n != 0 {
			t.Errorf("%s evaluated again explained %d alerts that were already written", d, n)
		}
		MustDrain(t, m)
		if len(rec.posted) != 0 {
			t.Fatalf("%s evaluated again posted %v", d, rec.keys())
		}
	}

	// The posts against the reports and the rules of SPEC section 4.
	type track struct {
		announced rules.Level
		last      rules.Day // last post
		rootTS    string
		open      bool
		opened    rules.Day // the date the open episode's first post announced
	}
	tracks := map[string]*track{}
	byDay := map[string][]post{}
	for _, p := range posts {
		k := p.shop + "/" + string(p.metric) + "/" + p.day.String()
		byDay[k] = append(byDay[k], p)
	}
	policy := cfg.Alerts
	counts := map[rules.Transition]int{}
	sawBand := false         // a day back under warn but inside the margin, while an alert held
	sawLateReminder := false // a reminder held back by a mute, posted when it ended
	for _, s := range cfg.Shops() {
		staleFrom := rules.Day(0)
		var days []rules.Day
		for d := first; d <= last; d++ {
			days = append(days, d)
		}
		reports, err := db.ReportDays(ctx, s.ID, days...) // the same reports as db.Report, in one read
		if err != nil {
			t.Fatal(err)
		}
		for d := first; d <= last; d++ {
			rep := reports[d-first]
			lastData, has, err := db.LastDataDay(ctx, s.ID, d)
			if err != nil {
				t.Fatal(err)
			}
			stale := policy.Stale(rules.Observation{Day: d, LastData: lastData, HasData: has})
			if ps := byDay[s.ID+"/data/"+d.String()]; len(ps) > 0 {
				if !stale || ps[0].transition != rules.TransitionStale || staleFrom != 0 || len(ps) != 1 {
					t.Errorf("%s %s: data post %v (stale %v)", s.ID, d, ps, stale)
				}
				staleFrom = d
			} else if stale && staleFrom == 0 && !mutedOn(s.ID, rules.MetricData, d) {
				t.Errorf("%s %s: stale data not announced", s.ID, d)
			}
			for _, metric := range rules.Metrics {
				res := rep.Results[metric]
				if res.Thresholds == nil {
					continue
				}
				key := s.ID + "/" + string(metric)
				tr := tracks[key]
				if tr == nil {
					tr = &track{announced: rules.LevelOK}
					tracks[key] = tr
				}
				ps := byDay[key+"/"+d.String()]
				muted := mutedOn(s.ID, metric, d)
				where := fmt.Sprintf("%s %s %s (value %.5f %s, announced %s)", s.ID, metric, d, res.Value, res.Level, tr.announced)
				if len(ps) > 1 {
					t.Fatalf("%s: %d posts", where, len(ps))
				}
				if len(ps) == 0 {
					// Nothing posted: nothing was due.
					judged := !stale && !muted && res.Level.Severity() >= 0
					if judged && res.Level.Severity() > tr.announced.Severity() {
						t.Errorf("%s: worse than announced, not posted", where)
					}
					if judged && tr.announced.Severity() > 0 && res.Level.Severity() == 0 {
						if policy.Clear(res) {
							t.Errorf("%s: clear of the margin, not resolved", where)
						}
						sawBand = true
					}
					if judged && policy.RepeatEvery > 0 && res.Level.Severity() > 0 && tr.announced.Severity() > 0 && d-tr.last >= rules.Day(policy.RepeatEvery) {
						t.Errorf("%s: reminder due since %s, not posted", where, tr.last)
					}
					continue
				}
				p := ps[0]
				counts[p.transition]++
				if muted || (stale && staleFrom != d) || (stale && staleFrom == d) {
					t.Errorf("%s: posted %s while muted (%v) or stale (%v)", where, p.transition, muted, stale)
				}
				switch p.transition {
				case rules.TransitionWarn, rules.TransitionCritical:
					if string(res.Level) != string(p.transition) || res.Level.Severity() <= tr.announced.Severity() {
						t.Errorf("%s: posted %s", where, p.transition)
					}
				case rules.TransitionImproving:
					if tr.announced != rules.LevelCritical || res.Level == rules.LevelCritical || res.Level.Severity() < 0 || policy.Clear(res) && res.Level == rules.LevelOK ||
						!policy.ClearOfCritical(res) {
						t.Errorf("%s: posted improving (improves at %.5f)", where, policy.ImprovesAt(metric, *res.Thresholds))
					}
				case rules.TransitionResolved:
					if tr.announced.Severity() <= 0 || !policy.Clear(res) {
						t.Errorf("%s: posted resolved (clear at %.5f)", where, policy.ClearAt(metric, *res.Thresholds))
					}
				case rules.TransitionReminder:
					// Due RepeatEvery days after the last post, or at the
					// first run after a mute that held it back.
					due := tr.last + rules.Day(policy.RepeatEvery)
					if d < due || (d > due && !mutedOn(s.ID, metric, due)) || res.Level.Severity() <= 0 {
						t.Errorf("%s: posted a reminder %d days after the last post", where, d-tr.last)
					}
					if d > due {
						sawLateReminder = true
					}
				default:
					t.Errorf("%s: posted %s", where, p.transition)
				}
				// Follow-ups thread under the episode's first message.
				if tr.open != (p.root != "") || (tr.open && p.root != tr.rootTS) {
					t.Errorf("%s: %s threaded under %q, want %q (episode open %v)", where, p.transition, p.root, tr.rootTS, tr.open)
				}
				switch p.transition {
				case rules.TransitionResolved:
					tr.announced, tr.open, tr.rootTS = rules.LevelOK, false, ""
				case rules.TransitionImproving:
					tr.announced = rules.LevelWarn
				case rules.TransitionWarn, rules.TransitionCritical:
					tr.announced = res.Level
				}
				// Every post of an episode counts from its opening.
				if tr.open && p.since != tr.opened {
					t.Errorf("%s: %s says open since %s, want %s", where, p.transition, p.since, tr.opened)
				}
				if !tr.open {
					if p.transition != rules.TransitionResolved {
						tr.open, tr.opened = true, p.since
						tr.rootTS = rootTSOf(t, db, rules.NotificationKey(s.ID, metric, d, p.transition))
					}
				}
				tr.last = d
			}
		}
		if staleFrom == 0 {
			t.Errorf("%s: never went stale after the data ended", s.ID)
		}
	}
	for _, tr := range []rules.Transition{rules.TransitionWarn, rules.TransitionCritical, rules.TransitionImproving, rules.TransitionResolved, rules.TransitionReminder} {
		if counts[tr] == 0 {
			t.Errorf("the replay has no %s post: it does not exercise it", tr)
		}
	}
	if !sawLateReminder {
		t.Error("no reminder was held back by a mute")
	}
	if !sawBand {
		t.Error("no metric held inside the hysteresis margin: the replay does not exercise it")
	}

	// The mutes: nothing posted while they held, and what changed posted
	// when they ended.
	for _, want := range []string{"2026-11-08 7495002 nrr critical"} {
		if !slices.Contains(golden, want) {
			t.Errorf("no %q: the end of the mute was not announced", want)
		}
	}

	path := filepath.Join("testdata", "replay.golden")
	got := strings.Join(golden, "\n") + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("the posts differ from %s (check, then run go test -update):\n%s", path, diffLines(string(want), got))
	}
}

func rootTSOf(t *testing.T, db *store.DB, key string) string {
	t.Helper()
	m, err := db.OutboxByKey(context.Background(), key)
	if err != nil || m.TS == "" {
		t.Fatalf("root %s: %+v %v", key, m, err)
	}
	return m.TS
}

// diffLines lists the lines only in want (-) or only in got (+).
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 40 {
		out = append(out[:40], "...")
	}
	return strings.Join(out, "\n")
}

// explainCounter counts the alert explanations read.
type explainCounter struct {
	*store.DB
	n atomic.Int64
}

func (e *explainCounter) Explain(ctx context.Context, shopID string, day rules.Day, top int) (*store.Explanation, error) {
	e.n.Add(1)
	return e.DB.Explain(ctx, shopID, day, top)
}
