package templates

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopwatch/shopwatch/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// MustMatchGolden compares got with testdata/name, or rewrites it with -update.
func MustMatchGolden(tb testing.TB, name, got string) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		tb.Errorf("%s differs from the golden file (run go test -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func sampleAppeal(kind string) Appeal {
	k, ok := LookupAppealKind(kind)
	if !ok {
		panic(kind)
	}
	a := Appeal{
		Kind:       k,
		Shop:       Shop{ID: "7495001", Name: "Acme Beauty TH"},
		From:       "2026-10-22",
		Date:       "2026-11-20",
		WindowDays: 30,
		Evidence: AppealEvidence{
			NegativeReviews: 12, LogisticsReviews: 3, LogisticsOrders: []string{"1000045", "1000090", "1000135"},
			Returns: 9, BuyerReturns: 2, Withdrawn: 1, SellerWon: 1, ReturnOrders: []string{"1000060", "1000120", "1000180"}, MoreReturns: true,
		},
		Causes: []rules.TallyEntry{
			{Cause: "damaged", Group: "service", Reviews: 4, Returns: 3},
			{Cause: "not_as_described", Group: "product", Reviews: 2},
			{Cause: "other", Group: "other", Reviews: 1},
		},
		TargetHours: 12,
	}
	if k.Group == "product" {
		a.Target = &Product{ID: "1729000000000000001", Name: "Vitamin C Serum 30ml"}
	} else {
		a.Evidence.ChatOnTime, a.Evidence.ChatTurns, a.Evidence.ChatShare = 96, 102, 96.0/102
		a.Causes = []rules.TallyEntry{{Cause: "slow_response", Group: "service", Reviews: 2}, a.Causes[1]}
	}
	return a
}

// section returns the text of a letter's numbered section n.
func section(text string, n int) string {
	_, after, _ := strings.Cut(text, "\n"+strconv.Itoa(n)+". ")
	before, _, _ := strings.Cut(after, "\n\n")
	return before
}

func TestAppealGolden(t *testing.T) {
	s := Default()
	for _, k := range AppealKinds {
		t.Run(k.Name, func(t *testing.T) {
			text, cut, err := s.Appeal(sampleAppeal(k.Name), 0)
			if err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(text); n > AppealLimit {
				t.Errorf("appeal is %d characters, over %d", n, AppealLimit)
			}
			if cut.Any() {
				t.Errorf("the sample appeal was cut (%s): the template grew?", cut)
			}
			// The seed guide's appeal steps, in order.
			last := -1
			for _, part := range []string{"1. Reason for appeal", "2. Proof and documentation", "3. Rectifications made", "4. Prevention plan"} {
				i := strings.Index(text, part)
				if i <= last {
					t.Errorf("%q missing or out of order", part)
				}
				last = i
			}
			want := []string{"Acme Beauty TH", "7495001", "from 2026-10-22 to 2026-11-20",
				"3 of its 12 negative reviews (1-2 stars) are about delivery only",
				"2 of its 9 returns give a buyer reason",
				"1 return was cancelled by the buyer and 1 return was decided in our favour. Please remove any counted as seller-fault.",
				"orders 1000045, 1000090, 1000135]", "orders 1000060, 1000120, 1000180 and more]",
				"- Damaged item or package (4 orders with a negative review, 3 counted returns (seller fault)): [CONFIRM: "}
			if k.Group == "service" {
				want = []string{"of our 12 negative reviews", "96 of our 102 buyer chats (94.12%) got a reply within 12 h",
					"- Chat replies (2 orders with a negative review): [CONFIRM: "}
			} else if !strings.Contains(text, "Vitamin C Serum 30ml (ID 1729000000000000001)") {
				t.Errorf("product appeal does not name its product")
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("appeal lacks %q", w)
				}
			}
			MustMatchGolden(t, "appeal-"+k.Name+".txt", text+"\n")
		})
	}
}

