package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// The fixture's shops by profile.
var profileShops = []struct{ profile, shop, channel string }{
	{"sea", "7495001", chanBeauty},
	{"us", "7495002", chanUS},
	{"default", "7495003", chanUS},
}

// letterOf returns the appeal letter of a reply: its code block.
func letterOf(tb testing.TB, r Reply) string {
	tb.Helper()
	_, after, ok := strings.Cut(r.Text, "Subject: ")
	if !ok {
		tb.Fatalf("no letter in:\n%s", r.Text)
	}
	letter, _, _ := strings.Cut("Subject: "+after, "\nKind regards,\n")
	return letter
}

func TestAppealGoldenProfiles(t *testing.T) {
	db, _ := MustFixtureDB(t)
	h := MustHandler(t, db)
	for _, ps := range profileShops {
		for _, k := range templates.AppealKinds {
			t.Run(k.Name+" "+ps.profile, func(t *testing.T) {
				r := h.Answer(context.Background(), Request{Text: "appeal " + k.Name + " " + ps.shop, ChannelID: ps.channel})
				MustCheckReply(t, r)
				if r.Kind != KindAnswer {
					t.Fatalf("kind %v:\n%s", r.Kind, r.Text)
				}
				MustMatchGolden(t, "appeal/"+k.Name+"-"+ps.profile+".txt", r.Text+"\n")
			})
		}
	}
}

