package monitor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func TestDueDay(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	shop := &rules.Shop{ID: "1", Location: ny}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name string
		when rules.DailySchedule
		now  time.Time
		want string
	}{
		{"before the time", rules.DailySchedule{Hour: 7}, at("2026-11-20 06:59"), "2026-11-18"},
		{"at the time", rules.DailySchedule{Hour: 7}, at("2026-11-20 07:00"), "2026-11-19"},
		{"late in the day", rules.DailySchedule{Hour: 7}, at("2026-11-20 23:59"), "2026-11-19"},
		{"fall back: the first 01:30", rules.DailySchedule{Hour: 1, Minute: 30}, time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), "2026-10-31"},
		{"fall back: the second 01:30", rules.DailySchedule{Hour: 1, Minute: 30}, time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), "2026-10-31"},
		{"fall back: before either", rules.DailySchedule{Hour: 1, Minute: 30}, time.Date(2026, 11, 1, 5, 29, 0, 0, time.UTC), "2026-10-30"},
		{"spring forward: 02:30 does not exist, due after the gap", rules.DailySchedule{Hour: 2, Minute: 30}, time.Date(2026, 3, 8, 7, 31, 0, 0, time.UTC), "2026-03-07"},
		{"spring forward: before the gap", rules.DailySchedule{Hour: 2, Minute: 30}, time.Date(2026, 3, 8, 6, 59, 0, 0, time.UTC), "2026-03-06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DueDay(shop, tt.when, tt.now).String(); got != tt.want {
				t.Errorf("DueDay at %s = %s, want %s", tt.now.In(ny), got, tt.want)
			}
		})
	}
}

func TestDueDigest(t *testing.T) {
	bkk := mustLoc(t, "Asia/Bangkok")
	shop := &rules.Shop{ID: "1", Location: bkk}
	monday9 := rules.DigestSchedule{Weekday: time.Monday, Hour: 9}
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 9, 0, 0, 0, bkk), "2026-11-22"},  // Monday 09:00: the week to Sunday
		{time.Date(2026, 11, 23, 8, 59, 0, 0, bkk), "2026-11-15"}, // not yet: the week before
		{time.Date(2026, 11, 27, 12, 0, 0, 0, bkk), "2026-11-22"}, // Friday
	} {
		day, due := DueDigest(shop, monday9, tt.now)
		if day.String() != tt.want || due.After(tt.now) || due.Weekday() != time.Monday {
			t.Errorf("DueDigest at %s = %s (due %s), want %s", tt.now, day, due, tt.want)
		}
	}
}

const schedConfig = `shops:
  - id: "1"
    name: "Bangkok shop"
    timezone: Asia/Bangkok
    channel: C1
  - id: "2"
    name: "New York shop"
    timezone: America/New_York
    channel: C2
admin_channel: CA
`

// schedHarness runs a monitor on a fake clock.
type schedHarness struct {
	t     *testing.T
	db    *store.DB
	clock *clockwork.FakeClock
	rec   *recorder
	m     *Monitor
}

func newSchedHarness(t *testing.T, config string, start time.Time) *schedHarness {
	h := &schedHarness{t: t, db: MustOpen(t, config), clock: clockwork.NewFakeClockAt(start), rec: newRecorder()}
	h.start()
	return h
}

func (h *schedHarness) start() {
	m, err := New(Options{DB: h.db, Notifier: h.rec, Clock: h.clock, Delivery: DeliveryOptions{PerChannel: time.Millisecond, Poll: time.Hour}})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.m = m
	h.t.Cleanup(func() { m.Stop() })
}

// advanceTo moves the fake clock to t in steps no longer than step, letting
// the jobs and deliveries each step starts finish.
func (h *schedHarness) advanceTo(t time.Time) {
	for h.clock.Now().Before(t) {
		step := min(t.Sub(h.clock.Now()), 10*time.Minute)
		h.clock.Advance(step)
		h.settle()
	}
}