// A draft states nothing as done: every rectification and promise is a
// placeholder for the seller, and no sentence is built on "a" before a
// vowel ("a order volume limit").
func TestAppealDraftClaimsNothing(t *testing.T) {
	s := Default()
	aVowel := regexp.MustCompile(`(?i)\ba [aeiou]`)
	for _, k := range AppealKinds {
		for _, name := range []string{"with evidence", "without evidence"} {
			t.Run(k.Name+" "+name, func(t *testing.T) {
				a := sampleAppeal(k.Name)
				if name == "without evidence" {
					a.Evidence, a.Causes, a.Target = AppealEvidence{}, nil, nil
				}
				text, _, err := s.Appeal(a, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range []int{3, 4} {
					for _, line := range strings.Split(section(text, n), "\n")[1:] {
						if !strings.Contains(line, "[CONFIRM: ") {
							t.Errorf("section %d states a claim as made: %q", n, line)
						}
					}
				}
				for _, line := range strings.Split(section(text, 2), "\n")[1:] {
					if !strings.HasPrefix(line, "- [ATTACH: ") {
						t.Errorf("proof line is not a placeholder: %q", line)
					}
				}
				if m := aVowel.FindString(text); m != "" {
					t.Errorf("grammar: %q in\n%s", m, text)
				}
				for _, never := range []string{"now ship", "sturdier", "NRR ", "SFRR", "[Your", "[brackets]"} {
					if strings.Contains(text, never) {
						t.Errorf("letter says %q", never)
					}
				}
				if name == "without evidence" && strings.Contains(text, "Our records") {
					t.Errorf("cites records it does not have:\n%s", text)
				}
			})
		}
	}
}

// Product-category advice appears only when the shop's complaints call
// for it: a size chart only with size complaints.
func TestAppealSizeChart(t *testing.T) {
	s := Default()
	tests := []struct {
		name      string
		sizeChart bool
		want      int // lines naming a size chart
	}{
		{"no size complaints", false, 0},
		{"size complaints", true, 2}, // the wrong-item and the listing lines
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sampleAppeal("warning")
			a.Causes = []rules.TallyEntry{a.Causes[1], {Cause: "wrong_item", Group: "service", Returns: 2}}
			a.SizeChart = tt.sizeChart
			text, cut, err := s.Appeal(a, 0)
			if err != nil || cut.Any() {
				t.Fatalf("err %v, cut %s", err, cut)
			}
			if got := strings.Count(text, "size chart"); got != tt.want {
				t.Errorf("%d mentions of a size chart, want %d:\n%s", got, tt.want, text)
			}
		})
	}
}

