package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// criticalState is metric m of a shop after day, at level (announced),
// in the episode root.
func criticalState(m rules.Metric, day rules.Day, level rules.Level, root string) rules.AlertState {
	return rules.AlertState{Metric: m, Day: day, Level: level, Observed: level, Announced: level, Since: day, Changed: day, Fresh: true, Root: root}
}

// mustSend enqueues msgs at t and marks them sent.
func mustSend(tb testing.TB, db *DB, t time.Time, msgs ...OutboxMessage) {
	tb.Helper()
	ctx := context.Background()
	if _, err := db.Enqueue(ctx, t, msgs...); err != nil {
		tb.Fatal(err)
	}
	for _, m := range msgs {
		got, err := db.OutboxByKey(ctx, m.Key)
		if err != nil {
			tb.Fatal(err)
		}
		c, ok, err := db.ClaimOutbox(ctx, got.ID, t, t.Add(time.Minute))
		if err != nil || !ok {
			tb.Fatalf("claim %s: %v %v", m.Key, ok, err)
		}
		if err := db.FinishAttempt(ctx, c, Attempt{Status: OutboxSent, At: t, TS: "1700000000.0001"}); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestAcknowledge(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testConfig)
	d := rules.DateDay(2026, 11, 20)
	root := rules.NotificationKey("7495001", rules.NRR, d, rules.TransitionCritical)
	at := time.Date(2026, 11, 21, 3, 42, 0, 0, time.UTC)
	save := func(root string) {
		t.Helper()
		if _, err := db.SaveEvaluation(ctx, Evaluation{ShopID: "7495001", Day: d, At: at,
			States: []rules.AlertState{criticalState(rules.NRR, d, rules.LevelCritical, root)}}); err != nil {
			t.Fatal(err)
		}
	}
	save(root)

	if _, err := db.Acknowledged(ctx, "7495001", rules.NRR, root); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before any press: %v, want ErrNotFound", err)
	}
	got, first, err := db.Acknowledge(ctx, Ack{ShopID: "7495001", Metric: rules.NRR, Root: root, By: "U0MAI0001", Channel: "C1", At: at})
	if err != nil || !first || got.By != "U0MAI0001" || !got.At.Equal(at) {
		t.Fatalf("first press: %+v %v %v", got, first, err)
	}
	got, first, err = db.Acknowledge(ctx, Ack{ShopID: "7495001", Metric: rules.NRR, Root: root, By: "U0BEN0002", Channel: "C1", At: at.Add(time.Hour)})
	if err != nil || first || got.By != "U0MAI0001" || !got.At.Equal(at) {
		t.Errorf("second press: %+v first %v %v, want the first acknowledgement kept", got, first, err)
	}
	for _, tt := range []struct {
		name string
		ack  Ack
	}{
		{"unknown metric", Ack{ShopID: "7495001", Metric: "nps", Root: root, By: "U1", At: at}},
		{"unknown shop", Ack{ShopID: "999", Metric: rules.NRR, Root: root, By: "U1", At: at}},
		{"no episode", Ack{ShopID: "7495001", Metric: rules.NRR, By: "U1", At: at}},
		{"no user", Ack{ShopID: "7495001", Metric: rules.NRR, Root: root, At: at}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := db.Acknowledge(ctx, tt.ack); err == nil {
				t.Error("accepted")
			}
		})
	}

	t.Run("an evaluation in the same episode keeps it", func(t *testing.T) {
		save(root)
		if _, err := db.Acknowledged(ctx, "7495001", rules.NRR, root); err != nil {
			t.Error(err)
		}
	})
	t.Run("resolving clears it", func(t *testing.T) {
		save("")
		if _, err := db.Acknowledged(ctx, "7495001", rules.NRR, root); !errors.Is(err, ErrNotFound) {
			t.Errorf("after the resolve: %v, want ErrNotFound", err)
		}
	})
}

