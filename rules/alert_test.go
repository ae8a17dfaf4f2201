package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// day is one evaluated date of an alert scenario.
type day struct {
	nrr   float64 // NRR value; negative: insufficient data
	stale bool    // no new records for StaleDays
	muted bool    // nrr (and data) muted at the run
	want  string  // notifications, "metric:transition" joined by spaces
}

var nrrThresholds = Thresholds{Warn: 0.004, Critical: 0.005}

// nrrResult is an NRR result of value v (negative: insufficient data).
func nrrResult(v float64) Result {
	th := nrrThresholds
	r := Result{Metric: NRR, Valid: true, Value: v, Numerator: int(v * 10000), Denominator: 10000, WindowDays: 30, Thresholds: &th}
	volume := r.Denominator
	if v < 0 {
		r.Value, r.Numerator, volume, r.Denominator = 0, 0, 12, 12
	}
	r.Level = LevelOf(NRR, r.Value, r.Valid, volume, 30, &th)
	return r
}

// runScenario steps policy p through days from 2026-11-01 and returns the
// notifications of each day, and every notification.
func runScenario(t *testing.T, p AlertPolicy, days []day) ([]string, []Notification) {
	t.Helper()
	first := DateDay(2026, 11, 1)
	prev := map[Metric]AlertState{}
	var got []string
	var all []Notification
	for i, d := range days {
		o := Observation{ShopID: "7495001", Day: first + Day(i), HasData: true, LastData: first + Day(i),
			Report: Report{Results: map[Metric]Result{NRR: nrrResult(d.nrr), ChatAvgResponseHours: {Metric: ChatAvgResponseHours, Level: LevelNone}}}}
		if d.stale {
			o.LastData = o.Day - 5
		}
		if d.muted {
			o.Muted = func(Metric) bool { return true }
		}
		states, notes := p.Step(prev, o)
		var words []string
		for _, n := range notes {
			if n.Day != o.Day || n.ShopID != "7495001" {
				t.Fatalf("day %d: notification %+v is not about the observation", i, n)
			}
			words = append(words, string(n.Metric)+":"+string(n.Transition))
		}
		got = append(got, strings.Join(words, " "))
		all = append(all, notes...)
		prev = map[Metric]AlertState{}
		for _, s := range states {
			if s.Day != o.Day {
				t.Fatalf("day %d: state %+v not for the day", i, s)
			}
			if _, dup := prev[s.Metric]; dup {
				t.Fatalf("day %d: two states for %s", i, s.Metric)
			}
			prev[s.Metric] = s
		}
		if _, ok := prev[ChatAvgResponseHours]; ok {
			t.Fatalf("day %d: informational metric has an alert state", i)
		}
	}
	return got, all
}