// A cause's counts keep each record kind in its own labelled unit.
func TestCauseCount(t *testing.T) {
	tests := []struct {
		c    rules.TallyEntry
		want string
	}{
		{rules.TallyEntry{Reviews: 1}, "1 order with a negative review"},
		{rules.TallyEntry{Reviews: 4, Returns: 1}, "4 orders with a negative review, 1 counted return (seller fault)"},
		{rules.TallyEntry{Returns: 1200, Logistics: 1200}, "1,200 counted returns (logistics fault)"},
		{rules.TallyEntry{Returns: 5, Logistics: 2}, "5 counted returns (3 seller fault, 2 logistics fault)"},
		{rules.TallyEntry{Reviews: 2, Late: 1}, "2 orders with a negative review, 1 late chat reply"},
		{rules.TallyEntry{Reviews: 1, Group: "logistics"}, "1 order with a negative review (counted in NRR only because the review also names another cause)"},
	}
	for _, tt := range tests {
		if got := CauseCount(tt.c); got != tt.want {
			t.Errorf("CauseCount(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestAppealCut(t *testing.T) {
	s := Default()
	full := sampleAppeal("warning")
	// length renders the sample with its first n causes.
	length := func(n int) int {
		a := full
		a.Causes = a.Causes[:n]
		text, err := s.Render("appeal", a)
		if err != nil {
			t.Fatal(err)
		}
		return utf8.RuneCountInString(text)
	}
	tests := []struct {
		name      string
		limit     int
		causes    int
		truncated bool
	}{
		{"fits", 0, 0, false},
		{"fits exactly", length(3), 0, false},
		{"drops the last cause first", length(3) - 1, 1, false},
		{"then more causes", length(2) - 1, 2, false},
		{"then cuts the text", length(0) - 1, 3, true},
		{"tiny limit", 60, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.limit
			if limit == 0 {
				limit = AppealLimit
			}
			text, cut, err := s.Appeal(full, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(text); n > limit {
				t.Errorf("%d characters, over the limit %d", n, limit)
			}
			if cut.Causes != tt.causes || len(cut.Left) != tt.causes || cut.Truncated != tt.truncated {
				t.Errorf("cut = %+v, want causes %d truncated %v", cut, tt.causes, tt.truncated)
			}
			if tt.causes > 0 && cut.Left[0] != appealLabel(full.Causes[3-tt.causes]) {
				t.Errorf("left out %q first, want the cause with the least feedback", cut.Left[0])
			}
			if tt.truncated != strings.HasSuffix(text, truncMark) {
				t.Errorf("truncated %v but the text ends %q", tt.truncated, text[max(0, len(text)-60):])
			}
		})
	}
}

func TestTipsGolden(t *testing.T) {
	s := Default()
	var all strings.Builder
	names := append([]string{}, tipCauses...)
	names = append(names, TipTopics...)
	for _, name := range names {
		text, err := s.Render("tips."+name, Tips{Command: "/shopwatch", Cause: rules.TallyEntry{Cause: name}, TargetHours: 12})
		if err != nil {
			t.Fatalf("tips.%s: %v", name, err)
		}
		if strings.Count(text, "• ") < 2 {
			t.Errorf("tips.%s has fewer than two tips:\n%s", name, text)
		}
		all.WriteString("## tips." + name + "\n" + text + "\n\n")
	}
	MustMatchGolden(t, "tips.txt", all.String())
}

func TestMessagesGolden(t *testing.T) {
	s := Default()
	tests := []struct {
		name string
		data any
	}{
		{"usage", Usage{Command: "/shopwatch", Kinds: AppealKinds, Causes: []string{"damaged", "courier"}, Topics: TipTopics}},
		{"refusal.channel", Refusal{Command: "/shopwatch", Channel: "C0RANDOM1"}},
		{"refusal.dm", Refusal{Command: "/shopwatch", Channel: "D0DIRECT1"}},
		{"refusal.shop", Refusal{Command: "/shopwatch", ShopArg: "<b>acme</b>"}},
		{"failure", nil},
		{"working", nil},
		{"digest.intro", Digest{Shop: Shop{ID: "1", Name: "A & B"}, From: "2026-11-14", To: "2026-11-20", Critical: 2, Warn: 1, Better: 1, Worse: 2}},
		{"digest.all.intro", DigestAll{Shops: 12, To: "2026-11-20", Critical: 3, Warn: 2, OK: 6, Other: 1}},
		{"sync.failing", Sync{Command: "/shopwatch", Shop: Shop{ID: "1", Name: "A & B"}, Kinds: "orders and returns", Since: "Sat 21 Nov 15:30"}},
		{"sync.failing", Sync{Command: "/shopwatch", Shop: Shop{ID: "1", Name: "A & B"}, Kinds: "orders"}},
		{"sync.working", Sync{Command: "/shopwatch", Shop: Shop{ID: "1", Name: "A & B"}, Since: "Sat 21 Nov 18:50"}},
	}
	var all strings.Builder
	for _, tt := range tests {
		text, err := s.Render(tt.name, tt.data)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s is blank", tt.name)
		}
		all.WriteString("## " + tt.name + "\n" + text + "\n\n")
	}
	got := all.String()
	if strings.Contains(got, "<b>") || !strings.Contains(got, "A &amp; B") {
		t.Errorf("user data is not escaped for mrkdwn")
	}
	MustMatchGolden(t, "messages.txt", got)
}

func TestLoadOverrides(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
		check   func(*testing.T, *Set)
	}{
		{"replaces a block", map[string]string{"mine.tmpl": `{{define "tips.damaged"}}• Wrap it twice.
• Then once more.{{end}}`}, "", func(t *testing.T, s *Set) {
			got, err := s.Render("tips.damaged", Tips{})
			if err != nil || got != "• Wrap it twice.\n• Then once more." {
				t.Errorf("override not used: %q, %v", got, err)
			}
			if got, _ := s.Render("tips.courier", Tips{}); !strings.Contains(got, "carrier") {
				t.Errorf("other blocks lost: %q", got)
			}
		}},
		{"syntax error names the file", map[string]string{"bad.tmpl": `{{define "x"}}{{.Oops`}, "bad.tmpl", nil},
		{"empty directory is fine", map[string]string{}, "", func(t *testing.T, s *Set) {
			if !s.Has("usage") {
				t.Error("defaults lost")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Load(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("Load of a missing directory succeeded")
	}
}

// TestLazy checks that Lazy parses nothing before its first use, and then
// answers as Load does: with the same blocks, or with Load's error from
// Render and nothing from Has and Names.
func TestLazy(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"defaults":     nil,
		"an override":  {"mine.tmpl": `{{define "tips.damaged"}}Wrap it twice.{{end}}`},
		"syntax error": {"bad.tmpl": `{{define "x"}}{{.Oops`},
		"missing dir":  {"": ""},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for file, text := range files {
				if file == "" {
					dir = filepath.Join(dir, "absent")
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			lazy := Lazy(dir)
			if lazy.t != nil || lazy.err != nil {
				t.Fatal("Lazy parsed before its first use")
			}
			eager, loadErr := Load(dir)
			got, err := lazy.Render("tips.damaged", Tips{})
			if loadErr != nil {
				if err == nil || err.Error() != loadErr.Error() {
					t.Errorf("Render error %v, want Load's: %v", err, loadErr)
				}
				if lazy.Has("usage") || lazy.Names() != nil {
					t.Error("a set that failed to parse has blocks")
				}
				return
			}
			want, wantErr := eager.Render("tips.damaged", Tips{})
			if err != nil || wantErr != nil || got != want {
				t.Errorf("Render = %q, %v; Load's set: %q, %v", got, err, want, wantErr)
			}
			if !slices.Equal(lazy.Names(), eager.Names()) || !lazy.Has("usage") {
				t.Errorf("Names = %v, want %v", lazy.Names(), eager.Names())
			}
		})
	}
}

func TestRenderUnknown(t *testing.T) {
	if _, err := Default().Render("tips.nope", nil); err == nil {
		t.Error("rendering an unknown block succeeded")
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{Percent(0.02963), "2.96%"},
		{Percent(0), "0.00%"},
		{Threshold(0.005), "0.5%"},
		{Threshold(0.01), "1%"},
		{Threshold(0.0125), "1.25%"},
		{Threshold(0.9), "90%"},
		{Threshold(0.012), "1.2%"},
		{Number(0), "0"},
		{Number(999), "999"},
		{Number(1234567), "1,234,567"},
		{Number(-1234), "-1,234"},
		{Plural(1, "order", "orders"), "1 order"},
		{Plural(1200, "order", "orders"), "1,200 orders"},
		{Hours(12), "12 h"},
		{Hours(3.75), "3.8 h"},
		{Escape("a<b>&c"), "a&lt;b&gt;&amp;c"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestLookupAppealKind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"warning", "warning"}, {"Order_Limit", "order-limit"}, {"livestream-restriction", "livestream"},
		{"shop-visibility", "shop-visibility"}, {"visibility", "visibility"}, {"suspended", "suspension"}, {"nope", ""},
	}
	for _, tt := range tests {
		k, ok := LookupAppealKind(tt.in)
		if k.Name != tt.want || ok != (tt.want != "") {
			t.Errorf("LookupAppealKind(%q) = %q, %v; want %q", tt.in, k.Name, ok, tt.want)
		}
	}
}

// TestMrkdwnEscaped checks that the mrkdwn blocks escape &, < and > as
// Slack requires (a bare "<kind>" would be read as a link).
func TestMrkdwnEscaped(t *testing.T) {
	s := Default()
	data := map[string]any{
		"usage": Usage{Command: "/shopwatch", Kinds: AppealKinds, Causes: tipCauses, Topics: TipTopics},
	}
	for _, name := range s.Names() {
		if strings.HasPrefix(name, "appeal") || strings.HasPrefix(name, "digest") || strings.HasPrefix(name, "refusal") {
			continue // plain text, or executed with data tested elsewhere
		}
		d, ok := data[name]
		if !ok {
			d = Tips{Command: "/shopwatch", Shop: &Shop{ID: "1", Name: "S"}, Cause: rules.TallyEntry{Cause: "damaged"}, WindowDays: 30, TargetHours: 12}
		}
		text, err := s.Render(name, d)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		unescaped := strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(text)
		if strings.ContainsAny(unescaped, "<>&") {
			t.Errorf("%s has an unescaped &, < or >:\n%s", name, text)
		}
	}
}

func TestDigestCount(t *testing.T) {
	nrr := func(level rules.Level, v float64, valid bool) rules.Result {
		return rules.Result{Metric: rules.NRR, Level: level, Value: v, Valid: valid}
	}
	chat := func(level rules.Level, v float64) rules.Result {
		return rules.Result{Metric: rules.ChatResponseRate, Level: level, Value: v, Valid: true}
	}
	var d Digest
	d.Count(nrr(rules.LevelCritical, 0.006, true), nrr(rules.LevelWarn, 0.004, true)) // worse: a higher NRR
	d.Count(chat(rules.LevelWarn, 0.93), chat(rules.LevelCritical, 0.80))             // better: a higher chat rate
	d.Count(nrr(rules.LevelOK, 0.002, true), nrr(rules.LevelOK, 0.002, true))         // unchanged
	d.Count(nrr(rules.LevelInsufficient, 0, false), nrr(rules.LevelOK, 0.003, true))  // no value: no move
	if want := (Digest{Critical: 1, Warn: 1, Better: 1, Worse: 1}); d != want {
		t.Errorf("counted %+v, want %+v", d, want)
	}
}

// TestTipsChatTarget: tips quote TikTok's guides (12 hours) as the guides,
// and say separately what a shop's own program measures when it differs.
func TestTipsChatTarget(t *testing.T) {
	s := Default()
	tests := []struct {
		name, block string
		target      float64
		want, not   []string
	}{
		{"guides shop", "tips.slow_response", 12, []string{"guides ask for a reply within 12 hours."}, []string{"24 h", "program measures"}},
		{"us shop", "tips.slow_response", 24, []string{"guides ask for a reply within 12 hours.", "counts a reply as on time within 24 h"}, []string{"reply within 24"}},
		{"us service topic", "tips.service", 24, []string{"within 12 hours.", "on time within 24 h"}, []string{"reply within 24"}},
		{"no shop", "tips.service", 0, []string{"within 12 hours."}, []string{"program measures"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := s.Render(tt.block, Tips{Command: "/shopwatch", TargetHours: tt.target})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(text, w) {
					t.Errorf("has %q:\n%s", w, text)
				}
			}
		})
	}
}