func TestUnacknowledgedCritical(t *testing.T) {
	ctx := context.Background()
	d := rules.DateDay(2026, 11, 20)
	t0 := time.Date(2026, 11, 21, 0, 5, 0, 0, time.UTC)
	key := func(m rules.Metric, day rules.Day, tr rules.Transition) string {
		return rules.NotificationKey("7495001", m, day, tr)
	}
	alert := func(k, thread string) OutboxMessage {
		return OutboxMessage{Key: k, ShopID: "7495001", Channel: "C1", Kind: "alert", ThreadKey: thread, Payload: []byte(`{}`)}
	}
	tests := []struct {
		name    string
		states  []rules.AlertState
		sent    []OutboxMessage
		pending []OutboxMessage
		ack     string // the root acknowledged
		want    []string
	}{
		{"critical, not acknowledged",
			[]rules.AlertState{criticalState(rules.NRR, d, rules.LevelCritical, key(rules.NRR, d, "critical"))},
			[]OutboxMessage{alert(key(rules.NRR, d, "critical"), "")}, nil, "",
			[]string{key(rules.NRR, d, "critical")}},
		{"acknowledged",
			[]rules.AlertState{criticalState(rules.NRR, d, rules.LevelCritical, key(rules.NRR, d, "critical"))},
			[]OutboxMessage{alert(key(rules.NRR, d, "critical"), "")}, nil, key(rules.NRR, d, "critical"),
			nil},
		{"warn",
			[]rules.AlertState{criticalState(rules.SFRR, d, rules.LevelWarn, key(rules.SFRR, d, "warn"))},
			[]OutboxMessage{alert(key(rules.SFRR, d, "warn"), "")}, nil, "",
			nil},
		{"escalated from warn: the critical alert in the thread",
			[]rules.AlertState{criticalState(rules.SFRR, d+1, rules.LevelCritical, key(rules.SFRR, d, "warn"))},
			[]OutboxMessage{alert(key(rules.SFRR, d, "warn"), ""), alert(key(rules.SFRR, d+1, "critical"), key(rules.SFRR, d, "warn"))}, nil, "",
			[]string{key(rules.SFRR, d+1, "critical")}},
		{"critical alert not sent yet",
			[]rules.AlertState{criticalState(rules.NRR, d, rules.LevelCritical, key(rules.NRR, d, "critical"))},
			nil, []OutboxMessage{alert(key(rules.NRR, d, "critical"), "")}, "",
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			states := append([]rules.AlertState{{Metric: rules.MetricData, Day: tt.states[0].Day, Level: rules.LevelOK, Observed: rules.LevelOK, Announced: rules.LevelOK, Fresh: true}}, tt.states...)
			if _, err := db.SaveEvaluation(ctx, Evaluation{ShopID: "7495001", Day: tt.states[0].Day, At: t0, States: states, Outbox: tt.pending}); err != nil {
				t.Fatal(err)
			}
			mustSend(t, db, t0, tt.sent...)
			if tt.ack != "" {
				if _, _, err := db.Acknowledge(ctx, Ack{ShopID: "7495001", Metric: tt.states[0].Metric, Root: tt.ack, By: "U1", At: t0}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := db.UnacknowledgedCritical(ctx, "7495001")
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, c := range got {
				keys = append(keys, c.Message.Key)
				if !c.Message.SentAt.Equal(t0) || c.State.Root != tt.states[0].Root {
					t.Errorf("%s: sent at %v, state %+v", c.Message.Key, c.Message.SentAt, c.State)
				}
			}
			if len(keys) != len(tt.want) || (len(keys) > 0 && keys[0] != tt.want[0]) {
				t.Errorf("got %v, want %v", keys, tt.want)
			}
		})
	}
}

// TestPruneKeepsOpenEpisodes: the messages threaded under an open
// episode's first message stay (the reminder of an unacknowledged critical
// alert looks for them), those of a closed one go.
func TestPruneKeepsOpenEpisodes(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testConfig)
	old := time.Date(2026, 9, 1, 7, 0, 0, 0, time.UTC)
	d := rules.DateDay(2026, 11, 20)
	if _, err := db.SaveEvaluation(ctx, Evaluation{ShopID: "7495001", Day: d, At: old,
		States: []rules.AlertState{criticalState(rules.NRR, d, rules.LevelCritical, "open")}}); err != nil {
		t.Fatal(err)
	}
	mustSend(t, db, old,
		OutboxMessage{Key: "open", ShopID: "7495001", Channel: "C1", Kind: "alert"},
		OutboxMessage{Key: "open-reminder", ShopID: "7495001", Channel: "C1", Kind: "ack_reminder", ThreadKey: "open"},
		OutboxMessage{Key: "closed-reply", ShopID: "7495001", Channel: "C1", Kind: "alert", ThreadKey: "closed"})
	if _, _, err := db.Acknowledge(ctx, Ack{ShopID: "7495001", Metric: rules.SFRR, Root: "closed", By: "U1", At: old}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(ctx, d-30, old.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	for key, kept := range map[string]bool{"open": true, "open-reminder": true, "closed-reply": false} {
		if _, err := db.OutboxByKey(ctx, key); (err == nil) != kept {
			t.Errorf("%s kept %v, want %v", key, err == nil, kept)
		}
	}
	if _, err := db.Acknowledged(ctx, "7495001", rules.SFRR, "closed"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the acknowledgement of a closed episode: %v, want it pruned", err)
	}
}
