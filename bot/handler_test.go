package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// MustCheckReply checks what every reply must be: never blank, within
// Slack's block limits, and free of internals.
func MustCheckReply(tb testing.TB, r Reply) {
	tb.Helper()
	if strings.TrimSpace(r.Text) == "" || len(r.Blocks) == 0 {
		tb.Fatalf("blank reply: %+v", r)
	}
	if len(r.withShareButton()) > maxBlocks {
		tb.Errorf("%d blocks, over Slack's %d", len(r.withShareButton()), maxBlocks)
	}
	for _, b := range r.Blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil && utf8.RuneCountInString(b.Text.Text) > maxSectionText {
				tb.Errorf("section of %d characters", utf8.RuneCountInString(b.Text.Text))
			}
		case *slack.HeaderBlock:
			if utf8.RuneCountInString(b.Text.Text) > maxHeaderText {
				tb.Errorf("header of %d characters", utf8.RuneCountInString(b.Text.Text))
			}
		}
	}
	for _, leak := range []string{"goroutine", "panic", ".go:", "sql", "SQLITE", "store:", "<nil>", "%!"} {
		if strings.Contains(r.Text, leak) {
			tb.Errorf("reply leaks %q:\n%s", leak, r.Text)
		}
	}
	if _, err := json.Marshal(r.message()); err != nil {
		tb.Errorf("reply does not marshal: %v", err)
	}
}

// golden renders a reply for a golden file: its text, then its Slack
// message.
func golden(r Reply) string {
	msg, _ := json.MarshalIndent(r.message(), "", "  ")
	return r.Text + "\n\n---- Slack message ----\n" + string(msg) + "\n"
}

