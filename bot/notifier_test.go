package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/internal/slackfake"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// notifierConfig is the config of the notifier's tests.
const notifierConfig = `shops:
  - id: "7495001"
    name: "Acme Beauty & Co TH"
    timezone: Asia/Bangkok
    profile: sea
    channel: C0BEAUTY01
  - id: "7495002"
    name: "Acme Home US"
    timezone: America/New_York
    profile: us
    channel: C0HOMEUS01
admin_channel: C0ADMIN001
`

func mustConfig(tb testing.TB) *rules.Config {
	tb.Helper()
	cfg, err := rules.ParseConfig([]byte(notifierConfig))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

func ptr[T any](v T) *T { return &v }

// Messages of the golden tests, as the monitor writes them.
var (
	d20 = rules.DateDay(2026, 11, 20)
	nrr = rules.Result{Metric: rules.NRR, Valid: true, Value: 61.0 / 10000, Numerator: 61, Denominator: 10000, WindowDays: 30,
		Level: rules.LevelCritical, Thresholds: &rules.Thresholds{Warn: 0.004, Critical: 0.005}, Headroom: ptr(0), RecoversOn: ptr(d20 + 13)}
	nrrWeekAgo = rules.Result{Metric: rules.NRR, Valid: true, Value: 48.0 / 10000, Numerator: 48, Denominator: 10000, WindowDays: 30,
		Level: rules.LevelWarn, Thresholds: &rules.Thresholds{Warn: 0.004, Critical: 0.005}}
	criticalAlert = &monitor.Message{Kind: monitor.KindAlert, Key: "7495001/nrr/2026-11-20/critical", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Acme Beauty & Co TH", Alert: &monitor.Alert{
			Metric: rules.NRR, Day: d20, Transition: rules.TransitionCritical, From: rules.LevelWarn, To: rules.LevelCritical, Since: d20 - 3, Changed: d20,
			Figure: nrr, WeekAgo: &nrrWeekAgo, ClearAt: 0.0036, RepeatDays: 7,
			Tally: []rules.TallyEntry{{Cause: "damaged", Group: "service", Reviews: 30, Returns: 12, Weight: 1.05},
				{Cause: "not_as_described", Group: "product", Reviews: 20, Weight: 0.5}},
			Products: []store.ProductCount{{ProductID: "1729000000000000001", Name: "Vitamin C Serum <30ml>", Count: 25, Base: 400, Rate: 0.0625, Metric: rules.NRR}},
		}}
	resolvedAlert = &monitor.Message{Kind: monitor.KindAlert, Key: "7495001/nrr/2026-12-04/resolved", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Acme Beauty & Co TH", Alert: &monitor.Alert{
			Metric: rules.NRR, Day: d20 + 14, Transition: rules.TransitionResolved, From: rules.LevelCritical, To: rules.LevelOK, Since: d20,
			Root: "7495001/nrr/2026-11-20/critical", ClearAt: 0.0036, RepeatDays: 7,
			Figure: rules.Result{Metric: rules.NRR, Valid: true, Value: 0.0031, Numerator: 31, Denominator: 10000, WindowDays: 30,
				Level: rules.LevelOK, Thresholds: &rules.Thresholds{Warn: 0.004, Critical: 0.005}},
		}}
	chatReminder = &monitor.Message{Kind: monitor.KindAlert, Key: "7495002/chat_response_rate/2026-11-20/reminder", Channel: "C0HOMEUS01",
		ShopID: "7495002", ShopName: "Acme Home US", Alert: &monitor.Alert{
			Metric: rules.ChatResponseRate, Day: d20, Transition: rules.TransitionReminder, From: rules.LevelWarn, To: rules.LevelWarn, Since: d20 - 12, Changed: d20 - 7,
			Root: "7495002/chat_response_rate/2026-11-13/warn", ClearAt: 0.91, RepeatDays: 7,
			Figure: rules.Result{Metric: rules.ChatResponseRate, Valid: true, Value: 0.88, Numerator: 88, Denominator: 100, Pending: 2,
				WindowDays: 60, TargetHours: 24, Level: rules.LevelWarn, Thresholds: &rules.Thresholds{Warn: 0.90, Critical: 0.85}, Headroom: ptr(2)},
			Hours: []store.HourStat{{Hour: 22, Turns: 10, Late: 4, Replied: 9, AvgHours: 20.25}},
		}}
	staleAlert = &monitor.Message{Kind: monitor.KindAlert, Key: "7495002/data/2026-11-20/stale", Channel: "C0HOMEUS01",
		ShopID: "7495002", ShopName: "Acme Home US", Alert: &monitor.Alert{
			Metric: rules.MetricData, Day: d20, Transition: rules.TransitionStale, From: rules.LevelOK, To: rules.LevelWarn, Since: d20,
			LastData: d20 - 2, HasData: true,
		}}
	reviewsStale = &monitor.Message{Kind: monitor.KindAlert, Key: "7495001/data_reviews/2026-12-02/stale", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Acme Beauty & Co TH", Alert: &monitor.Alert{
			Metric: rules.KindMetric(rules.KindReviews), Day: d20 + 12, Transition: rules.TransitionStale, From: rules.LevelOK, To: rules.LevelWarn, Since: d20 + 12,
			LastData: d20 - 13, HasData: true,
		}}
	returnsMissing = &monitor.Message{Kind: monitor.KindAlert, Key: "7495002/data_returns/2026-11-20/stale", Channel: "C0HOMEUS01",
		ShopID: "7495002", ShopName: "Acme Home US", Alert: &monitor.Alert{
			Metric: rules.KindMetric(rules.KindReturns), Day: d20, Transition: rules.TransitionStale, From: rules.LevelOK, To: rules.LevelWarn, Since: d20,
		}}
	reviewsBack = &monitor.Message{Kind: monitor.KindAlert, Key: "7495001/data_reviews/2026-12-04/resolved", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Acme Beauty & Co TH", Alert: &monitor.Alert{
			Metric: rules.KindMetric(rules.KindReviews), Day: d20 + 14, Transition: rules.TransitionResolved, From: rules.LevelWarn, To: rules.LevelOK, Since: d20 + 14,
			LastData: d20 + 14, HasData: true, Root: "7495001/data_reviews/2026-12-02/stale",
		}}
	digestMsg = &monitor.Message{Kind: monitor.KindDigest, Key: "7495001/digest/2026-11-22/weekly", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Acme Beauty & Co TH", Digest: &monitor.Digest{
			Day: d20 + 2, First: d20 + 2 - 55, WindowDays: 30,
			Current: []rules.Result{nrr, {Metric: rules.ChatAvgResponseHours, Valid: true, Value: 3.5, Count: 80, WindowDays: 30, Level: rules.LevelNone}},
			Before:  []rules.Result{nrrWeekAgo, {Metric: rules.ChatAvgResponseHours, Valid: true, Value: 4, Count: 70, WindowDays: 30, Level: rules.LevelNone}},
			Series: []monitor.Series{{Metric: rules.NRR, Thresholds: nrr.Thresholds,
				Values: []*float64{ptr(0.003), nil, ptr(0.0045), ptr(0.0061)}, Levels: []rules.Level{rules.LevelOK, rules.LevelInsufficient, rules.LevelWarn, rules.LevelCritical}}},
			LevelDays: map[rules.Metric]map[rules.Level]int{rules.NRR: {rules.LevelCritical: 10, rules.LevelWarn: 8, rules.LevelOK: 12}},
			Inputs: []rules.Input{{Kind: rules.KindOrders, Has: true, Last: d20 + 2, State: rules.Fresh},
				{Kind: rules.KindReturns, State: rules.NoData}},
			Tally: []rules.TallyEntry{{Cause: "damaged", Group: "service", Reviews: 30, Returns: 12, Weight: 1.05},
				{Cause: "wrong_item", Group: "service", Returns: 9, Weight: 0.6},
				{Cause: "slow_response", Group: "service", Late: 12, Weight: 0.4},
				{Reason: "box smelled <odd>", Unclassified: true, Group: "seller", Returns: 2, Weight: 0.1}},
			Products: []store.ProductCount{{ProductID: "p1", Name: "Serum", Count: 25, Base: 400, Rate: 0.0625, Metric: rules.NRR},
				{ProductID: "p1", Name: "Serum", Count: 10, Base: 420, Rate: 0.0238, Metric: rules.SFRR}},
		}}
	overviewMsg = &monitor.Message{Kind: monitor.KindOverview, Key: "*/overview/2026-11-22/weekly", Channel: "C0ADMIN001",
		Overview: &monitor.Overview{Day: d20 + 2, Shops: []monitor.ShopLine{
			{ShopID: "7495001", Name: "Acme Beauty & Co TH", Worst: rules.LevelCritical, Critical: 1, Figures: []rules.Result{nrr}},
			{ShopID: "7495002", Name: "Acme Home US", Worst: rules.LevelOK, Stale: true},
		}}}
	nudgeMsg = &monitor.Message{Kind: monitor.KindNudge, Key: "7495001/chat_waiting/2026-11-21T05Z", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Acme Beauty & Co TH", Nudge: &monitor.Nudge{TargetHours: 12, Within: 3,
			Chats: []store.WaitingChat{{ConversationID: "c<1>", Since: time.Date(2026, 11, 20, 19, 30, 0, 0, time.UTC), Deadline: time.Date(2026, 11, 21, 7, 30, 0, 0, time.UTC)}}}}
	syncFailing = &monitor.Message{Kind: monitor.KindSync, Key: "7495001/sync_failing/1795249800000", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Acme Beauty & Co TH", Sync: &monitor.SyncNews{Kinds: []string{"orders", "returns"},
			Since: time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC), Error: "the TikTok authorization of seller `acme` expired: the seller must authorize again (shopwatch tiktok authorize --shop ID --code AUTH_CODE)"}}
	syncWorking = &monitor.Message{Kind: monitor.KindSync, Key: "7495001/sync_failing/1795249800000/working", Channel: "C0BEAUTY01",
		ShopID: "7495001", ShopName: "Acme Beauty & Co TH", Sync: &monitor.SyncNews{Working: true, Since: time.Date(2026, 11, 21, 11, 50, 0, 0, time.UTC)}}
)

