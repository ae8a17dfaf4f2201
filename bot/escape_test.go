package bot

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
	"github.com/shopwatch/shopwatch/templates"
)

// hostile is stored text that tries every Slack mrkdwn construct: a
// broadcast, user and channel mentions, a disguised link, an entity and
// formatting that would run into the text around it. It has no comma or
// double quote, so that it fits any CSV field.
const hostile = "<!channel> <!here|x> *BOLD* _ITAL_ ~STRIKE~ `CODE` <@U0EVIL01> <#C0EVIL01> <https://evil.example|refund me> &amp; ``` > quote"

// hostileFormatting are the formatting runs of hostile that must not reach
// a mrkdwn text unchanged.
var hostileFormatting = []string{"*BOLD*", "_ITAL_", "~STRIKE~", "`CODE`"}

// TestStoredTextEscapedEverywhere walks every message the product sends to
// Slack (alerts of every transition, reminders, resolves, the data alerts,
// the weekly digest, the admin overview, the chat nudge, the sync alerts,
// and the answers of every slash command) with hostile shop names,
// product names and ids, return reasons, review texts and conversation
// ids, and checks that none of it reaches a mrkdwn text as markup: no
// mention, broadcast or link, no bare < or >, no formatting run.
func TestStoredTextEscapedEverywhere(t *testing.T) {
	t.Run("notifications", func(t *testing.T) {
		cfg, err := rules.ParseConfig([]byte(strings.NewReplacer("Acme Beauty & Co TH", "Beauty "+hostile, "Acme Home US", "Home "+hostile).Replace(notifierConfig)))
		if err != nil {
			t.Fatal(err)
		}
		n, err := NewNotifier(NotifierOptions{Config: cfg, BotToken: testBotToken})
		if err != nil {
			t.Fatal(err)
		}
		var texts strings.Builder
		for _, o := range hostileMessages() {
			r, err := n.Render(o)
			if err != nil {
				t.Fatalf("%s: %v", o.Message.Key, err)
			}
			texts.WriteString(mustHaveNoMarkupFromData(t, o.Message.Key, r))
		}
		mustShowAll(t, texts.String(), "Beauty "+hostile, "Home "+hostile, "Pets "+hostile, "Serum "+hostile, "p1"+hostile,
			strings.ReplaceAll(hostile, "_", " "), "c"+hostile, "TikTok said: "+hostile)
	})
	t.Run("slash commands", func(t *testing.T) {
		db := mustHostileDB(t)
		// A mute whose author is stored text, not a Slack user id.
		if err := db.SetMute(context.Background(), store.Mute{ShopID: "7495002", Metric: "nrr", Until: fixtureNow.Add(time.Hour),
			At: fixtureNow, By: hostile, Channel: chanUS}); err != nil {
			t.Fatal(err)
		}
		h, err := NewHandler(Options{DB: db, Clock: clockwork.NewFakeClockAt(fixtureNow)})
		if err != nil {
			t.Fatal(err)
		}
		var texts strings.Builder
		for _, c := range []struct{ channel, text string }{
			{chanBeauty, "status"}, {chanBeauty, "breakdown nrr"}, {chanBeauty, "breakdown sfrr"}, {chanBeauty, "breakdown chat"},
			{chanBeauty, "digest"}, {chanBeauty, "tips"}, {chanBeauty, "tips damaged"}, {chanBeauty, "tips shop"},
			{chanBeauty, "appeal warning"}, {chanBeauty, "appeal suspension"}, {chanBeauty, "appeal order-limit"},
			{chanBeauty, "mute nrr 2h"}, {chanBeauty, "status"}, {chanBeauty, "unmute"}, {chanBeauty, "help"}, {chanBeauty, "frobnicate"},
			{chanUS, "status"}, {chanUS, "breakdown nrr"}, {chanUS, "status nosuchshop"}, {chanUS, "mute all 1d"},
			{chanAdmin, "status"}, {chanAdmin, "digest"}, {chanAdmin, "status 7495002"}, {chanAdmin, "breakdown sfrr 7495001"},
			{chanOther, "status 7495001"},
		} {
			r := h.Answer(context.Background(), Request{Command: "/shopwatch", Text: c.text, ChannelID: c.channel, UserID: "U0TESTER1"})
			if r.Kind == KindFailure {
				t.Fatalf("%s in %s: %s", c.text, c.channel, r.Text)
			}
			texts.WriteString(mustHaveNoMarkupFromData(t, c.channel+" "+c.text, r))
		}
		// The App Home tab, as the admin channel's members see it.
		view, err := h.homeView(context.Background(), h.cfg.Shops(), true, fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		texts.WriteString(mustHaveNoMarkupFromData(t, "home", Reply{Blocks: view.Blocks.BlockSet}))
		mustShowAll(t, texts.String(), "Beauty "+hostile, "Home "+hostile, "Pets "+hostile, "Serum "+hostile, "Odd <!channel> <!here|x> *BOLD*")
	})
}

// ownDate is a <!date^…> token that the product writes itself: a Unix
// time, a format, and a fallback of date characters only.
var ownDate = regexp.MustCompile(`<!date\^\d+\^\{[a-z_]+\}(?: at \{time\})?\|[A-Za-z0-9 :]+>`)

// mustHaveNoMarkupFromData checks every mrkdwn text object of r and
// returns them.
func mustHaveNoMarkupFromData(t *testing.T, what string, r Reply) string {
	t.Helper()
	raw, err := json.Marshal(r.withShareButton())
	if err != nil {
		t.Fatal(err)
	}
	var blocks any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	seen := 0
	var all strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				seen++
				text, _ := v["text"].(string)
				all.WriteString(text + "\n")
				// The markup from outside the data: the user who asked, and
				// Slack's date formatting of the time a view was drawn.
				rest := strings.ReplaceAll(text, "<@U0TESTER1>", "")
				rest = ownDate.ReplaceAllString(rest, "")
				for _, bad := range []string{"<!", "<@", "<#", "<http", "<", ">"} {
					if strings.Contains(rest, bad) {
						t.Errorf("%s: %q from stored text reaches mrkdwn:\n%s", what, bad, text)
						return
					}
				}
				for _, f := range hostileFormatting {
					if strings.Contains(text, f) {
						t.Errorf("%s: the formatting %q from stored text reaches mrkdwn:\n%s", what, f, text)
						return
					}
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(blocks)
	if seen == 0 {
		t.Errorf("%s: no mrkdwn text at all", what)
	}
	// The fallback text is plain: it is escaped as a whole when sent.
	if strings.Contains(escapeText(r.Text), "<") {
		t.Errorf("%s: the fallback text keeps a <", what)
	}
	return all.String()
}

// mustShowAll checks that the walk met the hostile text of every kind of
// field, escaped: a test that never met it would prove nothing.
func mustShowAll(t *testing.T, texts string, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if !strings.Contains(texts, templates.Escape(f)) {
			t.Errorf("no message showed %q", f)
		}
	}
}

// hostileMessages are one message of every kind the monitor sends, with
// hostile stored text in every field that comes from data.
func hostileMessages() []monitor.Outgoing {
	causes := []rules.TallyEntry{
		{Cause: "damaged", Group: "service", Reviews: 30, Weight: 1.2},
		{Reason: hostile, Unclassified: true, Group: "seller", Returns: 12, Weight: 0.8},
		{Cause: "wrong_item", Group: "service", Returns: 9, Weight: 0.5},
	}
	products := []store.ProductCount{
		{ProductID: "p1" + hostile, Name: "Serum " + hostile, Count: 25, Base: 400, Rate: 0.0625, Metric: rules.NRR},
		{ProductID: "p1" + hostile, Name: "Serum " + hostile, Count: 10, Base: 420, Rate: 0.0238, Metric: rules.SFRR},
		{ProductID: "p2" + hostile, Name: "", Count: 3, Metric: rules.SFRR},
	}
	sfrr := rules.Result{Metric: rules.SFRR, Valid: true, Value: 0.02, Numerator: 20, Denominator: 1000, WindowDays: 30,
		Level: rules.LevelCritical, Thresholds: &rules.Thresholds{Warn: 0.012, Critical: 0.015}, Headroom: ptr(0), RecoversOn: ptr(d20 + 9)}
	alert := func(key string, metric rules.Metric, tr rules.Transition, from, to rules.Level, fig rules.Result, root string) *monitor.Message {
		return &monitor.Message{Kind: monitor.KindAlert, Key: key, Channel: "C0BEAUTY01", ShopID: "7495001", ShopName: "Beauty " + hostile,
			Alert: &monitor.Alert{Metric: metric, Day: d20, Transition: tr, From: from, To: to, Since: d20 - 3, Root: root,
				Figure: fig, WeekAgo: &nrrWeekAgo, ClearAt: 0.0036, RepeatDays: 7, Tally: causes, Products: products}}
	}
	critical := alert("7495001/nrr/2026-11-20/critical", rules.NRR, rules.TransitionCritical, rules.LevelWarn, rules.LevelCritical, nrr, "")
	sfrrAlert := alert("7495001/sfrr/2026-11-20/critical", rules.SFRR, rules.TransitionCritical, rules.LevelOK, rules.LevelCritical, sfrr, "")
	warn := alert("7495001/sfrr/2026-11-20/warn", rules.SFRR, rules.TransitionWarn, rules.LevelOK, rules.LevelWarn, sfrr, "")
	improving := alert("7495001/nrr/2026-11-20/improving", rules.NRR, rules.TransitionImproving, rules.LevelCritical, rules.LevelWarn, nrrWeekAgo, critical.Key)
	reminder := alert("7495001/sfrr/2026-11-20/reminder", rules.SFRR, rules.TransitionReminder, rules.LevelCritical, rules.LevelCritical, sfrr, sfrrAlert.Key)
	resolved := alert("7495001/nrr/2026-11-20/resolved", rules.NRR, rules.TransitionResolved, rules.LevelCritical, rules.LevelOK, resolvedAlert.Alert.Figure, critical.Key)
	chat := &monitor.Message{Kind: monitor.KindAlert, Key: "7495002/chat_response_rate/2026-11-20/warn", Channel: "C0HOMEUS01",
		ShopID: "7495002", ShopName: "Home " + hostile, Alert: &monitor.Alert{
			Metric: rules.ChatResponseRate, Day: d20, Transition: rules.TransitionWarn, From: rules.LevelOK, To: rules.LevelWarn, Since: d20,
			ClearAt: 0.91, RepeatDays: 7, Figure: chatReminder.Alert.Figure, Hours: chatReminder.Alert.Hours}}
	stale := &monitor.Message{Kind: monitor.KindAlert, Key: "7495001/data/2026-11-20/stale", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Beauty " + hostile, Alert: &monitor.Alert{Metric: rules.MetricData, Day: d20,
			Transition: rules.TransitionStale, From: rules.LevelOK, To: rules.LevelWarn, Since: d20, LastData: d20 - 2, HasData: true}}
	fresh := &monitor.Message{Kind: monitor.KindAlert, Key: "7495001/data/2026-11-22/resolved", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Beauty " + hostile, Alert: &monitor.Alert{Metric: rules.MetricData, Day: d20 + 2,
			Transition: rules.TransitionResolved, From: rules.LevelWarn, To: rules.LevelOK, Since: d20, Root: stale.Key, LastData: d20 + 2, HasData: true}}
	digest := *digestMsg
	digest.ShopName = "Beauty " + hostile
	d := *digestMsg.Digest
	d.Tally, d.Products = causes, products
	digest.Digest = &d
	overview := &monitor.Message{Kind: monitor.KindOverview, Key: "*/overview/2026-11-22/weekly", Channel: "C0ADMIN001",
		Overview: &monitor.Overview{Day: d20 + 2, Shops: []monitor.ShopLine{
			{ShopID: "7495001", Name: "Beauty " + hostile, Worst: rules.LevelCritical, Critical: 1, Figures: []rules.Result{nrr}},
			{ShopID: "7495002", Name: "Home " + hostile, Worst: rules.LevelOK, Stale: true},
			{ShopID: "7495003", Name: "Pets " + hostile, Err: "reading " + hostile},
		}}}
	nudge := *nudgeMsg
	nudge.ShopName = "Beauty " + hostile
	nd := *nudgeMsg.Nudge
	nd.Chats = []store.WaitingChat{{ConversationID: "c" + hostile, Since: time.Date(2026, 11, 20, 19, 30, 0, 0, time.UTC), Deadline: time.Date(2026, 11, 21, 7, 30, 0, 0, time.UTC)}}
	nudge.Nudge = &nd
	failing := *syncFailing
	failing.ShopName = "Beauty " + hostile
	sn := *syncFailing.Sync
	sn.Error = "TikTok said: " + hostile
	failing.Sync = &sn
	working := *syncWorking
	working.ShopName = "Beauty " + hostile

	posted := func(m *monitor.Message) *monitor.Posted {
		return &monitor.Posted{Message: m, Channel: m.Channel, TS: "1.000001"}
	}
	unacked := *critical
	unacked.Kind, unacked.Key = monitor.KindAckReminder, critical.Key+"/unacknowledged"
	unackedAlert := *critical.Alert
	unackedAlert.Waited = 25 * time.Hour
	unacked.Alert = &unackedAlert
	reviewsStale, reviewsBack := *reviewsStale, *reviewsBack
	reviewsStale.ShopName, reviewsBack.ShopName = "Beauty "+hostile, "Beauty "+hostile
	return []monitor.Outgoing{
		{Message: critical}, {Message: sfrrAlert}, {Message: warn}, {Message: chat},
		{Message: &reviewsStale}, {Message: &reviewsBack, Root: posted(&reviewsStale)},
		{Message: &unacked, Root: posted(critical)},
		{Message: improving, Root: posted(critical)}, {Message: reminder, Root: posted(sfrrAlert)},
		{Message: resolved, Root: posted(critical)},
		{Message: stale}, {Message: fresh, Root: posted(stale)},
		{Message: &digest}, {Message: overview}, {Message: &nudge},
		{Message: &failing}, {Message: &working, Root: posted(&failing)},
	}
}