func TestAnswersGolden(t *testing.T) {
	db, _ := MustFixtureDB(t)
	h := MustHandler(t, db)
	tests := []struct {
		name, channel, text string
		kind                Kind
		share               string // the share button's command, "" for none
		want                []string
	}{
		{"help", chanBeauty, "help", KindAnswer, "", []string{"status [shop]", "appeal <kind> [shop] [product]"}},
		{"empty", chanBeauty, "", KindAnswer, "", []string{"breakdown nrr|sfrr|chat"}},
		{"unknown", chanBeauty, "frobnicate now", KindUsage, "", []string{"I don't know the command frobnicate", "status [shop]"}},
		{"status", chanBeauty, "status", KindAnswer, "status 7495001", []string{"Acme Beauty TH", "status on Fri 20 Nov 2026", "a week ago", "Within critical (0.5%) allows at most 6 orders with a negative review among today's 1,200 delivered orders; there are 27, 21 too many.", "Back within warn"}},
		{"status us", chanUS, "status 7495002", KindAnswer, "status 7495002", []string{"Acme Home US", "60-day window", "NRR passes warn (1%) after 15 more orders with a negative review."}},
		{"status small shop", chanUS, "status pets", KindAnswer, "status 7495003", []string{"Not enough data to judge", "30 needed"}},
		{"status channel shops", chanUS, "status", KindAnswer, "status", []string{"Status · 2 shops", "Acme Home US", "Acme Pets US 7495003: not enough data to judge"}},
		{"status all", chanAdmin, "status", KindAnswer, "status", []string{"Status · 3 shops", "🔴 Acme Beauty TH 7495001: NRR 2.25% critical", "Worst first"}},
		{"status shop name of several words", chanAdmin, "status Acme Home US", KindAnswer, "status 7495002", []string{"Acme Home US · status on"}},
		{"status several shops match", chanAdmin, "status acme", KindUsage, "", []string{"Which shop? 3 shops match"}},
		{"breakdown nrr", chanBeauty, "breakdown nrr", KindAnswer, "breakdown nrr 7495001", []string{"Top products", "Vitamin C Serum 30ml", "own rate", "Top causes", "Damaged item or package (damaged, service)"}},
		{"breakdown sfrr 14 days", chanAdmin, "breakdown sfrr 7495001 14", KindAnswer, "breakdown sfrr 7495001 14", []string{"14 days, 2026-11-07 to 2026-11-20", "Top return reasons (the SFRR counts seller- and logistics-fault returns)", "unclassified, counted as seller fault"}},
		{"breakdown chat", chanBeauty, "breakdown chat", KindAnswer, "breakdown chat 7495001", []string{"Slowest hours", "Chats still waiting for a reply at the end of Fri 20 Nov 2026", "c1-69-7"}},
		{"tips shop", chanBeauty, "tips", KindAnswer, "tips 7495001", []string{"Tips for the top causes", "Damaged item or package"}},
		{"tips cause", chanUS, "tips damaged", KindAnswer, "tips damaged", []string{"Use proper packaging"}},
		{"tips topic", chanBeauty, "tips monitoring", KindAnswer, "tips monitoring", []string{"Monitor your feedback regularly", "Data Compass > Post Purchase"}},
		{"tips guide", chanUS, "tips", KindAnswer, "tips", []string{"Optimise your listings", "Pack and ship carefully", "Provide great service", "Monitor your feedback regularly"}},
		{"tips unknown", chanBeauty, "tips glitter", KindUsage, "", []string{"I have no tips for glitter"}},
		{"appeal warning", chanBeauty, "appeal warning", KindAnswer, "appeal warning 7495001", []string{"1. Reason for appeal", "2. Proof and documentation", "3. Rectifications made", "4. Prevention plan", "[CONFIRM: product name and ID from the notice]", "This is a draft to review", "Vitamin C Serum 30ml", "1,800 characters"}},
		{"appeal order limit", chanBeauty, "appeal order limit", KindAnswer, "appeal order-limit 7495001", []string{"order volume limit on"}},
		{"appeal suspension", chanUS, "appeal suspension 7495002", KindAnswer, "appeal suspension 7495002", []string{"suspension of our shop", "292 of our 299 buyer chats (97.66%) got a reply within 24 h"}},
		{"appeal unknown kind", chanBeauty, "appeal jail", KindUsage, "", []string{"I have no appeal for jail", "order-limit"}},
		{"digest shop", chanBeauty, "digest", KindAnswer, "digest 7495001", []string{"weekly digest", "a week ago", "Top causes"}},
		{"digest shop name of several words", chanAdmin, "digest acme home us", KindAnswer, "digest 7495002", []string{"Acme Home US · weekly digest"}},
		{"tips shop name of several words", chanAdmin, "tips Acme Home US", KindAnswer, "tips 7495002", []string{"Acme Home US · tips"}},
		{"digest all", chanAdmin, "digest", KindAnswer, "digest", []string{"across 3 shops", "Acme Beauty TH"}},
		{"digest channel shops", chanUS, "digest", KindAnswer, "digest", []string{"across 2 shops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.Answer(context.Background(), Request{Text: tt.text, ChannelID: tt.channel, UserID: "U0TESTER1"})
			MustCheckReply(t, r)
			if r.Kind != tt.kind {
				t.Errorf("kind = %v, want %v:\n%s", r.Kind, tt.kind, r.Text)
			}
			if r.InChannel {
				t.Error("answer is not ephemeral")
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Text, w) {
					t.Errorf("answer lacks %q:\n%s", w, r.Text)
				}
			}
			var v shareValue
			if r.Share != "" {
				if err := json.Unmarshal([]byte(r.Share), &v); err != nil || v.At != fixtureNow.Unix() {
					t.Errorf("share value %q: %v", r.Share, err)
				}
			}
			if v.Text != tt.share {
				t.Errorf("share command = %q, want %q", v.Text, tt.share)
			}
			MustMatchGolden(t, "answer-"+strings.ReplaceAll(tt.name, " ", "-")+".txt", golden(r))
		})
	}
}