// The letter's evidence is the store's: each figure it cites equals what
// store.Evidence computes, for the shop and for one of its products, and
// it never quotes the shop's own rates.
func TestAppealEvidenceMatchesStore(t *testing.T) {
	db, _ := MustFixtureDB(t)
	h := MustHandler(t, db)
	ctx := context.Background()
	serum := products[0]
	tests := []struct {
		name, channel, text, shop, product string
	}{
		{"sea shop", chanBeauty, "appeal warning", "7495001", ""},
		{"sea product", chanBeauty, "appeal warning " + serum.id, "7495001", serum.id},
		{"us shop, service action", chanUS, "appeal suspension 7495002", "7495002", ""},
		{"us product", chanUS, "appeal freeze 7495002 " + serum.id, "7495002", serum.id},
		{"default shop", chanUS, "appeal suspension 7495003", "7495003", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.Answer(ctx, Request{Text: tt.text, ChannelID: tt.channel})
			MustCheckReply(t, r)
			letter := letterOf(t, r)
			shop, _ := h.cfg.Shop(tt.shop)
			ev, err := db.Evidence(ctx, tt.shop, tt.product, shopDay(shop, fixtureNow))
			if err != nil {
				t.Fatal(err)
			}
			whose := "our"
			if tt.product != "" {
				whose = "its"
			}
			var want, never []string
			if strings.Contains(letter, "Our records") {
				want = append(want, fmt.Sprintf("for the %d days from %s to %s", ev.Window.Days(), ev.Window.First, ev.Window.Last))
			} else if tt.shop != "7495003" {
				t.Errorf("letter cites no records:\n%s", letter)
			}
			if n := ev.LogisticsReviews.Count; n > 0 {
				want = append(want, fmt.Sprintf("- %d of %s %d negative reviews (1-2 stars) ", n, whose, ev.NegativeReviews),
					"orders "+strings.Join(ev.LogisticsReviews.Orders, ", "))
			} else {
				never = append(never, "delivery only")
			}
			if n := ev.BuyerReturns.Count; n > 0 {
				want = append(want, fmt.Sprintf("- %d of %s %d returns give", n, whose, ev.Returns))
			} else {
				never = append(never, "buyer reason")
			}
			if n := ev.Withdrawn.Count; n > 0 {
				want = append(want, fmt.Sprintf("- %s cancelled by the buyer", templates.Plural(n, "return was", "returns were")))
			}
			if chat := ev.Report.Results[rules.ChatResponseRate]; chat.Level == rules.LevelOK {
				want = append(want, fmt.Sprintf("%d of our %d buyer chats (%s) got a reply", chat.Numerator, chat.Denominator, templates.Percent(chat.Value)))
			} else {
				never = append(never, "buyer chats")
			}
			for _, w := range want {
				if !strings.Contains(letter, w) {
					t.Errorf("letter lacks %q:\n%s", w, letter)
				}
			}
			for _, metric := range []rules.Metric{rules.NRR, rules.NRRProduct, rules.NRRService, rules.SFRR} {
				if res := ev.Report.Results[metric]; res.Valid {
					never = append(never, templates.Percent(res.Value))
				}
			}
			never = append(never, "NRR", "SFRR", "Negative Review Rate 0", "Negative Review Rate 1")
			for _, n := range never {
				if strings.Contains(letter, n) {
					t.Errorf("letter says %q:\n%s", n, letter)
				}
			}
			// Each rectification line names a cause with feedback, counted in labelled units.
			_, rect, _ := strings.Cut(letter, "\n3. Rectifications made\n")
			rect, _, _ = strings.Cut(rect, "\n\n")
			// Each rectification line names a cause with the counts, in their
			// labelled units, of the shop's tally entry for it (as tips and
			// digests show them); "other" gathers the reasons without a cause.
			counts := map[string]bool{}
			evReviews, evReturns := 0, 0
			for _, e := range ev.Tally.Entries {
				c := causeOf(e)
				counts[templates.CauseCount(c)] = true
				c.Late = 0
				counts[templates.CauseCount(c)] = true
				if c.Group != rules.GroupLogistics.String() {
					evReviews, evReturns = evReviews+c.Reviews, evReturns+c.Returns
				}
			}
			line := regexp.MustCompile(`^- ([A-Z][^(]*) \((.+)\): \[CONFIRM: [^\]]+\]$`)
			reviews, returns := 0, 0
			for _, l := range strings.Split(rect, "\n") {
				m := line.FindStringSubmatch(l)
				switch {
				case m == nil && !strings.HasPrefix(l, "- [CONFIRM: what you changed"):
					t.Errorf("rectification line %q", l)
				case m != nil && !counts[m[2]] && m[1] != "Other feedback":
					t.Errorf("rectification line %q: %q are not a tally entry's counts", l, m[2])
				}
				if m == nil {
					continue
				}
				var a, b int
				if n := regexp.MustCompile(`(\d+) orders? with a negative review`).FindStringSubmatch(m[2]); n != nil {
					fmt.Sscan(n[1], &a)
				}
				if n := regexp.MustCompile(`(\d+) counted returns?`).FindStringSubmatch(m[2]); n != nil {
					fmt.Sscan(n[1], &b)
				}
				reviews, returns = reviews+a, returns+b
			}
			if strings.Contains(r.Text, "Cut to stay within") {
				if reviews > evReviews || returns > evReturns {
					t.Errorf("cause lines count %d reviews, %d returns; the tally has %d, %d", reviews, returns, evReviews, evReturns)
				}
			} else if reviews != evReviews || returns != evReturns {
				t.Errorf("cause lines count %d reviews, %d returns; want the tally's %d, %d:\n%s", reviews, returns, evReviews, evReturns, letter)
			}
		})
	}
}

