package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/internal/slackfake"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// TestDeliver1000Channels delivers 1,000 alerts to 1,000 channels through a
// fake Slack that allows one message per second per channel and answers
// some requests with 429 (Retry-After) and 503, some of those after
// posting the message: all must arrive, none twice, in under 30 s.
func TestDeliver1000Channels(t *testing.T) {
	if testing.Short() {
		t.Skip("delivers 1,000 messages")
	}
	fake := slackfake.New(t)
	fake.Fail = func(method, channel string, n int) (int, bool) {
		if method != "chat.postMessage" {
			return 0, false
		}
		switch {
		case n%10 == 0:
			return 429, false
		case n%17 == 0:
			return 503, false
		case n%23 == 0:
			return 503, true // posted, but the answer says otherwise
		}
		return 0, false
	}
	db := mustOutboxDB(t, storetest.DSN(t))
	const channels = 1000
	msgs := make([]store.OutboxMessage, channels)
	for i := range msgs {
		m := *criticalAlert
		m.Channel, m.Key = fmt.Sprintf("C%08d", i), fmt.Sprintf("7495001/nrr/2026-11-20/critical/%d", i)
		payload, _ := json.Marshal(m)
		msgs[i] = store.OutboxMessage{Key: m.Key, ShopID: m.ShopID, Channel: m.Channel, Kind: m.Kind, Payload: payload}
	}
	if _, err := db.Enqueue(context.Background(), time.Now(), msgs...); err != nil {
		t.Fatal(err)
	}
	n, err := NewNotifier(NotifierOptions{Config: db.Config(), BotToken: "xoxb-test", APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	metrics := monitor.NewMetrics()
	d, err := monitor.NewDeliverer(monitor.DeliveryOptions{Store: db, Notifier: n, Metrics: metrics}) // Slack's limits: the defaults
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	left, err := d.Drain(ctx)
	elapsed := time.Since(start)
	if left != 0 || err != nil {
		t.Fatalf("%d left after %s: %v", left, elapsed, err)
	}
	byKey := fake.ByKey()
	for _, m := range msgs {
		if byKey[m.Key] != 1 {
			t.Errorf("%s posted %d times", m.Key, byKey[m.Key])
		}
	}
	counts, _ := db.OutboxCounts(context.Background())
	c := metrics.Counters()
	t.Logf("1,000 alerts to 1,000 channels in %s: %d requests to chat.postMessage, %d to conversations.history; attempts %v",
		elapsed.Round(time.Millisecond), fake.Calls("chat.postMessage", ""), fake.Calls("conversations.history", ""), c.Attempts)
	if counts[store.OutboxSent] != channels || c.Attempts["rate_limited"] == 0 || c.Attempts["temporary_error"] == 0 || c.Attempts["found"] == 0 {
		t.Errorf("outbox %v, attempts %v: the fake's 429 and 503 were not all exercised", counts, c.Attempts)
	}
	if limit := 30 * time.Second; elapsed > limit && !raceEnabled {
		t.Errorf("took %s, want under %s", elapsed, limit)
	}
}

// TestDeliveryCrash kills a delivery process between sending a message and
// recording it (and, in a second case, between claiming it and sending),
// then delivers again: the message arrives exactly once.
func TestDeliveryCrash(t *testing.T) {
	for _, mode := range []string{"after-send", "before-send"} {
		t.Run(mode, func(t *testing.T) {
			fake := slackfake.New(t)
			path := storetest.DSN(t)
			db := mustOutboxDB(t, path)
			enqueueMessage(t, db, criticalAlert, "")

			cmd := exec.Command(os.Args[0], "-test.run=^TestDeliveryCrashHelper$")
			cmd.Env = append(os.Environ(), "SHOPWATCH_CRASH_DB="+path, "SHOPWATCH_CRASH_API="+fake.URL(), "SHOPWATCH_CRASH_MODE="+mode)
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
				t.Fatalf("the helper did not die as planned: %v\n%s", err, out)
			}
			m, _ := db.OutboxByKey(context.Background(), criticalAlert.Key)
			posted := len(fake.Posted("C0BEAUTY01"))
			if m.Status != store.OutboxSending || posted != map[string]int{"after-send": 1, "before-send": 0}[mode] {
				t.Fatalf("after the crash: status %s, %d posted", m.Status, posted)
			}

			// Restart a minute later: the lease (30 s) has run out.
			clock := clockwork.NewFakeClockAt(time.Now().Add(time.Minute))
			n, _ := NewNotifier(NotifierOptions{Config: db.Config(), BotToken: "xoxb-test", APIURL: fake.URL()})
			d, _ := monitor.NewDeliverer(monitor.DeliveryOptions{Store: db, Notifier: n, Clock: clock})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if left, err := d.Drain(ctx); left != 0 || err != nil {
				t.Fatalf("drain: %d %v", left, err)
			}
			if got := fake.Posted("C0BEAUTY01"); len(got) != 1 || got[0].Key != criticalAlert.Key {
				t.Fatalf("posted %+v, want the alert once", got)
			}
			m, _ = db.OutboxByKey(context.Background(), criticalAlert.Key)
			log, _ := db.DeliveryAttempts(context.Background(), m.ID)
			want := map[string]string{"after-send": "found", "before-send": "sent"}[mode]
			if m.Status != store.OutboxSent || m.TS != fake.Posted("C0BEAUTY01")[0].TS || len(log) != 1 || log[0].Outcome != want || log[0].Attempt != 2 {
				t.Errorf("after the restart: %+v, attempts %+v (want %s on attempt 2)", m, log, want)
			}
		})
	}
}

// crashNotifier dies (exit 7) before or after the real delivery.
type crashNotifier struct {
	*Notifier
	before bool
}

func (c crashNotifier) Deliver(ctx context.Context, out monitor.Outgoing) (monitor.Receipt, error) {
	if c.before {
		os.Exit(7)
	}
	rec, err := c.Notifier.Deliver(ctx, out)
	if err == nil {
		os.Exit(7) // Slack has it; the outbox does not know
	}
	return rec, err
}

// TestDeliveryCrashHelper is the process TestDeliveryCrash kills.
func TestDeliveryCrashHelper(t *testing.T) {
	path := os.Getenv("SHOPWATCH_CRASH_DB")
	if path == "" {
		t.Skip("run by TestDeliveryCrash")
	}
	db := mustOutboxDB(t, path)
	n, err := NewNotifier(NotifierOptions{Config: db.Config(), BotToken: "xoxb-test", APIURL: os.Getenv("SHOPWATCH_CRASH_API")})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := monitor.NewDeliverer(monitor.DeliveryOptions{Store: db, Notifier: crashNotifier{n, os.Getenv("SHOPWATCH_CRASH_MODE") == "before-send"},
		Lease: 30 * time.Second})
	_, _ = d.Drain(context.Background())
	t.Fatal("the helper should have died")
}
