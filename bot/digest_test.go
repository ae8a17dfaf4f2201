package bot

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
)

// TestDigestAnswerIsTheWeeklyDigest: /shopwatch digest SHOP shows the same
// blocks as the weekly digest the monitor queues for the shop and the same
// date, rendered from the outbox as the notifier posts it.
func TestDigestAnswerIsTheWeeklyDigest(t *testing.T) {
	db, _ := MustFixtureDB(t)
	cfg := db.Config()
	m, err := monitor.New(monitor.Options{DB: db, Clock: clockwork.NewFakeClockAt(fixtureNow)})
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNotifier(NotifierOptions{Config: cfg, BotToken: "xoxb-test"})
	if err != nil {
		t.Fatal(err)
	}
	h := MustHandler(t, db)
	tests := []struct {
		name, channel, text, shop string
	}{
		{"shop channel, its shop", chanBeauty, "digest", "7495001"},
		{"admin channel, shop by name", chanAdmin, "digest acme home us", "7495002"},
		{"admin channel, shop by id", chanAdmin, "digest 7495003", "7495003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := cfg.Shop(tt.shop)
			if !ok {
				t.Fatalf("no shop %s", tt.shop)
			}
			day := shopDay(s, fixtureNow)
			if _, err := m.Digest(context.Background(), s.ID, day, fixtureNow); err != nil {
				t.Fatal(err)
			}
			queued, err := db.LatestOutboxOfKind(context.Background(), monitor.KindDigest)
			if err != nil {
				t.Fatal(err)
			}
			var posted Reply
			for _, q := range queued {
				if q.ShopID != s.ID {
					continue
				}
				msg, err := monitor.DecodeMessage(q.Payload)
				if err != nil {
					t.Fatal(err)
				}
				if posted, err = n.Render(monitor.Outgoing{Message: msg}); err != nil {
					t.Fatal(err)
				}
			}
			if posted.Blocks == nil {
				t.Fatalf("no digest of %s in the outbox", s.ID)
			}
			answer := h.Answer(context.Background(), Request{Text: tt.text, ChannelID: tt.channel, Command: "/shopwatch", At: fixtureNow})
			MustCheckReply(t, answer)
			want, _ := json.MarshalIndent(posted.Blocks, "", "  ")
			got, _ := json.MarshalIndent(answer.Blocks, "", "  ")
			if string(got) != string(want) {
				t.Errorf("the answer's blocks differ from the weekly digest's:\nanswer %s\nposted %s", got, want)
			}
			if answer.Text != posted.Text {
				t.Errorf("the answer's text differs from the weekly digest's:\nanswer %s\nposted %s", answer.Text, posted.Text)
			}
		})
	}
}

func TestLevelMove(t *testing.T) {
	res := func(l rules.Level) rules.Result { return rules.Result{Metric: rules.NRR, Level: l} }
	tests := []struct {
		name     string
		cur, was rules.Level
		want     string
	}{
		{"worsened", rules.LevelCritical, rules.LevelWarn, "• NRR worsened from warn to critical"},
		{"improved", rules.LevelOK, rules.LevelCritical, "• NRR improved from critical to ok"},
		{"unchanged", rules.LevelWarn, rules.LevelWarn, ""},
		{"not judged now", rules.LevelInsufficient, rules.LevelOK, ""},
		{"not judged then", rules.LevelWarn, rules.LevelNoData, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := levelMove(res(tt.cur), res(tt.was)); got != tt.want {
				t.Errorf("levelMove = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDigestAllAnswerIsTheOverview: /shopwatch digest in the admin channel
// shows the same blocks as the overview the monitor queues for the admin
// channel for the same date.
func TestDigestAllAnswerIsTheOverview(t *testing.T) {
	db, _ := MustFixtureDB(t)
	cfg := db.Config()
	m, err := monitor.New(monitor.Options{DB: db, Clock: clockwork.NewFakeClockAt(fixtureNow)})
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNotifier(NotifierOptions{Config: cfg, BotToken: "xoxb-test"})
	if err != nil {
		t.Fatal(err)
	}
	day := shopDay(cfg.Shops()[0], fixtureNow)
	if _, err := m.Overview(context.Background(), day, fixtureNow); err != nil {
		t.Fatal(err)
	}
	queued, err := db.LatestOutboxOfKind(context.Background(), monitor.KindOverview)
	if err != nil || len(queued) != 1 {
		t.Fatalf("overviews queued: %d, %v", len(queued), err)
	}
	msg, err := monitor.DecodeMessage(queued[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	posted, err := n.Render(monitor.Outgoing{Message: msg})
	if err != nil {
		t.Fatal(err)
	}
	answer := MustHandler(t, db).Answer(context.Background(), Request{Text: "digest", ChannelID: chanAdmin, Command: "/shopwatch", At: fixtureNow})
	MustCheckReply(t, answer)
	want, _ := json.MarshalIndent(posted.Blocks, "", "  ")
	got, _ := json.MarshalIndent(answer.Blocks, "", "  ")
	if string(got) != string(want) {
		t.Errorf("the answer's blocks differ from the overview's:\nanswer %s\nposted %s", got, want)
	}
}