// settle waits (in real time) until the monitor is idle: no run in
// progress and nothing left to deliver that is due.
func (h *schedHarness) settle() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if !h.m.runMu.TryLock() {
			continue
		}
		h.m.runMu.Unlock()
		msgs, err := h.db.UndeliveredOutbox(context.Background(), 10)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(msgs) == 0 {
			time.Sleep(5 * time.Millisecond)
			if h.m.runMu.TryLock() {
				h.m.runMu.Unlock()
				return
			}
			continue
		}
		h.clock.Advance(time.Millisecond) // the delivery worker's pacing
	}
	h.t.Fatalf("the monitor did not settle at %s", h.clock.Now())
}

// runs lists the done runs of a kind, "shop:date" sorted.
func (h *schedHarness) runs(kind string) []string {
	h.t.Helper()
	rows, err := h.db.LastRuns(context.Background(), kind)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for shop, d := range rows {
		out = append(out, shop+":"+d.String())
	}
	slices.Sort(out)
	return out
}

func (h *schedHarness) mustDone(kind, shop string, days ...string) {
	h.t.Helper()
	for _, s := range days {
		d, _ := rules.ParseDay(s)
		if done, err := h.db.RunDone(context.Background(), shop, kind, d); err != nil || !done {
			h.t.Errorf("%s run of %q for %s not done at %s", kind, shop, s, h.clock.Now())
		}
	}
}

