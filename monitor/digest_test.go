package monitor

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/internal/promtext"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

func TestDigestOverviewSweepMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and imports a data set")
	}
	db := MustDemo(t, 12, 60, "")
	ctx := context.Background()
	end := rules.DateDay(2026, 11, 20)
	rec := newRecorder()
	m := MustMonitor(t, db, rec)
	now := runAt(end)

	t.Run("digest", func(t *testing.T) {
		added, err := m.Digest(ctx, "7495001", end, now)
		if err != nil || added != 2 {
			t.Fatalf("digest: %d %v", added, err)
		}
		if again, err := m.Digest(ctx, "7495001", end, now); err != nil || again != 0 {
			t.Fatalf("digest again: %d %v", again, err)
		}
		msg, err := db.OutboxByKey(ctx, DigestKey("7495001", end))
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeMessage(msg.Payload)
		if err != nil || d.Digest == nil {
			t.Fatalf("%v %+v", err, d)
		}
		dg := d.Digest
		if dg.Day != end || dg.First != end-55 || len(dg.Current) != len(rules.Metrics) || len(dg.Before) != len(rules.Metrics) {
			t.Errorf("digest %s..%s, %d current, %d before", dg.First, dg.Day, len(dg.Current), len(dg.Before))
		}
		for _, s := range dg.Series {
			if len(s.Values) != 56 || s.Thresholds == nil {
				t.Errorf("%s: %d values", s.Metric, len(s.Values))
			}
			total := 0
			for _, n := range dg.LevelDays[s.Metric] {
				total += n
			}
			if total != 30 {
				t.Errorf("%s: levels over %d days", s.Metric, total)
			}
		}
		if len(dg.Series) < 3 || len(dg.Tally) == 0 || len(dg.Products) == 0 {
			t.Errorf("digest without substance: %d series, %d causes, %d products", len(dg.Series), len(dg.Tally), len(dg.Products))
		}
	})

	t.Run("overview", func(t *testing.T) {
		added, err := m.Overview(ctx, end, now)
		if err != nil || added != 1 {
			t.Fatalf("overview: %d %v", added, err)
		}
		msg, _ := db.OutboxByKey(ctx, OverviewKey(end))
		o, _ := DecodeMessage(msg.Payload)
		if msg.Channel != db.Config().AdminChannel || o.Overview == nil || len(o.Overview.Shops) != 12 {
			t.Fatalf("overview %+v", o)
		}
		prev := 3
		for _, l := range o.Overview.Shops {
			sev := l.Worst.Severity()
			if sev > prev {
				t.Errorf("not worst first: %s (%s) after a shop at severity %d", l.Name, l.Worst, prev)
			}
			prev = sev
			if sev > 0 && len(l.Figures) != l.Critical+l.Warn {
				t.Errorf("%s: %d figures for %d critical and %d warn", l.Name, len(l.Figures), l.Critical, l.Warn)
			}
		}
	})

	t.Run("sweep", func(t *testing.T) {
		// A buyer chat never answered near the end of the data: sweep the
		// hour that ends two to three hours before its deadline.
		from := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		var shop string
		var chat store.WaitingChat
		for _, s := range db.Config().Shops() {
			chats, err := db.Unanswered(ctx, s.ID, from, from.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(chats) > 0 {
				shop, chat = s.ID, chats[0]
				break
			}
		}
		if shop == "" {
			t.Fatal("no unanswered chat in the data")
		}
		sweepAt := chat.Deadline.Add(-2*time.Hour - 30*time.Minute).Truncate(time.Hour).Add(5 * time.Minute)
		if !chat.Deadline.After(sweepAt.Truncate(time.Hour).Add(2*time.Hour)) || !chat.Deadline.Before(sweepAt.Truncate(time.Hour).Add(3*time.Hour)) {
			sweepAt = sweepAt.Add(time.Hour)
		}
		added, err := m.Sweep(ctx, sweepAt)
		if err != nil || added == 0 {
			t.Fatalf("sweep at %s for %s due %s: %d %v", sweepAt, shop, chat.Deadline, added, err)
		}
		if again, _ := m.Sweep(ctx, sweepAt.Add(10*time.Minute)); again != 0 {
			t.Errorf("the same hour swept twice: %d", again)
		}
		msgs, _ := db.UndeliveredOutbox(ctx, 100)
		found := false
		for _, om := range msgs {
			if om.Kind != KindNudge || om.ShopID != shop {
				continue
			}
			n, _ := DecodeMessage(om.Payload)
			for _, c := range n.Nudge.Chats {
				found = found || c.ConversationID == chat.ConversationID
				if !c.Deadline.After(sweepAt) {
					t.Errorf("nudged a chat already late: %+v", c)
				}
			}
		}
		if !found {
			t.Errorf("conversation %s not in the nudges %+v", chat.ConversationID, msgs)
		}
		// Muted chat alerts: no nudge.
		next := sweepAt.Add(24 * time.Hour)
		for _, s := range db.Config().Shops() {
			if err := db.SetMute(ctx, store.Mute{ShopID: s.ID, Metric: "chat_response_rate", At: next.Add(-time.Hour), Until: next.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if added, err := m.Sweep(ctx, next); err != nil || added != 0 {
			t.Errorf("muted sweep: %d %v", added, err)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		if _, err := m.Evaluate(ctx, end, nil, now); err != nil {
			t.Fatal(err)
		}
		reg := &promtext.Registry{}
		reg.Register(m.Metrics())
		w := httptest.NewRecorder()
		reg.Handler(slog.New(slog.DiscardHandler)).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Errorf("GET /metrics: %d %q", w.Code, w.Header().Get("Content-Type"))
		}
		text := w.Body.String()
		for _, want := range []string{
			`shopwatch_evaluations_total{result="ok"} 12`,
			`shopwatch_alerts{level="critical",metric="nrr"}`,
			`shopwatch_alerts{level="ok",metric="data"} 12`,
			`shopwatch_outbox_messages{status="pending"}`,
			"shopwatch_outbox_depth ",
			"shopwatch_delivery_failures_total 0",
			`shopwatch_records{kind="orders"}`,
			`shopwatch_records{kind="chats"}`,
			`shopwatch_runs_total{kind="daily"} 1`,
			"shopwatch_store_up 1",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("metrics lack %q:\n%s", want, text)
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			if !strings.HasPrefix(line, "# ") && len(strings.Fields(line)) != 2 {
				t.Errorf("not a Prometheus sample: %q", line)
			}
		}
		MustDrain(t, m)
		payloads := 0
		for _, p := range rec.posted {
			if _, err := json.Marshal(p.Message); err == nil {
				payloads++
			}
		}
		if payloads == 0 {
			t.Error("nothing delivered")
		}
	})
}
