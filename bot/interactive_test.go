package bot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// shareCallback is a block_actions payload for the share button.
func shareCallback(channel, value, responseURL string) string {
	return buttonCallback(shareAction, channel, value, responseURL)
}

// buttonCallback is a block_actions payload for a press of a button.
func buttonCallback(action, channel, value, responseURL string) string {
	cb := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": "U0SHARER1", "name": "sharer"},
		"channel":      map[string]any{"id": channel},
		"container":    map[string]any{"type": "message", "channel_id": channel, "is_ephemeral": true},
		"response_url": responseURL,
		"trigger_id":   "1.2.3",
		"actions":      []map[string]any{{"type": "button", "action_id": action, "block_id": "shopwatch_actions", "value": value}},
	}
	b, _ := json.Marshal(cb)
	return url.Values{"payload": {string(b)}}.Encode()
}

// slackAPIStub is a slacktest server whose chat.postMessage is recorded and
// answers ok, or fails with failWith.
func slackAPIStub(tb testing.TB, failWith string) (*slacktest.Server, chan url.Values) {
	posted := make(chan url.Values, 10)
	sts := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			if r.Header.Get("Authorization") != "Bearer "+testBotToken && r.PostForm.Get("token") != testBotToken {
				io.WriteString(w, `{"ok":false,"error":"not_authed"}`)
				return
			}
			posted <- r.PostForm
			if failWith != "" {
				io.WriteString(w, `{"ok":false,"error":"`+failWith+`"}`)
				return
			}
			io.WriteString(w, `{"ok":true,"channel":"`+r.PostForm.Get("channel")+`","ts":"1763700000.000100"}`)
		})
	})
	sts.Start()
	tb.Cleanup(sts.Stop)
	return sts, posted
}

func TestShareInChannel(t *testing.T) {
	db, _ := MustFixtureDB(t)
	at := fixtureNow.Unix()
	statusValue := shareValue{Text: "status 7495001", At: at}.encode()
	tests := []struct {
		name       string
		botToken   bool
		failWith   string // chat.postMessage error
		channel    string
		value      string
		viaAPI     bool   // posted with chat.postMessage
		viaURL     string // response_type of the response_url post; "" for none
		wantInPost string
	}{
		{"with a bot token: chat.postMessage", true, "", chanBeauty, statusValue, true, "", "Shared by"},
		{"without a bot token: response_url", false, "", chanBeauty, statusValue, false, "in_channel", "Shared by @U0SHARER1"},
		{"chat.postMessage fails: response_url", true, "not_in_channel", chanBeauty, statusValue, true, "in_channel", "Shared by"},
		{"another channel's shop: refused, not shared", true, "", chanUS, statusValue, false, "ephemeral", "can't find a shop"},
		{"a command that is not shareable is not run", false, "", chanBeauty, shareValue{Text: "mute all 90d", At: at}.encode(), false, "ephemeral", "can't be shared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts, posted := slackAPIStub(t, tt.failWith)
			opts := Options{DB: db, SigningSecret: testSecret, APIURL: sts.GetAPIURL()}
			if tt.botToken {
				opts.BotToken = testBotToken
			}
			ts := MustServe(t, opts)
			rec := newRecorder(t)
			start := time.Now()
			status, body := do(t, signedPost(t, ts.URL+"/slack/interactions", testSecret, time.Now(), shareCallback(tt.channel, tt.value, rec.URL+"/actions/1")))
			if status != http.StatusOK || body != "" || time.Since(start) > time.Second {
				t.Fatalf("interaction answered %d %q after %v", status, body, time.Since(start))
			}
			if tt.viaAPI {
				select {
				case form := <-posted:
					if form.Get("channel") != tt.channel || !strings.Contains(form.Get("blocks"), "Acme Beauty TH") || !strings.Contains(form.Get("blocks"), tt.wantInPost) {
						t.Errorf("chat.postMessage got %v", form)
					}
					if strings.Contains(form.Get("blocks"), `"action_id":"share"`) {
						t.Error("the shared message still has the share button")
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("chat.postMessage was not called; logs:\n%s", ts.logs.String())
				}
			}
			if tt.viaURL != "" {
				m := rec.next(t)
				if m.ResponseType != tt.viaURL || m.ReplaceOriginal || !strings.Contains(m.Text, tt.wantInPost) {
					t.Errorf("response_url got %+v", m)
				}
			} else {
				rec.none(t, 200*time.Millisecond)
			}
			if ms, _ := db.Mutes(context.Background(), "7495001", time.Now()); len(ms) > 0 {
				t.Errorf("a share ran a mute: %+v", ms)
			}
			if !tt.viaAPI {
				select {
				case form := <-posted:
					t.Errorf("unexpected chat.postMessage: %v", form)
				default:
				}
			}
		})
	}
}

