package monitor

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

const ackConfig = `shops:
  - {id: "1", name: "Bangkok shop", timezone: Asia/Bangkok, channel: C1}
  - {id: "2", name: "Acknowledged shop", timezone: Asia/Bangkok, channel: C2}
  - {id: "3", name: "Warn shop", timezone: Asia/Bangkok, channel: C3}
`

// seedEpisode saves, as the evaluation of day at t, shop's NRR at level
// in an episode opened on since by the alert root, with that alert (and a
// critical one in its thread when escalated) in the outbox.
func seedEpisode(tb testing.TB, db *store.DB, shop string, day, since rules.Day, level rules.Level, root string, msgs []string, t time.Time) {
	tb.Helper()
	states := []rules.AlertState{
		{Metric: rules.MetricData, Day: day, Level: rules.LevelOK, Observed: rules.LevelOK, Announced: rules.LevelOK, Fresh: true},
		{Metric: rules.NRR, Day: day, Level: level, Observed: level, Announced: level, Since: since, Changed: since, Fresh: true, Root: root, Value: 0.0061, Valid: true},
	}
	var out []store.OutboxMessage
	for _, key := range msgs {
		_, _, d, tr, err := rules.ParseNotificationKey(key)
		if err != nil {
			tb.Fatal(err)
		}
		to := rules.LevelWarn
		if tr == rules.TransitionCritical {
			to = rules.LevelCritical
		}
		payload, _ := json.Marshal(Message{Kind: KindAlert, Key: key, Channel: "C" + shop, ShopID: shop, Alert: &Alert{Metric: rules.NRR, Day: d,
			Transition: tr, From: rules.LevelOK, To: to, Since: since, Changed: d, Figure: rules.Result{Metric: rules.NRR, Valid: true, Value: 0.0061, WindowDays: 30}}})
		thread := ""
		if key != root {
			thread = root
		}
		out = append(out, store.OutboxMessage{Key: key, ShopID: shop, Channel: "C" + shop, Kind: KindAlert, ThreadKey: thread, Payload: payload})
	}
	if _, err := db.SaveEvaluation(context.Background(), store.Evaluation{ShopID: shop, Day: day, States: states, Outbox: out, Run: RunDaily, At: t}); err != nil {
		tb.Fatal(err)
	}
}

// reminders are the acknowledgement reminders rec was sent, by key.
func reminders(rec *recorder) map[string]int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := map[string]int{}
	for _, p := range rec.posted {
		if p.Message.Kind == KindAckReminder {
			out[p.Message.Key]++
		}
	}
	return out
}