func TestAppealNamesProduct(t *testing.T) {
	db, _ := MustFixtureDB(t)
	h := MustHandler(t, db)
	ctx := context.Background()
	tests := []struct {
		name, channel, text string
		kind                Kind
		share               string // the share button's command
		want, never         []string
	}{
		{"by id", chanBeauty, "appeal deactivation 1729000000000000003", KindAnswer, "appeal deactivation 7495001 1729000000000000003",
			[]string{"deactivation of our listing Sheet Mask <Rose> & Honey (ID 1729000000000000003)", "on product ID 1729000000000000003", "of its "}, []string{"Most feedback"}},
		{"by a name of several words", chanBeauty, "appeal deactivation vitamin c serum", KindAnswer, "appeal deactivation 7495001 1729000000000000001",
			[]string{"Vitamin C Serum 30ml (ID 1729000000000000001)"}, []string{"[CONFIRM: product name"}},
		{"after the shop id", chanAdmin, "appeal order limit 7495002 Lip Balm", KindAnswer, "appeal order-limit 7495002 1729000000000000004",
			[]string{"order volume limit on Lip Balm Trio (ID 1729000000000000004)"}, nil},
		{"after a shop name of several words", chanAdmin, "appeal warning acme home us toner", KindAnswer, "appeal warning 7495002 1729000000000000002",
			[]string{"Hydrating Toner 150ml", "Acme Home US"}, nil},
		{"on a service action", chanUS, "appeal suspension 7495002 serum", KindAnswer, "appeal suspension 7495002 1729000000000000001",
			[]string{"suspension of our shop", "Vitamin C Serum 30ml"}, nil},
		{"ambiguous name", chanBeauty, "appeal warning ml", KindUsage, "",
			[]string{"Which product? 2 products of Acme Beauty TH match \"ml\"", "1729000000000000001", "1729000000000000002", "appeal warning 7495001 1729000000000000001"}, nil},
		{"unknown product", chanBeauty, "appeal warning glitter bomb", KindUsage, "",
			[]string{"I can't find a product matching \"glitter bomb\" in the orders of Acme Beauty TH", "appeal <kind> [shop] [product]"}, nil},
		{"another channel's shop stays refused", chanBeauty, "appeal warning 7495002 serum", KindRefusal, "", nil, []string{"Acme Home US"}},
		{"several shops and no shop named", chanUS, "appeal warning serum", KindRefusal, "", []string{"can't find a shop matching \"serum\""}, nil},
		{"a shop name matching several shops", chanUS, "appeal warning acme serum", KindUsage, "", []string{"Which shop?", "7495002", "7495003"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.Answer(ctx, Request{Text: tt.text, ChannelID: tt.channel})
			MustCheckReply(t, r)
			if r.Kind != tt.kind {
				t.Fatalf("kind %v, want %v:\n%s", r.Kind, tt.kind, r.Text)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Text, w) {
					t.Errorf("answer lacks %q:\n%s", w, r.Text)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(r.Text, n) {
					t.Errorf("answer has %q:\n%s", n, r.Text)
				}
			}
			var v shareValue
			if r.Share != "" {
				if err := json.Unmarshal([]byte(r.Share), &v); err != nil {
					t.Fatal(err)
				}
			}
			if v.Text != tt.share {
				t.Errorf("share = %q, want %q", v.Text, tt.share)
			}
			if tt.share == "" {
				return
			}
			// The shared command gives the same letter.
			again := h.Answer(ctx, Request{Text: v.Text, ChannelID: chanAdmin})
			if letterOf(t, again) != letterOf(t, r) {
				t.Errorf("the shared command %q gives another letter:\n%s", v.Text, again.Text)
			}
		})
	}
}

// A product letter counts only that product's reviews and returns.
func TestAppealProductEvidence(t *testing.T) {
	db, _ := MustFixtureDB(t)
	ctx := context.Background()
	day := rules.DateDay(2026, 11, 20)
	all, err := db.Evidence(ctx, "7495001", "", day)
	if err != nil {
		t.Fatal(err)
	}
	var reviews, returns int
	for _, p := range products {
		ev, err := db.Evidence(ctx, "7495001", p.id, day)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Product == nil || ev.Product.Name != p.name {
			t.Errorf("product %s: %+v", p.id, ev.Product)
		}
		reviews += ev.NegativeReviews
		returns += ev.Returns
	}
	if reviews != all.NegativeReviews || returns != all.Returns {
		t.Errorf("products add up to %d reviews, %d returns; the shop has %d, %d", reviews, returns, all.NegativeReviews, all.Returns)
	}
	if _, err := db.Evidence(ctx, "7495001", "nope", day); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("evidence for an unknown product: %v", err)
	}
}
