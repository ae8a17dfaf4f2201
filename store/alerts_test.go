package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

func TestLastDataDay(t *testing.T) {
	db := loadScenario(t)
	ctx := context.Background()
	tests := []struct {
		shop string
		day  rules.Day
		want rules.Day
		ok   bool
	}{
		{"7495002", rules.DateDay(2026, 11, 2), rules.DateDay(2026, 11, 2), true},   // c5, c6 and edge-last
		{"7495002", rules.DateDay(2026, 12, 1), rules.DateDay(2026, 11, 3), true},   // r7 and edge-at-T
		{"7495002", rules.DateDay(2026, 10, 2), rules.DateDay(2026, 10, 1), true},   // the edge orders' creation
		{"7495002", rules.DateDay(2026, 9, 30), 0, false},                           // before anything
		{"7495001", rules.DateDay(2026, 11, 20), rules.DateDay(2026, 10, 25), true}, // r9
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.shop, " ", tt.day), func(t *testing.T) {
			got, ok, err := db.LastDataDay(ctx, tt.shop, tt.day)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || ok != tt.ok {
				t.Errorf("= %s %v, want %s %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestUnanswered(t *testing.T) {
	db := loadScenario(t)
	ny, _ := time.LoadLocation("America/New_York")
	at := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			panic(err)
		}
		return t
	}
	// c5 (11-02 12:00, never answered) is due by 11-03 00:00 with the 12 h
	// target; c6 was answered, after its deadline.
	got, err := db.Unanswered(context.Background(), "7495002", at("2026-11-02 23:00"), at("2026-11-03 01:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ConversationID != "c5" || !got[0].Deadline.Equal(at("2026-11-03 00:00")) {
		t.Fatalf("unanswered = %+v", got)
	}
	if got, _ := db.Unanswered(context.Background(), "7495002", at("2026-11-03 00:01"), at("2026-11-03 02:00")); len(got) != 0 {
		t.Errorf("past the deadline window: %+v", got)
	}
}

func TestAlertStatesAndRuns(t *testing.T) {
	db := MustOpen(t, testConfig)
	ctx := context.Background()
	d := rules.DateDay(2026, 11, 20)
	now := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	state := func(m rules.Metric, day rules.Day, l rules.Level) rules.AlertState {
		return rules.AlertState{Metric: m, Day: day, Level: l, Since: day, Observed: l, Fresh: true, Announced: l, NotifiedOn: day,
			Root: "7495001/" + string(m) + "/" + day.String() + "/" + string(l), Value: 0.006, Valid: true}
	}
	msg := func(key string) OutboxMessage {
		return OutboxMessage{Key: key, ShopID: "7495001", Channel: "C1", Kind: "alert", Payload: []byte(`{"k":"` + key + `"}`)}
	}
	ev := Evaluation{ShopID: "7495001", Day: d, Run: "daily", At: now,
		States: []rules.AlertState{state(rules.MetricData, d, rules.LevelOK), state(rules.NRR, d, rules.LevelCritical)},
		Outbox: []OutboxMessage{msg("7495001/nrr/2026-11-20/critical")}}
	if n, err := db.SaveEvaluation(ctx, ev); err != nil || n != 1 {
		t.Fatalf("save: %d %v", n, err)
	}
	// Saving the same evaluation again adds nothing.
	if n, err := db.SaveEvaluation(ctx, ev); err != nil || n != 0 {
		t.Fatalf("save again: %d %v", n, err)
	}
	ev2 := ev
	ev2.Day, ev2.States, ev2.Outbox = d+1, []rules.AlertState{state(rules.MetricData, d+1, rules.LevelWarn), state(rules.NRR, d+1, rules.LevelWarn)}, nil
	if _, err := db.SaveEvaluation(ctx, ev2); err != nil {
		t.Fatal(err)
	}

	got, err := db.AlertStates(ctx, "7495001", d+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[rules.NRR] != state(rules.NRR, d, rules.LevelCritical) || got[rules.MetricData] != state(rules.MetricData, d, rules.LevelOK) {
		t.Errorf("states before %s = %+v", d+1, got)
	}
	got, _ = db.AlertStates(ctx, "7495001", d+5)
	if got[rules.NRR].Level != rules.LevelWarn || got[rules.MetricData].Day != d+1 {
		t.Errorf("states before %s = %+v", d+5, got)
	}
	if got, _ := db.AlertStates(ctx, "7495001", d); len(got) != 0 {
		t.Errorf("states before the first date = %+v", got)
	}
	if _, err := db.AlertStates(ctx, "nope", d); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown shop: %v", err)
	}

	levels, err := db.AlertLevels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []LevelCount{{rules.MetricData, rules.LevelWarn, 1}, {rules.NRR, rules.LevelWarn, 1}}
	if !slices.Equal(levels, want) {
		t.Errorf("levels = %+v, want %+v", levels, want)
	}

	for _, tt := range []struct {
		shop string
		day  rules.Day
		done bool
	}{{"7495001", d, true}, {"7495001", d + 1, true}, {"7495001", d + 2, false}, {"7495002", d, false}} {
		if done, err := db.RunDone(ctx, tt.shop, "daily", tt.day); err != nil || done != tt.done {
			t.Errorf("run %s %s: %v %v", tt.shop, tt.day, done, err)
		}
	}
	if err := db.MarkRun(ctx, AdminShopID, "digest_all", d, now); err != nil {
		t.Fatal(err)
	}
	last, err := db.LastRuns(ctx, "daily")
	if err != nil || len(last) != 1 || last["7495001"] != d+1 {
		t.Errorf("last runs = %v %v", last, err)
	}
	if last, _ := db.LastRuns(ctx, "digest_all"); last[AdminShopID] != d {
		t.Errorf("admin runs = %v", last)
	}
}