func TestAuthorization(t *testing.T) {
	db, _ := MustFixtureDB(t)
	h := MustHandler(t, db)
	tests := []struct {
		name, channel, text string
		kind                Kind
		want, never         []string
		decoded             int // of a config image's shops, when not 0
	}{
		{"shop channel sees its shop", chanBeauty, "status", KindAnswer, []string{"Acme Beauty TH"}, nil, 0},
		{"shop channel cannot see another shop by id", chanBeauty, "status 7495002", KindRefusal, []string{`can't find a shop matching "7495002"`}, []string{"Acme Home US", "%"}, 0},
		{"unknown id gets the same refusal", chanBeauty, "status 9999999", KindRefusal, []string{`can't find a shop matching "9999999"`}, nil, 0},
		{"shop channel cannot see another shop by name", chanBeauty, "status home", KindRefusal, nil, []string{"Acme Home US"}, 0},
		{"other channel's shops are not listed", chanUS, "status acme", KindUsage, []string{"Acme Home US", "Acme Pets US"}, []string{"Acme Beauty TH"}, 0},
		{"admin channel sees a shop by id", chanAdmin, "status 7495002", KindAnswer, []string{"Acme Home US"}, nil, 1},
		{"admin channel sees every shop", chanAdmin, "status", KindAnswer, []string{"7495001", "7495002", "7495003"}, nil, 3},
		{"admin channel, breakdown of a shop", chanAdmin, "breakdown nrr 7495003", KindAnswer, []string{"Acme Pets US"}, nil, 1},
		{"admin channel, shop by name", chanAdmin, "status pets", KindAnswer, []string{"Acme Pets US"}, nil, 3},
		{"channel without shops", chanOther, "status", KindRefusal, []string{"isn't linked to any shop", "channel: C0OTHER001"}, []string{"Acme"}, 0},
		{"channel without shops, named shop", chanOther, "status 7495001", KindRefusal, []string{"isn't linked to any shop"}, []string{"Acme"}, 0},
		{"direct message", chanDM, "status 7495001", KindRefusal, []string{"direct messages"}, []string{"Acme"}, 0},
		{"direct message, tips", chanDM, "tips damaged", KindRefusal, []string{"direct messages"}, nil, 0},
		{"direct message, help works", chanDM, "help", KindAnswer, []string{"status [shop]"}, nil, 0},
		{"no channel at all", "", "digest", KindRefusal, []string{"direct messages"}, nil, 0},
		{"breakdown of another channel's shop", chanBeauty, "breakdown nrr 7495002", KindRefusal, nil, []string{"Acme Home US"}, 0},
		{"appeal for another channel's shop", chanBeauty, "appeal warning 7495003", KindRefusal, nil, []string{"Acme Pets US"}, 0},
		{"digest of another channel's shop", chanUS, "digest 7495001", KindRefusal, nil, []string{"Acme Beauty TH"}, 0},
		{"tips of another channel's shop", chanUS, "tips 7495001", KindRefusal, nil, []string{"Acme Beauty TH"}, 0},
		{"mute another channel's shop", chanBeauty, "mute nrr 1d 7495002", KindRefusal, nil, nil, 0},
		{"unmute another channel's shop", chanBeauty, "unmute 7495002", KindRefusal, nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.Answer(context.Background(), Request{Text: tt.text, ChannelID: tt.channel, UserID: "U0TESTER1"})
			checkAuthorization(t, r, tt.kind, tt.want, tt.never)
		})
		// The same as `shopwatch ask` answers it: the config read back from
		// its image, decoding only the shops a command needs, and the
		// store opened for the shops the command's words name.
		t.Run(tt.name+", as ask", func(t *testing.T) {
			cfg := storetest.ImageConfig(t, fixtureConfig)
			db, _ := mustFixtureDBWith(t, cfg, strings.Fields(tt.text)...)
			r := MustHandler(t, db).Answer(context.Background(), Request{Text: tt.text, ChannelID: tt.channel, UserID: "U0TESTER1"})
			checkAuthorization(t, r, tt.kind, tt.want, tt.never)
			if n := cfg.DecodedShops(); tt.decoded != 0 && n != tt.decoded {
				t.Errorf("%d of the config's shops decoded, want %d", n, tt.decoded)
			}
		})
	}
	// Nothing was muted by the refused commands.
	if ms, _ := db.Mutes(context.Background(), "7495002", fixtureNow); len(ms) != 0 {
		t.Errorf("a refused mute was stored: %+v", ms)
	}
}

func checkAuthorization(t *testing.T, r Reply, kind Kind, want, never []string) {
	t.Helper()
	MustCheckReply(t, r)
	if r.Kind != kind {
		t.Errorf("kind = %v, want %v:\n%s", r.Kind, kind, r.Text)
	}
	for _, w := range want {
		if !strings.Contains(r.Text, w) {
			t.Errorf("answer lacks %q:\n%s", w, r.Text)
		}
	}
	for _, n := range never {
		if strings.Contains(r.Text, n) {
			t.Errorf("answer shows %q:\n%s", n, r.Text)
		}
	}
	if kind == KindRefusal && r.Share != "" {
		t.Error("a refusal has a share button")
	}
}

