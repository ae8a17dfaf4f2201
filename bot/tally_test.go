package bot

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// tallyLines are the lines of text that list the entries of want, in the
// order they appear in text.
func tallyLines(text string, entries []rules.TallyEntry) []string {
	known := map[string]bool{}
	for _, e := range entries {
		known[upperFirst(e.Label())+": "+templates.CauseCount(e)] = true
	}
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimPrefix(line, "• ")
		if known[line] {
			out = append(out, line)
		}
	}
	return out
}

// TestCausesAgree checks that tips, the slash digest, the weekly digest
// and an alert list the same causes, in the same order, with the same
// counts in the same units: those of the shop's tally.
func TestCausesAgree(t *testing.T) {
	ctx := context.Background()
	db, _ := MustFixtureDB(t)
	h := MustHandler(t, db)
	const shop = "7495001"
	day := rules.DateDay(2026, 11, 20)
	fb, err := db.Feedback(ctx, shop, day)
	if err != nil {
		t.Fatal(err)
	}
	tally := fb.Tally()
	top := tally.Top(topTipCauses)
	var want []string
	for _, e := range top {
		want = append(want, upperFirst(e.Label())+": "+templates.CauseCount(e))
	}
	// The fixture has causes counted in two units: the test would not see
	// mixed units otherwise.
	if !slices.ContainsFunc(top, func(e rules.TallyEntry) bool { return e.Reviews > 0 && e.Returns > 0 }) {
		t.Fatalf("fixture: no top cause with both reviews and returns: %+v", top)
	}
	if !strings.Contains(want[0], " orders with a negative review, ") || !strings.Contains(want[0], " counted returns (") {
		t.Errorf("top cause %q does not label its units", want[0])
	}

	m, err := monitor.New(monitor.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Evaluate(ctx, day, []string{shop}, fixtureNow); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Digest(ctx, shop, day, fixtureNow); err != nil {
		t.Fatal(err)
	}
	n, err := NewNotifier(NotifierOptions{Config: db.Config(), BotToken: testBotToken})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := db.UndeliveredOutbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]string{}
	for _, o := range queued {
		msg, err := monitor.DecodeMessage(o.Payload)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		switch {
		case msg.Kind == monitor.KindDigest:
			name = "weekly digest"
		case msg.Kind == monitor.KindAlert && msg.Alert.Metric == rules.NRR:
			name = "nrr alert"
		case msg.Kind == monitor.KindAlert && msg.Alert.Metric == rules.ChatResponseRate:
			name = "chat alert"
		default:
			continue
		}
		r, err := n.Render(monitor.Outgoing{Message: msg})
		if err != nil {
			t.Fatal(err)
		}
		rendered[name] = r.Text
	}

	surfaces := []struct {
		name    string
		text    string
		entries []rules.TallyEntry
	}{
		{"tips", h.Answer(ctx, Request{Text: "tips", ChannelID: chanBeauty, UserID: "U0TESTER1"}).Text, top},
		{"slash digest", h.Answer(ctx, Request{Text: "digest", ChannelID: chanBeauty, UserID: "U0TESTER1"}).Text, top},
		{"weekly digest", rendered["weekly digest"], top},
		{"nrr alert", rendered["nrr alert"], tally.For(rules.NRR, 3)},
		{"chat alert", rendered["chat alert"], tally.For(rules.ChatResponseRate, 3)},
	}
	for _, s := range surfaces {
		t.Run(s.name, func(t *testing.T) {
			if s.text == "" {
				t.Fatal("not rendered")
			}
			var want []string
			for _, e := range s.entries {
				want = append(want, upperFirst(e.Label())+": "+templates.CauseCount(e))
			}
			if len(want) == 0 {
				t.Fatal("the tally has nothing for this surface")
			}
			if got := tallyLines(s.text, tally.Entries); !slices.Equal(got, want) {
				t.Errorf("causes\n%s\nwant\n%s\nin:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), s.text)
			}
		})
	}
}