func TestSchedulerLocalTimesAndCatchUp(t *testing.T) {
	// 18:00 UTC: 01:00 on Saturday 31 Oct in Bangkok, 14:00 on Friday 30
	// Oct in New York.
	h := newSchedHarness(t, schedConfig, time.Date(2026, 10, 30, 18, 0, 0, 0, time.UTC))
	h.settle()
	// Catching up on start: each shop's latest due date.
	if got := h.runs(RunDaily); !slices.Equal(got, []string{"1:2026-10-29", "2:2026-10-29"}) {
		t.Fatalf("after start: %v", got)
	}
	// The shops have no data: each gets one stale-data alert, and nothing more.
	if got := h.rec.keys(); len(got) != 2 || !strings.Contains(strings.Join(got, " "), "1/data/2026-10-29/stale") {
		t.Fatalf("posted %v", got)
	}

	// 07:00 in Bangkok (00:00 UTC): only the Bangkok shop.
	h.advanceTo(time.Date(2026, 10, 31, 0, 0, 30, 0, time.UTC))
	if got := h.runs(RunDaily); !slices.Equal(got, []string{"1:2026-10-30", "2:2026-10-29"}) {
		t.Fatalf("after 07:00 in Bangkok: %v", got)
	}
	// 07:00 in New York (11:00 UTC, still EDT).
	h.advanceTo(time.Date(2026, 10, 31, 11, 0, 30, 0, time.UTC))
	if got := h.runs(RunDaily); !slices.Equal(got, []string{"1:2026-10-30", "2:2026-10-30"}) {
		t.Fatalf("after 07:00 in New York: %v", got)
	}
	// Through the DST fall-back night in New York, to 07:00 EST (12:00 UTC).
	h.advanceTo(time.Date(2026, 11, 1, 11, 59, 0, 0, time.UTC))
	if got := h.runs(RunDaily); !slices.Equal(got, []string{"1:2026-10-31", "2:2026-10-30"}) {
		t.Fatalf("before 07:00 EST: %v", got)
	}
	h.advanceTo(time.Date(2026, 11, 1, 12, 0, 30, 0, time.UTC))
	if got := h.runs(RunDaily); !slices.Equal(got, []string{"1:2026-10-31", "2:2026-10-31"}) {
		t.Fatalf("after 07:00 EST: %v", got)
	}
	// The hourly sweep ran every hour.
	for hour := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC); hour.Before(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)); hour = hour.Add(time.Hour) {
		if done, _ := h.db.RunDone(context.Background(), store.AdminShopID, RunSweep, sweepSlot(hour)); !done {
			t.Errorf("no sweep at %s", hour)
		}
	}

	// Monday 2 November, 09:00 in Bangkok (02:00 UTC): its digest of the
	// week to Sunday; New York's at 09:00 EST (14:00 UTC), then the
	// overview for the admin channel.
	h.advanceTo(time.Date(2026, 11, 2, 2, 0, 30, 0, time.UTC))
	if got := h.runs(RunDigest); !slices.Equal(got, []string{"1:2026-11-01"}) {
		t.Fatalf("digests after 09:00 in Bangkok: %v", got)
	}
	if got := h.runs(RunOverview); len(got) != 0 {
		t.Fatalf("overview before every shop's digest: %v", got)
	}
	h.advanceTo(time.Date(2026, 11, 2, 14, 0, 30, 0, time.UTC))
	if got := h.runs(RunDigest); !slices.Equal(got, []string{"1:2026-11-01", "2:2026-11-01"}) {
		t.Fatalf("digests after 09:00 in New York: %v", got)
	}
	if got := h.runs(RunOverview); !slices.Equal(got, []string{":2026-11-01"}) {
		t.Fatalf("overview: %v", got)
	}
	keys := h.rec.keys()
	for _, want := range []string{"1/digest/2026-11-01/weekly", "1/digest/2026-11-01/weekly/chart", "2/digest/2026-11-01/weekly", OverviewKey(rules.DateDay(2026, 11, 1))} {
		if !slices.Contains(keys, want) {
			t.Errorf("%s not posted: %v", want, keys)
		}
	}

	// Down from Monday 14:00 UTC to Thursday 20:00 UTC: on restart, every
	// missed date is evaluated, in order.
	if err := h.m.Stop(); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(3*24*time.Hour + 6*time.Hour)
	h.start()
	h.settle()
	h.mustDone(RunDaily, "1", "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04")
	h.mustDone(RunDaily, "2", "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04")
	if got := h.runs(RunDaily); !slices.Equal(got, []string{"1:2026-11-04", "2:2026-11-04"}) {
		t.Fatalf("after the restart: %v", got)
	}
	// The stale alerts were posted once in all this time.
	n := 0
	for _, k := range h.rec.keys() {
		if strings.Contains(k, "/data/") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d stale-data posts: %v", n, h.rec.keys())
	}
	if err := h.m.Health(context.Background()); err != nil {
		t.Errorf("health: %v", err)
	}
	h.m.Stop()
	if err := h.m.Health(context.Background()); err == nil {
		t.Error("health after Stop: nil")
	}
}

func TestSchedulerDSTFallBackRunsOnce(t *testing.T) {
	// The evaluation at 01:30 in New York, where 01:30 happens twice on
	// Sunday 1 November 2026. Sweeps would catch up on their own: they are
	// the same tick, so count daily evaluations.
	config := "shops:\n  - id: \"2\"\n    timezone: America/New_York\n    channel: C2\nevaluation: {time: \"01:30\"}\n"
	h := newSchedHarness(t, config, time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC)) // 00:00 EDT
	h.settle()
	before := h.m.metrics.Counters().Evaluations
	h.advanceTo(time.Date(2026, 11, 1, 5, 35, 0, 0, time.UTC)) // 01:35 EDT
	if got := h.runs(RunDaily); !slices.Equal(got, []string{"2:2026-10-31"}) {
		t.Fatalf("after the first 01:30: %v", got)
	}
	h.advanceTo(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)) // 03:00 EST, past the second 01:30
	if got := h.m.metrics.Counters().Evaluations - before; got != 1 {
		t.Errorf("2026-10-31 evaluated %d times", got)
	}
	for _, k := range h.rec.keys() {
		if strings.Count(fmt.Sprint(h.rec.keys()), k) != 1 {
			t.Errorf("%s posted twice", k)
		}
	}
}