// TestAckReminderScheduled runs the scheduler on a fake clock: a critical
// alert nobody acknowledges is re-announced once, by the hourly sweep, in
// its thread, after alerts.remind_after (24 h by default) and never again,
// restart included; an acknowledged one and a warn one are not.
func TestAckReminderScheduled(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC) // 08:00 in Bangkok
	d := rules.DateDay(2026, 11, 19)
	key := func(shop string, tr rules.Transition) string { return rules.NotificationKey(shop, rules.NRR, d, tr) }
	h := &schedHarness{t: t, db: MustOpen(t, ackConfig), clock: clockwork.NewFakeClockAt(start), rec: newRecorder()}
	seedEpisode(t, h.db, "1", d, d-2, rules.LevelCritical, key("1", "warn"), []string{key("1", "warn"), key("1", "critical")}, start.Add(-time.Hour))
	seedEpisode(t, h.db, "2", d, d, rules.LevelCritical, key("2", "critical"), []string{key("2", "critical")}, start.Add(-time.Hour))
	seedEpisode(t, h.db, "3", d, d, rules.LevelWarn, key("3", "warn"), []string{key("3", "warn")}, start.Add(-time.Hour))
	if _, _, err := h.db.Acknowledge(ctx, store.Ack{ShopID: "2", Metric: rules.NRR, Root: key("2", "critical"), By: "U0MAI0001", At: start}); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.settle() // the alerts go out now; the catch-up evaluates 11-20 (no data: every level holds)
	if got := h.runs(RunDaily); !slices.Equal(got, []string{"1:2026-11-20", "2:2026-11-20", "3:2026-11-20"}) {
		t.Fatalf("daily runs %v", got)
	}

	h.advanceTo(start.Add(23*time.Hour + 30*time.Minute))
	if got := reminders(h.rec); len(got) != 0 {
		t.Fatalf("reminded before 24 h: %v", got)
	}
	// The alerts went out just after 01:00 UTC: the sweep at 01:00 the
	// next day is a moment short of 24 h, the one at 02:00 reminds.
	h.advanceTo(start.Add(24*time.Hour + 30*time.Minute))
	if got := reminders(h.rec); len(got) != 0 {
		t.Fatalf("reminded before 24 h: %v", got)
	}
	h.advanceTo(start.Add(25*time.Hour + 30*time.Minute))
	want := map[string]int{"1/nrr/2026-11-19/unacknowledged": 1}
	if got := reminders(h.rec); !mapsEqual(got, want) {
		t.Fatalf("after 24 h: reminders %v, want %v", got, want)
	}
	h.rec.mu.Lock()
	for _, p := range h.rec.posted {
		if p.Message.Kind != KindAckReminder {
			continue
		}
		a := p.Message.Alert
		if p.Root == nil || p.Root.Message.Key != key("1", "warn") || p.Message.Channel != "C1" {
			t.Errorf("the reminder is not in the episode's thread in C1: root %+v, channel %s", p.Root, p.Message.Channel)
		}
		// Counted from the episode's opening, as of the latest evaluation.
		if a == nil || a.Since != d-2 || a.Day != rules.DateDay(2026, 11, 21) || a.Root != key("1", "warn") || a.Waited != 24*time.Hour {
			t.Errorf("reminder alert %+v", a)
		}
	}
	h.rec.mu.Unlock()

	h.advanceTo(start.Add(3 * 24 * time.Hour))
	if err := h.m.Stop(); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	h.start()
	h.settle()
	if got := reminders(h.rec); !mapsEqual(got, want) {
		t.Errorf("days later, restarted: reminders %v, want %v once", got, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// mustSent writes msgs to the outbox and marks them sent at t.
func mustSent(tb testing.TB, db *store.DB, t time.Time, keys ...string) {
	tb.Helper()
	ctx := context.Background()
	for _, key := range keys {
		m, err := db.OutboxByKey(ctx, key)
		if err != nil {
			tb.Fatal(err)
		}
		c, ok, err := db.ClaimOutbox(ctx, m.ID, t, t.Add(time.Minute))
		if err != nil || !ok {
			tb.Fatalf("claim %s: %v %v", key, ok, err)
		}
		if err := db.FinishAttempt(ctx, c, store.Attempt{Status: store.OutboxSent, At: t, TS: "1.0"}); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestAckReminders drives the sweep directly: when a reminder is due, and
// that a resolve ends the acknowledgement, so that the next episode is
// reminded of again.
func TestAckReminders(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 0, 10, 0, 0, time.UTC)
	d := rules.DateDay(2026, 11, 19)
	root := rules.NotificationKey("1", rules.NRR, d, rules.TransitionCritical)
	tests := []struct {
		name   string
		extra  string        // config
		mute   bool          // NRR muted before the sweep
		at     time.Duration // the sweep, after the alert was sent
		remind bool
	}{
		{"due", "", false, 25 * time.Hour, true},
		{"not yet", "", false, 23 * time.Hour, false},
		{"remind_after set", "alerts: {remind_after: 36h}\n", false, 25 * time.Hour, false},
		{"remind_after set, due", "alerts: {remind_after: 36h}\n", false, 37 * time.Hour, true},
		{"remind_after 0: never", "alerts: {remind_after: 0}\n", false, 30 * 24 * time.Hour, false},
		{"muted", "", true, 25 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, ackConfig+tt.extra)
			m, err := New(Options{DB: db, Notifier: newRecorder(), Clock: clockwork.NewFakeClockAt(t0)})
			if err != nil {
				t.Fatal(err)
			}
			seedEpisode(t, db, "1", d, d, rules.LevelCritical, root, []string{root}, t0)
			mustSent(t, db, t0, root)
			if tt.mute {
				if err := db.SetMute(ctx, store.Mute{ShopID: "1", Metric: "nrr", At: t0, Until: t0.Add(7 * 24 * time.Hour), By: "U1"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := m.sweep(ctx, t0.Add(tt.at)); err != nil {
				t.Fatal(err)
			}
			_, err = db.OutboxByKey(ctx, "1/nrr/2026-11-19/unacknowledged")
			if got := err == nil; got != tt.remind {
				t.Errorf("reminder written %v, want %v (%v)", got, tt.remind, err)
			}
		})
	}

	t.Run("a new episode after a resolve starts unacknowledged", func(t *testing.T) {
		db := MustOpen(t, ackConfig)
		m, err := New(Options{DB: db, Notifier: newRecorder(), Clock: clockwork.NewFakeClockAt(t0)})
		if err != nil {
			t.Fatal(err)
		}
		seedEpisode(t, db, "1", d, d, rules.LevelCritical, root, []string{root}, t0)
		mustSent(t, db, t0, root)
		if _, _, err := db.Acknowledge(ctx, store.Ack{ShopID: "1", Metric: rules.NRR, Root: root, By: "U0MAI0001", At: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.sweep(ctx, t0.Add(25*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if has, _ := db.OutboxHas(ctx, []string{"1/nrr/2026-11-19/unacknowledged"}); len(has) != 0 {
			t.Fatal("an acknowledged alert was reminded of")
		}
		// Resolved on the 21st, critical again on the 23rd: a new episode.
		seedEpisode(t, db, "1", d+2, d, rules.LevelOK, "", nil, t0.Add(48*time.Hour))
		root2 := rules.NotificationKey("1", rules.NRR, d+4, rules.TransitionCritical)
		seedEpisode(t, db, "1", d+4, d+4, rules.LevelCritical, root2, []string{root2}, t0.Add(96*time.Hour))
		mustSent(t, db, t0.Add(96*time.Hour), root2)
		if _, err := db.Acknowledged(ctx, "1", rules.NRR, root); err == nil {
			t.Error("the resolve kept the acknowledgement")
		}
		if _, err := m.sweep(ctx, t0.Add(121*time.Hour)); err != nil {
			t.Fatal(err)
		}
		msg, err := db.OutboxByKey(ctx, "1/nrr/2026-11-23/unacknowledged")
		if err != nil {
			t.Fatalf("the new episode was not reminded of: %v", err)
		}
		if msg.ThreadKey != root2 || msg.Kind != KindAckReminder || !strings.Contains(string(msg.Payload), root2) {
			t.Errorf("reminder %+v", msg)
		}
	})
}