func TestMute(t *testing.T) {
	db, _ := MustFixtureDB(t)
	h := MustHandler(t, db)
	ctx := context.Background()
	ask := func(channel, text string) Reply {
		t.Helper()
		r := h.Answer(ctx, Request{Text: text, ChannelID: channel, UserID: "U0TESTER1"})
		MustCheckReply(t, r)
		return r
	}
	muted := func(shop string, m rules.Metric) bool {
		t.Helper()
		ok, _, err := db.Muted(ctx, shop, m, fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	tests := []struct {
		name, channel, text string
		kind                Kind
		inChannel           bool
		want                string
		check               func(t *testing.T)
	}{
		{"mute the channel's shop", chanBeauty, "mute nrr 2h", KindAnswer, true, "<@U0TESTER1> muted NRR alerts for *Acme Beauty TH* until Sat 21 Nov 14:00 (+07)", func(t *testing.T) {
			if !muted("7495001", rules.NRR) || muted("7495001", rules.SFRR) {
				t.Error("want nrr muted, sfrr not")
			}
		}},
		{"status shows the mute", chanBeauty, "status", KindAnswer, false, "🔕 Alerts muted until Sat 21 Nov 14:00 (+07)", nil},
		{"mute every shop of the channel", chanUS, "mute chat 1d", KindAnswer, true, "*Acme Home US*, *Acme Pets US*", func(t *testing.T) {
			if !muted("7495002", rules.ChatResponseRate) || !muted("7495003", rules.ChatResponseRate) {
				t.Error("want chat muted for both shops")
			}
		}},
		{"arguments in any order", chanAdmin, "mute 3d all pets", KindAnswer, true, "muted all alerts for *Acme Pets US*", func(t *testing.T) {
			if !muted("7495003", rules.SFRR) || muted("7495002", rules.SFRR) {
				t.Error("want all muted for 7495003 only")
			}
		}},
		{"admin channel asks which", chanAdmin, "mute nrr 1d", KindUsage, false, "Which shop?", nil},
		{"no duration", chanBeauty, "mute nrr", KindUsage, false, "For how long?", nil},
		{"no metric", chanBeauty, "mute 2h", KindUsage, false, "Which metric?", nil},
		{"too long", chanBeauty, "mute nrr 100d", KindUsage, false, "1 minute to 90 days", nil},
		{"informational metric", chanBeauty, "mute chat_avg_response_hours 1d", KindUsage, false, "Which metric?", nil},
		{"unmute a metric", chanBeauty, "unmute nrr", KindAnswer, true, "unmuted NRR alerts for *Acme Beauty TH*", func(t *testing.T) {
			if muted("7495001", rules.NRR) {
				t.Error("nrr still muted")
			}
		}},
		{"unmute again: nothing to do", chanBeauty, "unmute", KindAnswer, false, "Nothing to unmute", nil},
		{"unmute one metric under an all mute", chanAdmin, "unmute sfrr 7495003", KindAnswer, false, "stays muted for all alerts", nil},
		{"unmute all", chanAdmin, "unmute all 7495003", KindAnswer, true, "unmuted all alerts for *Acme Pets US*", func(t *testing.T) {
			if muted("7495003", rules.SFRR) || !muted("7495002", rules.ChatResponseRate) {
				t.Error("want 7495003 unmuted, 7495002 still muted")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ask(tt.channel, tt.text)
			if r.Kind != tt.kind || r.InChannel != tt.inChannel {
				t.Errorf("kind %v in channel %v, want %v %v", r.Kind, r.InChannel, tt.kind, tt.inChannel)
			}
			md := mrkdwnOf(r)
			if !strings.Contains(md, tt.want) && !strings.Contains(r.Text, tt.want) {
				t.Errorf("answer lacks %q:\n%s", tt.want, md)
			}
			if r.Share != "" && strings.Contains(tt.text, "mute") {
				t.Error("a mute has a share button")
			}
			if tt.check != nil {
				tt.check(t)
			}
		})
	}
}

// faultyStore fails or panics on reports.
type faultyStore struct {
	Store
	report func() (rules.Report, error)
}

func (f faultyStore) Report(ctx context.Context, shopID string, day rules.Day) (rules.Report, error) {
	return f.report()
}

func (f faultyStore) ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error) {
	r, err := f.report()
	return []rules.Report{r, r}, err
}

func (f faultyStore) Feedback(ctx context.Context, shopID string, day rules.Day) (*store.Feedback, error) {
	r, err := f.report()
	return &store.Feedback{Report: r}, err
}

func (f faultyStore) Evidence(ctx context.Context, shopID, productID string, day rules.Day) (*store.Evidence, error) {
	r, err := f.report()
	return &store.Evidence{Report: r}, err
}

func TestInternalErrors(t *testing.T) {
	db, _ := MustFixtureDB(t)
	tests := []struct {
		name   string
		report func() (rules.Report, error)
	}{
		{"error", func() (rules.Report, error) {
			return rules.Report{}, errors.New("store: SQLITE_BUSY: database is locked at report.go:42")
		}},
		{"panic", func() (rules.Report, error) { panic("nil map in report.go:42") }},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"status", "appeal warning", "digest", "tips"} {
			t.Run(tt.name+" "+cmd, func(t *testing.T) {
				h := MustHandler(t, faultyStore{Store: db, report: tt.report})
				r := h.Answer(context.Background(), Request{Text: cmd, ChannelID: chanBeauty})
				MustCheckReply(t, r)
				if r.Kind != KindFailure || !strings.Contains(r.Text, "Sorry, something went wrong") {
					t.Errorf("kind %v:\n%s", r.Kind, r.Text)
				}
			})
		}
	}
}

func TestPlain(t *testing.T) {
	tests := []struct{ md, want string }{
		{"*bold* and _italic_ and `code`", "bold and italic and code"},
		{"```\nletter\n  indented\n```", "letter\n  indented"},
		{"snake_case_name stays", "snake_case_name stays"},
		{"2 * 3 * 4", "2 * 3 * 4"},
		{"a &lt;b&gt; &amp; c", "a <b> & c"},
		{"<https://example.com|the site>", "the site (https://example.com)"},
		{"by <@U123>", "by @U123"},
		{"*Top products*\n1. *Serum* (`p1`): 4", "Top products\n1. Serum (p1): 4"},
		{"~gone~ and *nested _it_*", "gone and nested it"},
		{"unclosed *bold and `code", "unclosed *bold and `code"},
		{"a*b*c stays", "a*b*c stays"},
		{"* not bold *", "* not bold *"},
		{"<#C123|shop-room> and <!here>", "#shop-room and @here"},
		{"1 < 2 stays", "1 < 2 stays"},
		{"```unclosed", "```unclosed"},
		{"ünï*cødé*", "ünï*cødé*"},
	}
	for _, tt := range tests {
		if got := Plain(tt.md); got != tt.want {
			t.Errorf("Plain(%q) = %q, want %q", tt.md, got, tt.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	durations := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30m", 30 * time.Minute, true}, {"2h", 2 * time.Hour, true}, {"3d", 72 * time.Hour, true},
		{"1w", 168 * time.Hour, true}, {"1d12h", 36 * time.Hour, true}, {"2days", 48 * time.Hour, true},
		{"", 0, false}, {"d", 0, false}, {"3x", 0, false}, {"-1d", 0, false}, {"1.5h", 0, false},
	}
	for _, tt := range durations {
		got, ok := parseDuration(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	days := []struct {
		in   string
		want int
		ok   bool
	}{{"14", 14, true}, {"14d", 14, true}, {"7days", 7, true}, {"x", 0, false}}
	for _, tt := range days {
		got, ok := parseDays(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDays(%q) = %v, %v", tt.in, got, ok)
		}
	}
	name, args := parse("  STATUS\u00a0 7495001 ")
	if name != "status" || len(args) != 1 || args[0] != "7495001" {
		t.Errorf("parse = %q %q", name, args)
	}
}

// mrkdwnOf joins the text of a reply's blocks.
func mrkdwnOf(r Reply) string {
	var parts []string
	for _, b := range r.Blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil {
				parts = append(parts, b.Text.Text)
			}
			for _, f := range b.Fields {
				parts = append(parts, f.Text)
			}
		case *slack.HeaderBlock:
			parts = append(parts, b.Text.Text)
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					parts = append(parts, t.Text)
				}
			}
		}
	}
	return strings.Join(parts, "\n")
}
