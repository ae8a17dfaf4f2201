package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Users of the Home tests, by the fixture channel they are in.
const (
	userBeauty = "U0BEAUTY01" // chanBeauty: shop 7495001
	userUS     = "U0USSHOP01" // chanUS: shops 7495002 and 7495003
	userAdmin  = "U0ADMIN001" // chanAdmin: every shop
	userNone   = "U0NOBODY01" // chanOther only: no shop
)

// homeSlack is the fake Slack with the fixture channels' members.
func homeSlack(tb testing.TB) *fakeSlack {
	f := newFakeSlack(tb)
	f.setMembers(chanBeauty, "U0BOT00001", userBeauty)
	f.setMembers(chanUS, "U0BOT00001", userUS)
	f.setMembers(chanAdmin, "U0BOT00001", userAdmin)
	f.setMembers(chanOther, "U0BOT00001", userNone, userBeauty)
	return f
}

// homeServer serves the fixture database with the fake Slack.
func homeServer(tb testing.TB, f *fakeSlack) (*testServer, Store) {
	db, _ := MustFixtureDB(tb)
	ts := MustServe(tb, Options{DB: db, SigningSecret: testSecret, BotToken: testBotToken, APIURL: f.URL(), homeRetry: 10 * time.Millisecond})
	return ts, db
}

// homeOpenedBody is the Events API body Slack posts when user opens the
// app's tab.
func homeOpenedBody(user, tab string) string {
	b, _ := json.Marshal(map[string]any{
		"token": "deprecated", "team_id": "T0TEAM001", "api_app_id": "A0TEST", "type": "event_callback",
		"event_id": "Ev0TEST", "event_time": 1763700000,
		"event": map[string]any{"type": "app_home_opened", "user": user, "channel": "D0DIRECT01", "tab": tab, "event_ts": "1763700000.000100"},
	})
	return string(b)
}

// postEvent posts a signed Events API body.
func postEvent(tb testing.TB, ts *testServer, secret, body string) (int, string) {
	tb.Helper()
	req := signedPost(tb, ts.URL+"/slack/events", secret, time.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	return do(tb, req)
}

// waitFor polls cond until it holds or 10s have passed: the Home is
// published by a background worker.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// viewText is the text a Home view shows: every text and button label, a
// line each, with the buttons' values.
func viewText(tb testing.TB, v fakeView) string {
	tb.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Text     *struct{ Text string }
		Elements []struct {
			Type     string `json:"type"`
			Text     any    `json:"text"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		}
	}
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		tb.Fatal(err)
	}
	var lines []string
	for _, b := range blocks {
		switch {
		case b.Type == "divider":
			lines = append(lines, "---")
		case b.Text != nil:
			lines = append(lines, b.Text.Text)
		}
		for _, e := range b.Elements {
			switch t := e.Text.(type) {
			case string:
				lines = append(lines, t)
			case map[string]any:
				lines = append(lines, "["+t["text"].(string)+"] "+e.ActionID+" "+e.Value)
			}
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestHomeOpenedOverHTTP: an app_home_opened event over HTTP (signed)
// publishes that user's Home, which lists the shops of their channels
// only, worst first; the admin channel sees every shop; a user of no
// shop's channel is told so.
func TestHomeOpenedOverHTTP(t *testing.T) {
	allShops := []string{"Acme Beauty TH", "Acme Home US", "Acme Pets US"} // config order
	tests := []struct {
		name   string
		user   string
		want   []string // shop names, in order
		golden string
		note   string
	}{
		{"a shop channel's member sees its shop only", userBeauty, []string{"Acme Beauty TH"}, "home-beauty.txt", ""},
		// Pets US has no reviews, returns nor chats: no data comes before ok.
		{"the admin channel sees every shop, worst first", userAdmin, []string{"Acme Beauty TH", "Acme Pets US", "Acme Home US"}, "home-admin.txt", ""},
		{"a member of a channel of two shops sees both, worst first", userUS, []string{"Acme Pets US", "Acme Home US"}, "home-us.txt", ""},
		{"a user of no shop's channel is told so", userNone, nil, "home-none.txt", "You're not in any shop's channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := homeSlack(t)
			ts, db := homeServer(t, f)
			status, body := postEvent(t, ts, testSecret, homeOpenedBody(tt.user, "home"))
			if status != http.StatusOK || body != "" {
				t.Fatalf("event answered %d %q", status, body)
			}
			waitFor(t, "views.publish", func() bool { return len(f.homeViews(tt.user)) > 0 })
			text := viewText(t, f.homeViews(tt.user)[0])
			var shown []string
			for _, line := range strings.Split(text, "\n") {
				for _, name := range allShops {
					if strings.Contains(line, "*"+name+"*") {
						shown = append(shown, name)
					}
				}
			}
			if !slices.Equal(shown, tt.want) {
				t.Errorf("shops shown %q, want %q", shown, tt.want)
			}
			if tt.note != "" && !strings.Contains(text, tt.note) {
				t.Errorf("the Home lacks %q:\n%s", tt.note, text)
			}
			MustMatchGolden(t, tt.golden, text)
			users, err := db.HomeUsers(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(users, []string{tt.user}) {
				t.Errorf("stored Home users %v, want %v", users, []string{tt.user})
			}
		})
	}
}