// TestAlertButtons presses an alert's buttons over HTTP: answers go to the
// user alone, as of the alert's run; a mute holds from the press and is
// posted in the channel; the channel's authorization applies.
func TestAlertButtons(t *testing.T) {
	alertRun := fixtureNow.Add(-30 * time.Hour) // an alert posted the day before
	value := func(text string) string { return shareValue{Text: text, At: alertRun.Unix()}.encode() }
	tests := []struct {
		name      string
		channel   string
		value     string
		viaAPI    string // wanted in chat.postMessage's blocks; "" for no post
		viaURL    string // wanted in the ephemeral response_url post; "" for none
		wantMuted bool
	}{
		{"mute", chanBeauty, value("mute nrr 7d 7495001"), "muted NRR alerts for *Acme Beauty TH*", "", true},
		{"breakdown, as of the alert", chanBeauty, value("breakdown nrr 7495001"), "", "to 2026-11-19", false},
		{"tips", chanBeauty, value("tips 7495001"), "", "Tips", false},
		{"mute from a channel that does not see the shop", chanUS, value("mute nrr 7d 7495001"), "", "can't find a shop", false},
		{"a command no button carries", chanBeauty, value("unmute all 7495001"), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := MustFixtureDB(t)
			sts, posted := slackAPIStub(t, "")
			ts := MustServe(t, Options{DB: db, SigningSecret: testSecret, APIURL: sts.GetAPIURL(), BotToken: testBotToken})
			rec := newRecorder(t)
			status, body := do(t, signedPost(t, ts.URL+"/slack/interactions", testSecret, time.Now(), buttonCallback(commandAction, tt.channel, tt.value, rec.URL+"/actions/1")))
			if status != http.StatusOK || body != "" {
				t.Fatalf("interaction answered %d %q", status, body)
			}
			if tt.viaAPI != "" {
				select {
				case form := <-posted:
					if form.Get("channel") != tt.channel || !strings.Contains(form.Get("blocks"), tt.viaAPI) {
						t.Errorf("chat.postMessage got %v", form)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("chat.postMessage was not called; logs:\n%s", ts.logs.String())
				}
			}
			if tt.viaURL != "" {
				m := rec.next(t)
				if m.ResponseType != "ephemeral" || m.ReplaceOriginal || !strings.Contains(m.Text, tt.viaURL) {
					t.Errorf("response_url got %+v", m)
				}
			} else {
				rec.none(t, 200*time.Millisecond)
			}
			if tt.viaAPI == "" {
				select {
				case form := <-posted:
					t.Errorf("unexpected chat.postMessage: %v", form)
				default:
				}
			}
			mutes, err := db.Mutes(context.Background(), "7495001", fixtureNow)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case !tt.wantMuted && len(mutes) > 0:
				t.Errorf("muted: %+v", mutes)
			case tt.wantMuted && (len(mutes) != 1 || mutes[0].Metric != "nrr" || !mutes[0].Until.Equal(fixtureNow.Add(7*24*time.Hour)) || mutes[0].By != "U0SHARER1"):
				t.Errorf("mutes %+v, want NRR by U0SHARER1 for 7 days from the press (%v)", mutes, fixtureNow)
			}
		})
	}
}

// downStore fails its health check.