// mustHostileDB is the fixture's data with hostile shop names, product
// names, return reasons and review texts.
func mustHostileDB(t *testing.T) *store.DB {
	t.Helper()
	config := strings.NewReplacer(`"Acme Beauty TH"`, `"Beauty `+hostile+`"`, `"Acme Home US"`, `"Home `+hostile+`"`, `"Acme Pets US"`, `"Pets `+hostile+`"`).Replace(fixtureConfig)
	cfg, err := rules.ParseConfig([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: storetest.DSN(t), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := fixtureCSV()
	if err != nil {
		t.Fatal(err)
	}
	data := strings.NewReplacer(
		"Vitamin C Serum 30ml", "Serum "+hostile, // a product name
		"Something odd happened", "Odd "+hostile, // an unclassified return reason
		"Received parcel", hostile+" Received parcel", // a classified one
		",meh,", ",meh "+hostile+",", // a review text
	)
	for _, kind := range []store.Kind{store.Orders, store.Reviews, store.Returns, store.Chats} {
		src := []store.Source{{Name: string(kind) + ".csv", R: strings.NewReader(data.Replace(files[kind]))}}
		if _, err := db.Import(ctx, kind, src, store.ImportOptions{}); err != nil {
			t.Fatalf("import %s: %v", kind, err)
		}
	}
	return db
}
