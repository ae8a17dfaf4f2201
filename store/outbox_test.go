package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

func TestOutboxLifecycle(t *testing.T) {
	db := MustOpen(t, testConfig)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	msgs := []OutboxMessage{
		{Key: "a", ShopID: "7495001", Channel: "C1", Kind: "alert", Payload: []byte(`{"n":1}`)},
		{Key: "b", ShopID: "7495002", Channel: "C2", Kind: "alert", ThreadKey: "a", Payload: []byte(`{"n":2}`)},
		{Key: "all", ShopID: AdminShopID, Channel: "CADMIN", Kind: "digest_all", Payload: []byte(`{}`), NextAt: t0.Add(time.Hour)},
	}
	if n, err := db.Enqueue(ctx, t0, msgs...); err != nil || n != 3 {
		t.Fatalf("enqueue: %d %v", n, err)
	}
	if n, err := db.Enqueue(ctx, t0, msgs[0]); err != nil || n != 0 {
		t.Fatalf("enqueue a duplicate: %d %v", n, err)
	}
	if _, err := db.Enqueue(ctx, t0, OutboxMessage{Key: "x"}); err == nil {
		t.Error("a message without a channel was accepted")
	}
	pending, err := db.UndeliveredOutbox(ctx, 10)
	if err != nil || len(pending) != 3 || pending[0].Key != "a" || pending[1].ThreadKey != "a" || pending[2].ShopID != AdminShopID {
		t.Fatalf("undelivered = %+v %v", pending, err)
	}
	a, b, all := pending[0], pending[1], pending[2]

	// Not due yet.
	if _, ok, err := db.ClaimOutbox(ctx, all.ID, t0, t0.Add(time.Minute)); ok || err != nil {
		t.Fatalf("claimed a message not due: %v", err)
	}
	// Claim a, send it.
	ca, ok, err := db.ClaimOutbox(ctx, a.ID, t0, t0.Add(time.Minute))
	if !ok || err != nil || ca.Attempts != 1 || ca.Status != OutboxSending || ca.Uncertain {
		t.Fatalf("claim a: %+v %v %v", ca, ok, err)
	}
	if _, ok, _ := db.ClaimOutbox(ctx, a.ID, t0, t0.Add(time.Minute)); ok {
		t.Fatal("a was claimed twice")
	}
	if err := db.FinishAttempt(ctx, ca, Attempt{Status: OutboxSent, Outcome: "sent", At: t0, TS: "1.000100", Duration: 120 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.OutboxByKey(ctx, "a"); got.Status != OutboxSent || got.TS != "1.000100" || !got.SentAt.Equal(t0) {
		t.Errorf("a after sending: %+v", got)
	}
	if _, ok, _ := db.ClaimOutbox(ctx, a.ID, t0.Add(time.Hour), t0.Add(2*time.Hour)); ok {
		t.Error("a sent message was claimed")
	}

	// b: rate limited, then its worker dies mid-attempt, then it is found.
	cb, _, _ := db.ClaimOutbox(ctx, b.ID, t0, t0.Add(time.Minute))
	if err := db.FinishAttempt(ctx, cb, Attempt{Status: OutboxPending, Outcome: "rate_limited", At: t0, NextAt: t0.Add(30 * time.Second), Err: "429"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.ClaimOutbox(ctx, b.ID, t0.Add(10*time.Second), t0.Add(time.Minute)); ok {
		t.Fatal("b was claimed before its retry time")
	}
	cb, ok, _ = db.ClaimOutbox(ctx, b.ID, t0.Add(30*time.Second), t0.Add(90*time.Second))
	if !ok || cb.Attempts != 2 || cb.Uncertain {
		t.Fatalf("second claim of b: %+v", cb)
	}
	// The worker dies: nobody can claim b until its lease ends; then it is uncertain.
	if _, ok, _ := db.ClaimOutbox(ctx, b.ID, t0.Add(60*time.Second), t0.Add(2*time.Minute)); ok {
		t.Fatal("b was claimed during its lease")
	}
	cb3, ok, _ := db.ClaimOutbox(ctx, b.ID, t0.Add(90*time.Second), t0.Add(3*time.Minute))
	if !ok || !cb3.Uncertain || cb3.Attempts != 3 {
		t.Fatalf("claim after the lease: %+v %v", cb3, ok)
	}
	// The dead worker's late outcome is refused.
	if err := db.FinishAttempt(ctx, cb, Attempt{Status: OutboxSent, At: t0, TS: "2"}); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("finish with a lost lease: %v", err)
	}
	if err := db.FinishAttempt(ctx, cb3, Attempt{Status: OutboxSent, Outcome: "found", At: t0.Add(91 * time.Second), TS: "2.000200", ThreadTS: "1.000100"}); err != nil {
		t.Fatal(err)
	}
	log, err := db.DeliveryAttempts(ctx, b.ID)
	if err != nil || len(log) != 2 || log[0].Outcome != "rate_limited" || log[1].Attempt != 3 || log[1].Outcome != "found" {
		t.Errorf("attempts of b: %+v %v", log, err)
	}

	// all: fails for good.
	call, _, _ := db.ClaimOutbox(ctx, all.ID, t0.Add(time.Hour), t0.Add(time.Hour+time.Minute))
	if err := db.FinishAttempt(ctx, call, Attempt{Status: OutboxFailed, Outcome: "rejected", At: t0, Err: "channel_not_found"}); err != nil {
		t.Fatal(err)
	}
	counts, err := db.OutboxCounts(ctx)
	if err != nil || counts[OutboxSent] != 2 || counts[OutboxFailed] != 1 || counts[OutboxPending] != 0 {
		t.Errorf("counts = %v %v", counts, err)
	}
	failed, _ := db.FailedOutbox(ctx, 10)
	if len(failed) != 1 || failed[0].LastError != "channel_not_found" {
		t.Errorf("failed = %+v", failed)
	}
	if n, err := db.RetryFailed(ctx, t0.Add(-time.Hour), t0.Add(2*time.Hour)); n != 1 || err != nil {
		t.Errorf("retry failed: %d %v", n, err)
	}
	if got, _ := db.OutboxByKey(ctx, "all"); got.Status != OutboxPending {
		t.Errorf("retried: %+v", got)
	}
	if _, err := db.OutboxByKey(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
}

func TestPrune(t *testing.T) {
	db := MustOpen(t, testConfig)
	ctx := context.Background()
	old := time.Date(2026, 9, 1, 7, 0, 0, 0, time.UTC)
	d := rules.DateDay(2026, 9, 1)
	state := func(day rules.Day, root string) rules.AlertState {
		return rules.AlertState{Metric: rules.MetricData, Day: day, Level: rules.LevelOK, Observed: rules.LevelOK, Announced: rules.LevelOK, Root: root}
	}
	// An old episode still open (its root is in the latest state), an old
	// closed one, an old message not yet sent, and a recent message.
	if _, err := db.SaveEvaluation(ctx, Evaluation{ShopID: "7495001", Day: d, At: old, States: []rules.AlertState{state(d, "")},
		Outbox: []OutboxMessage{{Key: "closed", ShopID: "7495001", Channel: "C1"}, {Key: "open-root", ShopID: "7495001", Channel: "C1"}, {Key: "stuck", ShopID: "7495001", Channel: "C1"}}}); err != nil {
		t.Fatal(err)
	}
	recent := rules.DateDay(2026, 11, 20)
	if _, err := db.SaveEvaluation(ctx, Evaluation{ShopID: "7495001", Day: recent, At: old.AddDate(0, 2, 0), States: []rules.AlertState{state(recent, "open-root")},
		Outbox: []OutboxMessage{{Key: "recent", ShopID: "7495001", Channel: "C1"}}}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"closed", "open-root", "recent"} {
		m, _ := db.OutboxByKey(ctx, key)
		c, _, _ := db.ClaimOutbox(ctx, m.ID, old.AddDate(1, 0, 0), old.AddDate(1, 0, 1))
		if err := db.FinishAttempt(ctx, c, Attempt{Status: OutboxSent, At: old, TS: "1"}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.Prune(ctx, recent-30, old.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	for key, kept := range map[string]bool{"closed": false, "open-root": true, "stuck": true, "recent": true} {
		if _, err := db.OutboxByKey(ctx, key); (err == nil) != kept {
			t.Errorf("%s kept %v, want %v", key, err == nil, kept)
		}
	}
	if got := count(t, db, "SELECT COUNT(*) FROM alert_states"); got != 1 {
		t.Errorf("%d states left, want the recent one", got)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM delivery_attempts"); got != 2 {
		t.Errorf("%d attempts left, want those of open-root and recent", got)
	}
	if n != 1+1+1 { // a state, an attempt, a message
		t.Errorf("removed %d rows", n)
	}
}
