package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/internal/slackfake"
	"github.com/shopwatch/shopwatch/rules"
)

// Users of the Home tests, by the fixture channel they are in.
const (
	userBeauty = "U0BEAUTY01" // chanBeauty: shop 7495001
	userUS     = "U0USSHOP01" // chanUS: shops 7495002 and 7495003
	userAdmin  = "U0ADMIN001" // chanAdmin: every shop
	userNone   = "U0NOBODY01" // chanOther only: no shop
)

// homeSlack is the fake Slack with the fixture channels' members.
func homeSlack(tb testing.TB) *slackfake.Server {
	f := slackfake.New(tb)
	f.SetMembers(chanBeauty, "U0BOT00001", userBeauty)
	f.SetMembers(chanUS, "U0BOT00001", userUS)
	f.SetMembers(chanAdmin, "U0BOT00001", userAdmin)
	f.SetMembers(chanOther, "U0BOT00001", userNone, userBeauty)
	return f
}

// homeServer serves the fixture database with the fake Slack.
func homeServer(tb testing.TB, f *slackfake.Server) (*testServer, Store) {
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
func viewText(tb testing.TB, v slackfake.View) string {
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
			waitFor(t, "views.publish", func() bool { return len(f.HomeViews(tt.user)) > 0 })
			text := viewText(t, f.HomeViews(tt.user)[0])
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

// TestEventsEndpoint: POST /slack/events answers Slack's url_verification
// challenge, rejects what is not signed with the secret, and publishes no
// Home for the Messages tab nor for events it does not handle.
func TestEventsEndpoint(t *testing.T) {
	f := homeSlack(t)
	ts, _ := homeServer(t, f)
	challenge := `{"token":"deprecated","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	tests := []struct {
		name       string
		secret     string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"url_verification", testSecret, challenge, http.StatusOK, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
		{"url_verification signed with another secret", "not-the-secret", challenge, http.StatusUnauthorized, "Unauthorized\n"},
		{"an event signed with another secret", "not-the-secret", homeOpenedBody(userBeauty, "home"), http.StatusUnauthorized, "Unauthorized\n"},
		{"the Messages tab", testSecret, homeOpenedBody(userUS, "messages"), http.StatusOK, ""},
		{"an event not subscribed to", testSecret, `{"type":"event_callback","event":{"type":"reaction_added","user":"U0USSHOP01"}}`, http.StatusOK, ""},
		{"malformed JSON", testSecret, `{"type":`, http.StatusBadRequest, "Bad Request\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postEvent(t, ts, tt.secret, tt.body)
			if status != tt.wantStatus || body != tt.wantBody {
				t.Errorf("answered %d %q, want %d %q", status, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	// The worker publishes in order: a Home opened last is published after
	// anything the cases above might have queued.
	if status, _ := postEvent(t, ts, testSecret, homeOpenedBody(userAdmin, "home")); status != http.StatusOK {
		t.Fatalf("app_home_opened answered %d", status)
	}
	waitFor(t, "the admin's Home", func() bool { return len(f.HomeViews(userAdmin)) > 0 })
	for _, user := range []string{userBeauty, userUS} {
		if n := len(f.HomeViews(user)); n != 0 {
			t.Errorf("%d Home views published for %s", n, user)
		}
	}
}

// homeCallback is the block_actions payload of a press of a Home button:
// a view of type home, with neither channel nor response_url.
func homeCallback(user, action, value string) string {
	cb := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": user, "name": "someone"},
		"container":  map[string]any{"type": "view", "view_id": "V0HOME0001"},
		"view":       map[string]any{"id": "V0HOME0001", "type": "home", "callback_id": "shopwatch_home"},
		"trigger_id": "1.2.3",
		"actions":    []map[string]any{{"type": "button", "action_id": action, "block_id": "home_shop_7495001", "value": value}},
	}
	b, _ := json.Marshal(cb)
	return url.Values{"payload": {string(b)}}.Encode()
}

// TestHomeButtons presses the Home's buttons over HTTP: the answer comes
// to the user in a direct message, as of the instant the Home was drawn;
// a user who cannot see the shop is refused, whatever the button says.
func TestHomeButtons(t *testing.T) {
	drawn := fixtureNow.Add(-30 * time.Hour)
	value := func(text, shop string) string { return homeValue{Text: text, Shop: shop, At: drawn.Unix()}.encode() }
	tests := []struct {
		name   string
		user   string
		action string
		value  string
		want   string // in the direct message's blocks; "" for no message
		not    string
	}{
		{"breakdown, as of the Home", userBeauty, homeBreakdownAction, value("breakdown nrr 7495001", "7495001"), "to 2026-11-19", ""},
		{"tips", userBeauty, homeTipsAction, value("tips 7495001", "7495001"), "Tips", ""},
		{"appeal", userBeauty, homeAppealAction, value("appeal shop-visibility 7495001", "7495001"), "Appeal draft · Reduced shop visibility", ""},
		{"the admin channel sees every shop", userAdmin, homeTipsAction, value("tips 7495002", "7495002"), "Acme Home US", ""},
		{"a shop of another channel", userUS, homeBreakdownAction, value("breakdown nrr 7495001", "7495001"), "you can't see shop", "Acme Beauty TH"},
		{"a button that says another shop than its own", userUS, homeTipsAction, value("tips 7495001", "7495002"), "can't find a shop", "Acme Beauty TH"},
		{"a command no Home button carries", userBeauty, homeTipsAction, value("mute all 7d 7495001", "7495001"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := homeSlack(t)
			ts, db := homeServer(t, f)
			status, body := do(t, signedPost(t, ts.URL+"/slack/interactions", testSecret, time.Now(), homeCallback(tt.user, tt.action, tt.value)))
			if status != http.StatusOK || body != "" {
				t.Fatalf("interaction answered %d %q", status, body)
			}
			if tt.want == "" {
				ts.stop()
				if msgs := f.Posted(tt.user); len(msgs) != 0 {
					t.Errorf("direct messages %+v", msgs)
				}
				if mutes, _ := db.Mutes(context.Background(), "7495001", fixtureNow); len(mutes) != 0 {
					t.Errorf("muted from a Home button: %+v", mutes)
				}
				return
			}
			waitFor(t, "a direct message", func() bool { return len(f.Posted(tt.user)) > 0 })
			msg := f.Posted(tt.user)[0]
			if !strings.Contains(string(msg.Blocks), tt.want) {
				t.Errorf("direct message lacks %q:\n%s", tt.want, msg.Blocks)
			}
			if tt.not != "" && strings.Contains(string(msg.Blocks), tt.not) {
				t.Errorf("direct message shows %q:\n%s", tt.not, msg.Blocks)
			}
		})
	}
}

// TestRefreshHome: after an evaluation, every user who opened the Home
// gets it again, with one member list per channel for all of them; the
// refresh returns at once.
func TestRefreshHome(t *testing.T) {
	f := homeSlack(t)
	ts, db := homeServer(t, f)
	ctx := context.Background()
	for _, u := range []string{userBeauty, userUS, userNone} {
		if err := db.SaveHomeUser(ctx, u, fixtureNow); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	ts.srv.RefreshHome()
	ts.srv.RefreshHome() // a second call while one is due adds nothing
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("RefreshHome took %v", d)
	}
	for _, u := range []string{userBeauty, userUS, userNone} {
		waitFor(t, "the Home of "+u, func() bool { return len(f.HomeViews(u)) > 0 })
	}
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	if got := viewText(t, f.HomeViews(userUS)[0]); strings.Contains(got, "Acme Beauty TH") || !strings.Contains(got, "Acme Home US") {
		t.Errorf("the US user's Home:\n%s", got)
	}
	if n := f.Calls("views.publish", ""); n > 6 {
		t.Errorf("%d views.publish for 3 users and 2 refreshes", n)
	}
	for _, ch := range []string{chanAdmin, chanBeauty, chanUS} {
		if n := f.Calls("conversations.members", ch); n != 1 {
			t.Errorf("conversations.members called %d times for %s, want 1 (cached)", n, ch)
		}
	}
}

// TestHomePublishFailures: views.publish failing with a server error or a
// rate limit is tried again; a refusal (ok false) is not.
func TestHomePublishFailures(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(n int) int // status of the n-th views.publish; 0: serve it
		refuse    bool            // the token is refused instead
		wantCalls int
		published bool
	}{
		{"a 500 then success", func(n int) int { return map[bool]int{true: 500}[n == 1] }, false, 2, true},
		{"rate limited then success", func(n int) int { return map[bool]int{true: 429}[n == 1] }, false, 2, true},
		{"failing every time", func(int) int { return 503 }, false, homeAttempts, false},
		{"refused", nil, true, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := homeSlack(t)
			f.Fail = func(method, _ string, n int) (int, bool) {
				if method != "views.publish" || tt.fail == nil {
					return 0, false
				}
				return tt.fail(n), false
			}
			if tt.refuse {
				f.Refuse = map[string]string{"views.publish": "invalid_auth"}
			}
			ts, _ := homeServer(t, f)
			if status, _ := postEvent(t, ts, testSecret, homeOpenedBody(userBeauty, "home")); status != http.StatusOK {
				t.Fatalf("event answered %d", status)
			}
			waitFor(t, "the publications", func() bool { return f.Calls("views.publish", "") >= tt.wantCalls })
			if err := ts.stop(); err != nil {
				t.Fatal(err)
			}
			if calls := f.Calls("views.publish", ""); calls != tt.wantCalls {
				t.Errorf("views.publish called %d times, want %d", calls, tt.wantCalls)
			}
			if got := len(f.HomeViews(userBeauty)) > 0; got != tt.published {
				t.Errorf("published %v, want %v", got, tt.published)
			}
		})
	}
}

// TestHomeMetric: a metric whose inputs are stale or missing is shown as
// such, never as ok, even when too little data would also keep it from
// being judged.
func TestHomeMetric(t *testing.T) {
	th := &rules.Thresholds{Warn: 0.004, Critical: 0.005}
	stale := []rules.Input{{Kind: rules.KindReviews, Has: true, State: rules.Stale}}
	missing := []rules.Input{{Kind: rules.KindReviews, State: rules.NoData}}
	tests := []struct {
		name string
		r    rules.Result
		want string
	}{
		{"ok", rules.Result{Metric: rules.NRR, Valid: true, Value: 0.002, Level: rules.LevelOK, Thresholds: th}, "🟢 NRR *0.20%* ok (warn above 0.4%, critical above 0.5%)"},
		{"critical", rules.Result{Metric: rules.NRR, Valid: true, Value: 0.006, Level: rules.LevelCritical, Thresholds: th}, "🔴 NRR *0.60%* critical (warn above 0.4%, critical above 0.5%)"},
		{"chat below warn", rules.Result{Metric: rules.ChatResponseRate, Valid: true, Value: 0.88, Level: rules.LevelWarn, Thresholds: &rules.Thresholds{Warn: 0.9, Critical: 0.85}}, "🟡 chat rate *88.00%* warn (warn below 90%, critical below 85%)"},
		{"stale, computed ok", rules.Result{Metric: rules.NRR, Valid: true, Value: 0.002, Level: rules.LevelStale, Computed: rules.LevelOK, Thresholds: th, Gaps: stale}, "⏸ NRR stale, not judged (0.20% on old data)"},
		{"no data", rules.Result{Metric: rules.NRR, Level: rules.LevelNoData, Computed: rules.LevelOK, Thresholds: th, Gaps: missing}, "⏸ NRR no data"},
		{"too little data, inputs missing", rules.Result{Metric: rules.NRR, Valid: true, Level: rules.LevelInsufficient, Thresholds: th, Gaps: missing}, "⏸ NRR no data"},
		{"too little data, inputs stale", rules.Result{Metric: rules.NRR, Valid: true, Level: rules.LevelInsufficient, Thresholds: th, Gaps: stale}, "⏸ NRR stale, not judged (0.00% on old data)"},
		{"too little data", rules.Result{Metric: rules.NRR, Valid: true, Level: rules.LevelInsufficient, Thresholds: th}, "⚪ NRR 0.00%, not enough data to judge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := homeMetric(tt.r); got != tt.want {
				t.Errorf("homeMetric = %q, want %q", got, tt.want)
			}
		})
	}
}