func TestNotifierTextGolden(t *testing.T) {
	var out bytes.Buffer
	chartDir := t.TempDir()
	n, err := NewTextNotifier(TextOptions{Config: mustConfig(t), Out: &out, ChartDir: chartDir})
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := NewNotifier(NotifierOptions{Config: mustConfig(t), BotToken: testBotToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root := &monitor.Posted{Message: criticalAlert, Channel: "C0BEAUTY01", TS: "1.000001"}
	for _, o := range []monitor.Outgoing{
		{Message: criticalAlert},
		{Message: chatReminder, Root: &monitor.Posted{Message: chatReminder, Channel: "C0HOMEUS01", TS: "1.000002"}},
		{Message: resolvedAlert, Root: root},
		{Message: staleAlert},
		{Message: reviewsStale},
		{Message: returnsMissing},
		{Message: reviewsBack, Root: &monitor.Posted{Message: reviewsStale, Channel: "C0BEAUTY01", TS: "1.000004"}},
		{Message: digestMsg},
		{Message: overviewMsg},
		{Message: nudgeMsg},
		{Message: syncFailing},
		{Message: syncWorking, Root: &monitor.Posted{Message: syncFailing, Channel: "C0BEAUTY01", TS: "1.000003"}},
	} {
		if _, err := n.Deliver(ctx, o); err != nil {
			t.Fatalf("%s: %v", o.Message.Key, err)
		}
		// The Block Kit form marshals, within Slack's limits.
		if o.Message.Kind != monitor.KindDigestChart {
			r, err := blocks.Render(o)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Blocks) > maxBlocks {
				t.Errorf("%s: %d blocks", o.Message.Key, len(r.Blocks))
			}
			raw, err := json.Marshal(r.Blocks)
			if err != nil {
				t.Errorf("%s: %v", o.Message.Key, err)
			}
			// User data is escaped for mrkdwn: a bare < would start a link.
			if strings.Contains(string(raw), `Co TH`) && !strings.Contains(string(raw), `\u0026amp; Co TH`) {
				t.Errorf("%s: the shop name is not escaped: %s", o.Message.Key, raw)
			}
		}
	}
	text := out.String()
	for _, want := range []string{"Acme Beauty & Co TH", "What TikTok Shop may do", "[Breakdown] [Tips] [Mute 7 days]", "Vitamin C Serum <30ml>",
		"(the original alert is updated to: ✅ NRR resolved", "No new orders, reviews, returns or chats", "Damaged item or package: 30 orders with a negative review, 12 counted returns (seller fault)", "c<1>"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q", want)
		}
	}
	MustMatchGolden(t, "notifier.txt", strings.ReplaceAll(text, chartDir, "CHARTDIR"))
}

