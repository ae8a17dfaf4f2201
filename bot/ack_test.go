package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/internal/slackfake"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// ackCallback is the block_actions payload Slack posts when user presses
// the Acknowledge button of the message posted (ts, blocks) in channel.
func ackCallback(tb testing.TB, channel, user string, posted slackfake.Msg, value, responseURL string) string {
	tb.Helper()
	cb := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user, "name": "mai"},
		"channel":      map[string]any{"id": channel},
		"container":    map[string]any{"type": "message", "channel_id": channel, "message_ts": posted.TS, "is_ephemeral": false},
		"response_url": responseURL,
		"trigger_id":   "1.2.3",
		"actions":      []map[string]any{{"type": "button", "action_id": ackAction, "block_id": ackBlock, "value": value}},
	}
	if posted.Blocks != nil {
		cb["message"] = map[string]any{"type": "message", "ts": posted.TS, "text": posted.Text, "blocks": posted.Blocks}
	}
	b, err := json.Marshal(cb)
	if err != nil {
		tb.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

// updatedBlocks waits for chat.update of ts on the fake and returns the
// blocks it was given.
func updatedBlocks(tb testing.TB, f *slackfake.Server, ts string) string {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m, ok := f.Updated(ts); ok {
			return string(m.Blocks)
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("chat.update of %s was not called", ts)
	return ""
}

// TestAcknowledgeButton posts a critical alert to the fake Slack with the
// notifier, then presses its Acknowledge button over HTTP with a signed
// interaction payload: the press is stored for the episode and the
// message is updated in place, the button replaced by who acknowledged it
// and when (the shop's local time), its other blocks kept. A second press
// keeps the first acknowledgement; a channel that does not see the shop is
// refused.
func TestAcknowledgeButton(t *testing.T) {
	root := criticalAlert.Key
	earlier := fixtureNow.Add(-3 * time.Hour) // 09:00 in Bangkok
	tests := []struct {
		name     string
		channel  string
		user     string
		before   *store.Ack // an earlier acknowledgement
		botToken bool
		bare     bool   // the payload carries no message
		want     string // in the updated blocks; "" for no update
		wantBy   string // who holds the acknowledgement after; "" for none
		viaURL   string // in the ephemeral or replacing response_url post
	}{
		{"first press", chanBeauty, "U0MAI0001", nil, true, false,
			"Acknowledged by \\u003c@U0MAI0001\\u003e at 12:00 (+07), Sat 21 Nov", "U0MAI0001", ""},
		{"second press keeps the first", chanBeauty, "U0BEN0002",
			&store.Ack{ShopID: "7495001", Metric: rules.NRR, Root: root, By: "U0MAI0001", Channel: chanBeauty, At: earlier}, true, false,
			"Acknowledged by \\u003c@U0MAI0001\\u003e at 09:00 (+07), Sat 21 Nov", "U0MAI0001", ""},
		{"from a channel that does not see the shop", chanUS, "U0MAI0001", nil, true, false, "", "", "can't find a shop"},
		{"from a direct message", chanDM, "U0MAI0001", nil, true, false, "", "", "direct message"},
		{"without the message in the payload: told to the user, the alert left alone", chanBeauty, "U0MAI0001", nil, true, true,
			"", "U0MAI0001", "Acknowledged by \\u003c@U0MAI0001\\u003e at 12:00 (+07)"},
		{"without a bot token: through the response_url", chanBeauty, "U0MAI0001", nil, false, false,
			"", "U0MAI0001", "Acknowledged by \\u003c@U0MAI0001\\u003e at 12:00 (+07)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, _ := MustFixtureDB(t)
			fake := slackfake.New(t)
			n, err := NewNotifier(NotifierOptions{Config: mustConfig(t), BotToken: testBotToken, APIURL: fake.URL()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.Deliver(ctx, monitor.Outgoing{Message: criticalAlert}); err != nil {
				t.Fatal(err)
			}
			posted := fake.Posted(chanBeauty)[0]
			if !strings.Contains(string(posted.Blocks), `"action_id":"acknowledge"`) || !strings.Contains(posted.Text, "&amp;") {
				t.Fatalf("the alert has no Acknowledge button: %s", posted.Blocks)
			}
			if tt.before != nil {
				if _, _, err := db.Acknowledge(ctx, *tt.before); err != nil {
					t.Fatal(err)
				}
			}
			opts := Options{DB: db, SigningSecret: testSecret, APIURL: fake.URL()}
			if tt.botToken {
				opts.BotToken = testBotToken
			}
			ts := MustServe(t, opts)
			rec := newRecorder(t)
			value := ackButtonValue(t, posted.Blocks)
			if tt.bare {
				posted.Blocks = nil
			}
			status, body := do(t, signedPost(t, ts.URL+"/slack/interactions", testSecret, time.Now(), ackCallback(t, tt.channel, tt.user, posted, value, rec.URL+"/actions/1")))
			if status != http.StatusOK || body != "" {
				t.Fatalf("interaction answered %d %q", status, body)
			}

			if tt.want != "" {
				blocks := updatedBlocks(t, fake, posted.TS)
				if !strings.Contains(blocks, tt.want) {
					t.Errorf("updated blocks lack %q:\n%s", tt.want, blocks)
				}
				if strings.Contains(blocks, `"action_id":"acknowledge"`) {
					t.Error("the updated message still has the Acknowledge button")
				}
				for _, kept := range []string{"NRR critical", "Top causes behind NRR", `"block_id":"alert_breakdown"`, `"block_id":"alert_mute"`} {
					if !strings.Contains(blocks, kept) {
						t.Errorf("the updated message lost %q", kept)
					}
				}
			}
			if tt.viaURL != "" {
				m := rec.next(t)
				raw, _ := json.Marshal(m)
				if !strings.Contains(string(raw), tt.viaURL) || (m.ReplaceOriginal && strings.Contains(m.Text, "&amp;amp;")) {
					t.Errorf("response_url got %s, want %q", raw, tt.viaURL)
				}
				if replace := tt.wantBy != "" && !tt.bare; m.ReplaceOriginal != replace {
					t.Errorf("response_url replace_original %v, want %v", m.ReplaceOriginal, replace)
				}
			} else {
				rec.none(t, 100*time.Millisecond)
			}
			if tt.want == "" {
				if _, updated := fake.Updated(posted.TS); updated {
					t.Error("the message was updated")
				}
			}

			a, err := db.Acknowledged(ctx, "7495001", rules.NRR, root)
			switch {
			case tt.wantBy == "" && !errors.Is(err, store.ErrNotFound):
				t.Errorf("acknowledged: %+v %v, want none", a, err)
			case tt.wantBy != "" && (err != nil || a.By != tt.wantBy):
				t.Errorf("acknowledged: %+v %v, want by %s", a, err, tt.wantBy)
			}
			if ms, _ := db.Mutes(ctx, "7495001", fixtureNow); len(ms) > 0 {
				t.Errorf("acknowledging muted: %+v", ms)
			}
		})
	}
}

// ackButtonValue is the value of the Acknowledge button in blocks.
func ackButtonValue(tb testing.TB, blocks json.RawMessage) string {
	tb.Helper()
	var bs []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		tb.Fatal(err)
	}
	for _, b := range bs {
		for _, e := range b.Elements {
			if e.ActionID == ackAction {
				return e.Value
			}
		}
	}
	tb.Fatal("no Acknowledge button")
	return ""
}

// TestAckReminderDelivered posts the reminder of an unacknowledged critical
// alert to the fake Slack: in the alert's thread and broadcast to the
// channel, counting from the episode's opening, with the Acknowledge
// button for the same episode.
func TestAckReminderDelivered(t *testing.T) {
	ctx := context.Background()
	fake := slackfake.New(t)
	fake.PerChannel = 0
	n, err := NewNotifier(NotifierOptions{Config: mustConfig(t), BotToken: testBotToken, APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := n.Deliver(ctx, monitor.Outgoing{Message: criticalAlert})
	if err != nil {
		t.Fatal(err)
	}
	a := *criticalAlert.Alert
	a.Day, a.Root, a.Waited = a.Day+1, criticalAlert.Key, 25*time.Hour
	reminder := &monitor.Message{Kind: monitor.KindAckReminder, Key: "7495001/nrr/2026-11-20/unacknowledged", Channel: criticalAlert.Channel,
		ShopID: criticalAlert.ShopID, ShopName: criticalAlert.ShopName, Alert: &a}
	root := &monitor.Posted{Message: criticalAlert, Channel: criticalAlert.Channel, TS: rc.TS}
	if _, err := n.Deliver(ctx, monitor.Outgoing{Message: reminder, Root: root}); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Posted(criticalAlert.Channel)
	if len(msgs) != 2 {
		t.Fatalf("%d messages posted", len(msgs))
	}
	got := msgs[1]
	if got.ThreadTS != rc.TS || !got.Broadcast || got.Key != reminder.Key {
		t.Errorf("reminder posted in thread %q (want %q), broadcast %v, key %q", got.ThreadTS, rc.TS, got.Broadcast, got.Key)
	}
	for _, want := range []string{"NRR critical, not acknowledged", "Nobody has acknowledged this critical alert, posted 25 hours ago",
		"still at critical on Sat 21 Nov 2026 (critical since Fri 20 Nov 2026)", "open since Tue 17 Nov 2026, 4 days"} {
		if !strings.Contains(string(got.Blocks), want) {
			t.Errorf("reminder lacks %q:\n%s", want, got.Blocks)
		}
	}
	var v ackValue
	if err := json.Unmarshal([]byte(ackButtonValue(t, got.Blocks)), &v); err != nil || v.Root != criticalAlert.Key || v.Shop != "7495001" || v.Metric != rules.NRR {
		t.Errorf("the reminder's Acknowledge button names %+v, want the episode %s", v, criticalAlert.Key)
	}
}