func TestAlertPolicyStep(t *testing.T) {
	const (
		ok   = 0.0030
		band = 0.0038 // under warn 0.4%, not clear of it by 10% (0.36%)
		warn = 0.0045
		crit = 0.0060
		low  = -1.0 // insufficient data
	)
	rep := func(n int, d day) []day { return slices.Repeat([]day{d}, n) }
	cat := func(parts ...[]day) []day { return slices.Concat(parts...) }
	one := func(v float64, want string) []day { return []day{{nrr: v, want: want}} }
	tests := []struct {
		name   string
		policy AlertPolicy
		days   []day
	}{
		{"steady ok posts nothing", DefaultAlertPolicy(), rep(10, day{nrr: ok})},
		{"crossing warn alerts once, then quiet until the weekly reminder", DefaultAlertPolicy(), cat(
			one(ok, ""), one(warn, "nrr:warn"), rep(6, day{nrr: warn}), one(warn, "nrr:reminder"), rep(6, day{nrr: warn}), one(warn, "nrr:reminder"))},
		{"warn to critical alerts, critical to warn is improving", DefaultAlertPolicy(), cat(
			one(warn, "nrr:warn"), one(crit, "nrr:critical"), one(crit, ""), one(warn, "nrr:improving"), one(warn, ""))},
		{"ok straight to critical", DefaultAlertPolicy(), cat(one(ok, ""), one(crit, "nrr:critical"))},
		{"resolves only past the hysteresis margin", DefaultAlertPolicy(), cat(
			one(warn, "nrr:warn"), one(band, ""), one(band, ""), one(0.0036, "nrr:resolved"), one(band, ""), one(warn, "nrr:warn"))},
		{"critical into the margin is improving, not resolved", DefaultAlertPolicy(), cat(
			one(crit, "nrr:critical"), one(band, "nrr:improving"), one(ok, "nrr:resolved"))},
		{"critical straight past the margin resolves", DefaultAlertPolicy(), cat(one(crit, "nrr:critical"), one(ok, "nrr:resolved"))},
		{"no reminder while inside the margin", DefaultAlertPolicy(), cat(
			one(warn, "nrr:warn"), rep(7, day{nrr: band}), one(warn, "nrr:reminder"))},
		{"insufficient data neither raises nor resolves", DefaultAlertPolicy(), cat(
			one(low, ""), one(warn, "nrr:warn"), rep(3, day{nrr: low}), one(band, ""), one(ok, "nrr:resolved"), one(low, ""))},
		{"no reminder on insufficient data", DefaultAlertPolicy(), cat(
			one(warn, "nrr:warn"), rep(8, day{nrr: low}), one(warn, "nrr:reminder"))},
		{"repeat_every 0 never reminds", AlertPolicy{Hysteresis: 0.1, StaleDays: 2}, cat(one(crit, "nrr:critical"), rep(30, day{nrr: crit}))},
		{"repeat_every 3", AlertPolicy{Hysteresis: 0.1, RepeatEvery: 3, StaleDays: 2}, cat(
			one(crit, "nrr:critical"), rep(2, day{nrr: crit}), one(crit, "nrr:reminder"), one(warn, "nrr:improving"), rep(2, day{nrr: warn}), one(warn, "nrr:reminder"))},
		{"hysteresis 0 resolves as soon as the level is ok", AlertPolicy{RepeatEvery: 7, StaleDays: 2}, cat(
			one(warn, "nrr:warn"), one(0.004, "nrr:resolved"))},
		{"muted: evaluated, not posted, and what changed is posted when the mute ends", DefaultAlertPolicy(), cat(
			[]day{{nrr: warn, muted: true}, {nrr: crit, muted: true}, {nrr: crit, muted: true}},
			one(crit, "nrr:critical"), one(crit, ""))},
		{"muted for a whole episode posts nothing", DefaultAlertPolicy(), cat(
			one(ok, ""), []day{{nrr: crit, muted: true}, {nrr: warn, muted: true}, {nrr: ok, muted: true}}, one(ok, ""))},
		{"resolved during a mute is posted when it ends", DefaultAlertPolicy(), cat(
			one(warn, "nrr:warn"), []day{{nrr: ok, muted: true}, {nrr: ok, muted: true}}, one(ok, "nrr:resolved"))},
		{"muted reminders are skipped, and due when the mute ends", DefaultAlertPolicy(), cat(
			one(warn, "nrr:warn"), rep(8, day{nrr: warn, muted: true}), one(warn, "nrr:reminder"))},
		{"stale data is alerted once and holds other alerts", DefaultAlertPolicy(), cat(
			one(warn, "nrr:warn"), []day{{nrr: ok, stale: true, want: "data:stale"}}, rep(9, day{nrr: ok, stale: true}),
			one(band, "data:resolved"), one(ok, "nrr:resolved"))},
		{"stale data does not raise either", DefaultAlertPolicy(), cat(
			one(ok, ""), []day{{nrr: crit, stale: true, want: "data:stale"}, {nrr: crit, want: "data:resolved nrr:critical"}})},
		{"stale muted: announced when the mute ends if still stale", DefaultAlertPolicy(), cat(
			[]day{{nrr: ok, stale: true, muted: true}, {nrr: ok, stale: true, want: "data:stale"}, {nrr: ok, want: "data:resolved"}})},
		{"stale_days 0 never goes stale", AlertPolicy{Hysteresis: 0.1, RepeatEvery: 7}, cat(
			one(warn, "nrr:warn"), []day{{nrr: ok, stale: true, want: "nrr:resolved"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := runScenario(t, tt.policy, tt.days)
			for i, d := range tt.days {
				if got[i] != d.want {
					t.Errorf("day %d (nrr %v, stale %v, muted %v): got %q, want %q\nall: %q", i, d.nrr, d.stale, d.muted, got[i], d.want, got)
					break
				}
			}
		})
	}
}

func TestAlertEpisodeRoots(t *testing.T) {
	_, notes := runScenario(t, DefaultAlertPolicy(), []day{
		{nrr: 0.0045}, {nrr: 0.006}, {nrr: 0.0045}, {nrr: 0.003}, {nrr: 0.003}, {nrr: 0.006}, {nrr: 0.003},
	})
	var got []string
	for _, n := range notes {
		got = append(got, fmt.Sprintf("%s %s->%s root=%q", n.Key(), n.From, n.To, n.Root))
	}
	want := []string{
		`7495001/nrr/2026-11-01/warn ok->warn root=""`,
		`7495001/nrr/2026-11-02/critical warn->critical root="7495001/nrr/2026-11-01/warn"`,
		`7495001/nrr/2026-11-03/improving critical->warn root="7495001/nrr/2026-11-01/warn"`,
		`7495001/nrr/2026-11-04/resolved warn->ok root="7495001/nrr/2026-11-01/warn"`,
		`7495001/nrr/2026-11-06/critical ok->critical root=""`,
		`7495001/nrr/2026-11-07/resolved critical->ok root="7495001/nrr/2026-11-06/critical"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if notes[1].Since != DateDay(2026, 11, 1) || notes[1].Changed != DateDay(2026, 11, 2) || notes[1].Result.Value != 0.006 {
		t.Errorf("critical notification: since %s, changed %s, value %v", notes[1].Since, notes[1].Changed, notes[1].Result.Value)
	}
}

func TestAlertStepIsDeterministic(t *testing.T) {
	// Evaluating a date again from the same previous state gives the same
	// states and notifications: the keys dedupe a second run.
	p := DefaultAlertPolicy()
	prev := map[Metric]AlertState{NRR: {Metric: NRR, Day: DateDay(2026, 11, 1), Level: LevelOK, Announced: LevelOK, Observed: LevelOK}}
	o := Observation{ShopID: "1", Day: DateDay(2026, 11, 2), HasData: true, LastData: DateDay(2026, 11, 2),
		Report: Report{Results: map[Metric]Result{NRR: nrrResult(0.006)}}}
	s1, n1 := p.Step(prev, o)
	s2, n2 := p.Step(prev, o)
	if fmt.Sprint(s1) != fmt.Sprint(s2) || fmt.Sprint(n1) != fmt.Sprint(n2) || len(n1) != 1 {
		t.Fatalf("not deterministic:\n%v\n%v", n1, n2)
	}
	if prev[NRR].Level != LevelOK {
		t.Error("Step modified prev")
	}
}

func TestAlertChatHysteresis(t *testing.T) {
	p := DefaultAlertPolicy()
	th := Thresholds{Warn: 0.95, Critical: 0.90}
	if got := p.ClearAt(ChatResponseRate, th); got < 0.95499 || got > 0.95501 {
		t.Errorf("chat clear at %v, want 0.955 (10%% of the 5%% late share)", got)
	}
	res := func(v float64) Result {
		return Result{Metric: ChatResponseRate, Valid: true, Value: v, Thresholds: &th, Level: LevelOf(ChatResponseRate, v, true, 100, 10, &th)}
	}
	prev := map[Metric]AlertState{}
	var got []string
	for i, v := range []float64{0.93, 0.952, 0.955, 0.89} {
		o := Observation{ShopID: "1", Day: DateDay(2026, 11, 1) + Day(i), HasData: true, LastData: DateDay(2026, 11, 1) + Day(i),
			Report: Report{Results: map[Metric]Result{ChatResponseRate: res(v)}}}
		states, notes := p.Step(prev, o)
		for _, s := range states {
			prev[s.Metric] = s
		}
		for _, n := range notes {
			got = append(got, fmt.Sprintf("%v:%s", v, n.Transition))
		}
	}
	want := []string{"0.93:warn", "0.955:resolved", "0.89:critical"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAlertStale(t *testing.T) {
	p := DefaultAlertPolicy()
	d := DateDay(2026, 11, 20)
	for _, tt := range []struct {
		name     string
		last     Day
		has      bool
		stale    bool
		staleDay int
	}{
		{"records today", d, true, false, 2},
		{"records yesterday", d - 1, true, false, 2},
		{"none for two days", d - 2, true, true, 2},
		{"no records at all", 0, false, true, 2},
		{"three-day policy, two days", d - 2, true, false, 3},
		{"disabled", d - 30, true, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p.StaleDays = tt.staleDay
			if got := p.Stale(Observation{Day: d, LastData: tt.last, HasData: tt.has}); got != tt.stale {
				t.Errorf("stale = %v, want %v", got, tt.stale)
			}
		})
	}
}

func TestNotificationKey(t *testing.T) {
	k := NotificationKey("7495001", NRRProduct, DateDay(2026, 11, 20), TransitionResolved)
	if k != "7495001/nrr_product/2026-11-20/resolved" {
		t.Fatalf("key %q", k)
	}
	shop, m, d, tr, err := ParseNotificationKey("a/b/" + k)
	if err != nil || shop != "a/b/7495001" || m != NRRProduct || d != DateDay(2026, 11, 20) || tr != TransitionResolved {
		t.Errorf("parse: %q %q %s %q %v", shop, m, d, tr, err)
	}
	for _, bad := range []string{"", "x", "a/b/c", "a/nrr/2026-13-01/warn"} {
		if _, _, _, _, err := ParseNotificationKey(bad); err == nil {
			t.Errorf("ParseNotificationKey(%q) accepted", bad)
		}
	}
}

func TestAlertPolicyValidate(t *testing.T) {
	if err := DefaultAlertPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []AlertPolicy{{Hysteresis: -0.1}, {Hysteresis: 1}, {RepeatEvery: -1}, {StaleDays: -2}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func TestAlertDurationsCountFromOpening(t *testing.T) {
	const (
		ok   = 0.0030
		band = 0.0038
		warn = 0.0042
		crit = 0.0060
		low  = -1.0
	)
	on := func(d int) Day { return DateDay(2026, 11, 1) + Day(d) }
	// note is "day transition since changed" of one notification, with
	// days counted from 2026-11-01 (day 0).
	type note struct {
		day, since, changed int
		transition          Transition
	}
	tests := []struct {
		name   string
		policy AlertPolicy
		values []float64
		want   []note
	}{
		{"warn, critical, improving, resolved: every message counts from the first opening",
			AlertPolicy{Hysteresis: 0.1, RepeatEvery: 0, StaleDays: 2},
			[]float64{ok, warn, warn, crit, crit, warn, band, ok},
			[]note{{1, 1, 1, TransitionWarn}, {3, 1, 3, TransitionCritical}, {5, 1, 5, TransitionImproving}, {7, 1, 7, TransitionResolved}}},
		{"reminders after worsening and improving still count from the opening",
			AlertPolicy{Hysteresis: 0.1, RepeatEvery: 3, StaleDays: 2},
			[]float64{warn, warn, crit, crit, crit, warn, warn, warn, warn, ok},
			[]note{{0, 0, 0, TransitionWarn}, {2, 0, 2, TransitionCritical}, {5, 0, 5, TransitionImproving},
				{8, 0, 5, TransitionReminder}, {9, 0, 9, TransitionResolved}}},
		{"insufficient data inside an episode does not restart it",
			AlertPolicy{Hysteresis: 0.1, RepeatEvery: 0, StaleDays: 2},
			[]float64{ok, crit, low, low, warn, ok},
			[]note{{1, 1, 1, TransitionCritical}, {4, 1, 4, TransitionImproving}, {5, 1, 5, TransitionResolved}}},
		{"a new episode after a resolve opens again",
			AlertPolicy{Hysteresis: 0.1, RepeatEvery: 0, StaleDays: 2},
			[]float64{warn, ok, ok, crit, ok},
			[]note{{0, 0, 0, TransitionWarn}, {1, 0, 1, TransitionResolved}, {3, 3, 3, TransitionCritical}, {4, 3, 4, TransitionResolved}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			days := make([]day, len(tt.values))
			for i, v := range tt.values {
				days[i] = day{nrr: v}
			}
			_, notes := runScenario(t, tt.policy, days)
			var got, want []string
			for _, n := range notes {
				got = append(got, fmt.Sprintf("%s %s since %s changed %s", n.Day, n.Transition, n.Since, n.Changed))
			}
			for _, n := range tt.want {
				want = append(want, fmt.Sprintf("%s %s since %s changed %s", on(n.day), n.transition, on(n.since), on(n.changed)))
			}
			if !slices.Equal(got, want) {
				t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestAlertCriticalHysteresis(t *testing.T) {
	// Values hovering around the critical threshold post once per real
	// change: critical → warn only past the margin (0.5% less 10%: 0.45%;
	// for the chat rate at 90%: 91%).
	chatTh := Thresholds{Warn: 0.95, Critical: 0.90}
	chat := func(v float64) Result {
		return Result{Metric: ChatResponseRate, Valid: true, Value: v, Thresholds: &chatTh, Level: LevelOf(ChatResponseRate, v, true, 100, 10, &chatTh)}
	}
	tests := []struct {
		name   string
		metric Metric
		result func(float64) Result
		values []float64
		want   []string
	}{
		{"nrr oscillating around critical stays critical", NRR, nrrResult,
			[]float64{0.0051, 0.0049, 0.0052, 0.0048, 0.0046, 0.0051},
			[]string{"0.0051:critical"}},
		{"nrr improves past the critical margin, then worsens again", NRR, nrrResult,
			[]float64{0.0051, 0.0049, 0.0045, 0.0049, 0.0051, 0.0047, 0.0044, 0.0030},
			[]string{"0.0051:critical", "0.0045:improving", "0.0051:critical", "0.0044:improving", "0.003:resolved"}},
		{"chat rate oscillating around critical stays critical", ChatResponseRate, chat,
			[]float64{0.89, 0.905, 0.895, 0.909, 0.91, 0.899},
			[]string{"0.89:critical", "0.91:improving", "0.899:critical"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultAlertPolicy()
			prev := map[Metric]AlertState{}
			var got []string
			for i, v := range tt.values {
				d := DateDay(2026, 11, 1) + Day(i)
				o := Observation{ShopID: "1", Day: d, HasData: true, LastData: d,
					Report: Report{Results: map[Metric]Result{tt.metric: tt.result(v)}}}
				states, notes := p.Step(prev, o)
				for _, s := range states {
					prev[s.Metric] = s
				}
				for _, n := range notes {
					got = append(got, fmt.Sprintf("%v:%s", v, n.Transition))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