func TestNotifierAlertButtons(t *testing.T) {
	n, err := NewNotifier(NotifierOptions{Config: mustConfig(t), BotToken: testBotToken})
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.Render(monitor.Outgoing{Message: criticalAlert})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range r.Blocks {
		if b.BlockType() != slack.MBTAction {
			continue
		}
		raw, _ := json.Marshal(b)
		var blk struct {
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"elements"`
		}
		_ = json.Unmarshal(raw, &blk)
		for _, e := range blk.Elements {
			if e.ActionID == ackAction {
				var v ackValue
				if err := json.Unmarshal([]byte(e.Value), &v); err != nil {
					t.Errorf("button %+v", e)
				}
				got = append(got, fmt.Sprintf("acknowledge %s %s %s", v.Shop, v.Metric, v.Root))
				continue
			}
			var v shareValue
			if err := json.Unmarshal([]byte(e.Value), &v); err != nil || e.ActionID != commandAction {
				t.Errorf("button %+v", e)
			}
			got = append(got, v.Text+" @"+time.Unix(v.At, 0).UTC().Format(time.RFC3339))
		}
	}
	// Acknowledge names the episode (this alert opened it); the others
	// answer as of the alert's run: 07:00 in Bangkok on 11-21.
	want := []string{"acknowledge 7495001 nrr 7495001/nrr/2026-11-20/critical",
		"breakdown nrr 7495001 @2026-11-21T00:00:00Z", "tips 7495001 @2026-11-21T00:00:00Z", "mute nrr 7d 7495001 @2026-11-21T00:00:00Z"}
	if !slices.Equal(got, want) {
		t.Errorf("buttons %q, want %q", got, want)
	}
}

// mustOutboxDB opens a database with the notifier's config.
func mustOutboxDB(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), store.Options{DSN: path, Config: mustConfig(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func enqueueMessage(tb testing.TB, db *store.DB, m *monitor.Message, thread string) {
	tb.Helper()
	payload, _ := json.Marshal(m)
	if _, err := db.Enqueue(context.Background(), time.Now(), store.OutboxMessage{Key: m.Key, ShopID: m.ShopID, Channel: m.Channel,
		Kind: m.Kind, ThreadKey: thread, Payload: payload}); err != nil {
		tb.Fatal(err)
	}
}

func TestNotifierSlackThreads(t *testing.T) {
	fake := slackfake.New(t)
	fake.PerChannel = 0
	db := mustOutboxDB(t, storetest.DSN(t))
	n, err := NewNotifier(NotifierOptions{Config: db.Config(), BotToken: "xoxb-test", APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := monitor.NewDeliverer(monitor.DeliveryOptions{Store: db, Notifier: n, PerChannel: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	drain := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if left, err := d.Drain(ctx); left != 0 || err != nil {
			t.Fatalf("drain: %d left, %v", left, err)
		}
	}
	escalation := *criticalAlert
	escalation.Key = "7495001/nrr/2026-11-21/critical"
	first := *criticalAlert
	first.Key, first.Alert = "7495001/nrr/2026-11-19/warn", &monitor.Alert{Metric: rules.NRR, Day: d20 - 1, Transition: rules.TransitionWarn,
		From: rules.LevelOK, To: rules.LevelWarn, Since: d20 - 1, Figure: nrrWeekAgo}
	reminder := first
	reminder.Key, reminder.Alert = "7495001/nrr/2026-11-26/reminder", &monitor.Alert{Metric: rules.NRR, Day: d20 + 6, Transition: rules.TransitionReminder,
		From: rules.LevelCritical, To: rules.LevelCritical, Since: d20, Figure: nrr}
	enqueueMessage(t, db, &first, "")
	enqueueMessage(t, db, &escalation, first.Key)
	enqueueMessage(t, db, &reminder, first.Key)
	enqueueMessage(t, db, resolvedAlert, first.Key) // its Root is another key: the outbox's thread key decides
	enqueueMessage(t, db, digestMsg, "")
	chart := *digestMsg
	chart.Kind, chart.Key = monitor.KindDigestChart, digestMsg.Key+"/chart"
	enqueueMessage(t, db, &chart, digestMsg.Key)
	drain()

	msgs := fake.Posted("C0BEAUTY01")
	if len(msgs) != 5 {
		t.Fatalf("posted %d messages: %+v", len(msgs), msgs)
	}
	root := msgs[0]
	if root.Key != first.Key || root.ThreadTS != "" {
		t.Errorf("root %+v", root)
	}
	for i, want := range []struct {
		key       string
		broadcast bool
	}{{escalation.Key, true}, {reminder.Key, false}, {resolvedAlert.Key, false}} {
		m := msgs[i+1]
		if m.Key != want.key || m.ThreadTS != root.TS || m.Broadcast != want.broadcast {
			t.Errorf("message %d: %+v, want %s in the thread of %s (broadcast %v)", i+1, m, want.key, root.TS, want.broadcast)
		}
	}
	if got, _ := fake.Updated(root.TS); !strings.Contains(got.Text, "resolved") {
		t.Errorf("the root was updated to %q", got.Text)
	}
	digest := msgs[4]
	if digest.Key != digestMsg.Key {
		t.Fatalf("digest %+v", digest)
	}
	if files := fake.Files(); len(files) != 1 || files[0].ThreadTS != digest.TS || files[0].Name != "shopwatch-7495001-2026-11-22.png" || files[0].Size < 1000 {
		t.Errorf("chart %+v, want it in the thread of %s", files, digest.TS)
	}
	for _, key := range []string{first.Key, resolvedAlert.Key, chart.Key} {
		m, err := db.OutboxByKey(context.Background(), key)
		if err != nil || m.Status != store.OutboxSent || m.TS == "" {
			t.Errorf("%s: %+v %v", key, m, err)
		}
	}

	// Find recognises messages by key, in the channel and in threads.
	ctx := context.Background()
	for _, o := range []monitor.Outgoing{
		{Message: &first, Since: time.Now().Add(-time.Minute)},
		{Message: &reminder, Root: &monitor.Posted{Message: &first, Channel: "C0BEAUTY01", TS: root.TS}, Since: time.Now().Add(-time.Minute)},
		{Message: &chart, Root: &monitor.Posted{Message: digestMsg, Channel: "C0BEAUTY01", TS: digest.TS}, Since: time.Now().Add(-time.Minute)},
	} {
		if _, found, err := n.Find(ctx, o); !found || err != nil {
			t.Errorf("Find %s: %v %v", o.Message.Key, found, err)
		}
	}
	other := *criticalAlert
	other.Key = "7495001/nrr/2026-11-30/critical"
	if _, found, err := n.Find(ctx, monitor.Outgoing{Message: &other, Since: time.Now()}); found || err != nil {
		t.Errorf("Find of a message never posted: %v %v", found, err)
	}
}

func TestOverviewLineNeverFineWhileUnjudged(t *testing.T) {
	th := &rules.Thresholds{Warn: 0.004, Critical: 0.005}
	for _, tt := range []struct {
		name       string
		line       monitor.ShopLine
		want, lack string
	}{
		{"all within thresholds", monitor.ShopLine{ShopID: "1", Name: "A", Worst: rules.LevelOK}, "🟢 *A* `1`: all within thresholds", ""},
		{"NRR stale, the rest ok", monitor.ShopLine{ShopID: "1", Name: "A", Worst: rules.LevelStale,
			Figures: []rules.Result{{Metric: rules.NRR, Valid: true, Value: 0.0032, Level: rules.LevelStale, Thresholds: th}}},
			"⏸ *A* `1`: NRR stale", "within thresholds"},
		{"SFRR critical, NRR no data", monitor.ShopLine{ShopID: "1", Name: "A", Worst: rules.LevelCritical, Critical: 1,
			Figures: []rules.Result{{Metric: rules.NRR, Level: rules.LevelNoData, Thresholds: th}, {Metric: rules.SFRR, Valid: true, Value: 0.02, Level: rules.LevelCritical, Thresholds: th}}},
			"🔴 *A* `1`: NRR no data, SFRR 2.00% critical", "within thresholds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := overviewLine(tt.line)
			if !strings.Contains(got, tt.want) || (tt.lack != "" && strings.Contains(got, tt.lack)) {
				t.Errorf("got %q, want %q without %q", got, tt.want, tt.lack)
			}
		})
	}
}

func TestNewNotifierOptions(t *testing.T) {
	for _, tt := range []struct {
		name    string
		new     func() error
		wantErr bool
	}{
		{name: "slack with a token", new: func() error {
			_, err := NewNotifier(NotifierOptions{Config: mustConfig(t), BotToken: testBotToken})
			return err
		}},
		{name: "slack without a token", wantErr: true, new: func() error {
			_, err := NewNotifier(NotifierOptions{Config: mustConfig(t)})
			return err
		}},
		{name: "slack without a config", wantErr: true, new: func() error {
			_, err := NewNotifier(NotifierOptions{BotToken: testBotToken})
			return err
		}},
		{name: "text", new: func() error {
			_, err := NewTextNotifier(TextOptions{Config: mustConfig(t)})
			return err
		}},
		{name: "text without a config", wantErr: true, new: func() error {
			_, err := NewTextNotifier(TextOptions{})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.new(); (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want an error: %v", err, tt.wantErr)
			}
		})
	}
}
