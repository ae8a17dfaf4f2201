package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

const deliverConfig = "shops:\n  - id: \"1\"\n    timezone: Asia/Bangkok\n    channel: C1\nadmin_channel: CA\n"

// enqueue writes alert messages with the given keys and channels.
func enqueue(tb testing.TB, db *store.DB, thread string, keyChannel ...string) {
	tb.Helper()
	var msgs []store.OutboxMessage
	for i := 0; i+1 < len(keyChannel); i += 2 {
		m := Message{Kind: KindAlert, Key: keyChannel[i], Channel: keyChannel[i+1], ShopID: "1",
			Alert: &Alert{Metric: rules.NRR, Transition: rules.TransitionWarn, To: rules.LevelWarn}}
		payload, _ := json.Marshal(m)
		msgs = append(msgs, store.OutboxMessage{Key: m.Key, ShopID: "1", Channel: m.Channel, Kind: KindAlert, ThreadKey: thread, Payload: payload})
	}
	if _, err := db.Enqueue(context.Background(), time.Now(), msgs...); err != nil {
		tb.Fatal(err)
	}
}

func drain(tb testing.TB, d *Deliverer, within time.Duration) int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	left, err := d.Drain(ctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		tb.Fatal(err)
	}
	return left
}

func TestDeliveryOrderAndPacing(t *testing.T) {
	db := MustOpen(t, deliverConfig)
	rec := newRecorder()
	var mu sync.Mutex
	at := map[string][]time.Time{}
	rec.fail = func(out Outgoing) error {
		mu.Lock()
		at[out.Message.Channel] = append(at[out.Message.Channel], time.Now())
		mu.Unlock()
		return nil
	}
	enqueue(t, db, "", "a1", "C1", "b1", "C2", "a2", "C1", "a3", "C1", "b2", "C2")
	d, err := NewDeliverer(DeliveryOptions{Store: db, Notifier: rec, PerChannel: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if left := drain(t, d, 10*time.Second); left != 0 {
		t.Fatalf("%d left", left)
	}
	// Each channel in order; channels in parallel.
	var c1, c2 []string
	for _, k := range rec.keys() {
		if strings.HasPrefix(k, "a") {
			c1 = append(c1, k)
		} else {
			c2 = append(c2, k)
		}
	}
	if fmt.Sprint(c1) != "[a1 a2 a3]" || fmt.Sprint(c2) != "[b1 b2]" {
		t.Errorf("order: %v %v", c1, c2)
	}
	for ch, times := range at {
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap < 95*time.Millisecond {
				t.Errorf("%s: messages %s apart", ch, gap)
			}
		}
	}
}

func TestDeliveryErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     func(n int) error // the n-th attempt's error (from 1)
		status  store.OutboxStatus
		posts   int
		outcome string // of the first attempt
	}{
		{"rate limited, then sent", func(n int) error {
			if n == 1 {
				return &slack.RateLimitedError{RetryAfter: 50 * time.Millisecond}
			}
			return nil
		}, store.OutboxSent, 1, "rate_limited"},
		{"a server error, then sent", func(n int) error {
			if n == 1 {
				return slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}
			}
			return nil
		}, store.OutboxSent, 1, "temporary_error"},
		{"network errors until given up", func(int) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		}, store.OutboxFailed, 0, "temporary_error"},
		{"refused for good", func(int) error { return slack.SlackErrorResponse{Err: "invalid_blocks"} }, store.OutboxFailed, 0, "rejected"},
		{"not in the channel: retried slowly until given up", func(int) error { return slack.SlackErrorResponse{Err: "not_in_channel"} }, store.OutboxFailed, 0, "config_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, deliverConfig)
			rec := newRecorder()
			n := 0
			rec.fail = func(Outgoing) error { n++; return tt.err(n) }
			enqueue(t, db, "", "k", "C1")
			metrics := NewMetrics()
			d, _ := NewDeliverer(DeliveryOptions{Store: db, Notifier: rec, Metrics: metrics, PerChannel: 10 * time.Millisecond, MinBackoff: 10 * time.Millisecond,
				MaxBackoff: 40 * time.Millisecond, GiveUpAfter: 300 * time.Millisecond})
			if left := drain(t, d, 10*time.Second); left != 0 {
				t.Fatalf("%d left", left)
			}
			m, _ := db.OutboxByKey(context.Background(), "k")
			if m.Status != tt.status || len(rec.keys()) != tt.posts {
				t.Errorf("status %s, %d posts; want %s, %d (last error %q)", m.Status, len(rec.keys()), tt.status, tt.posts, m.LastError)
			}
			log, _ := db.DeliveryAttempts(context.Background(), m.ID)
			if len(log) == 0 || log[0].Outcome != tt.outcome {
				t.Errorf("attempts %+v, want the first %s", log, tt.outcome)
			}
			if tt.status == store.OutboxFailed {
				if metrics.Counters().Failures != 1 || m.LastError == "" {
					t.Errorf("a failure is not visible: %+v, %+v", metrics.Counters(), m)
				}
				failed, _ := db.FailedOutbox(context.Background(), 10)
				if len(failed) != 1 {
					t.Errorf("failed outbox %+v", failed)
				}
			}
			if tt.name == "a server error, then sent" && rec.finds != 1 {
				t.Errorf("a message a 503 may have posted was looked for %d times before posting again", rec.finds)
			}
			if tt.name == "rate limited, then sent" && rec.finds != 0 {
				t.Errorf("a rate-limited message was looked for: Slack said it did not take it")
			}
		})
	}
}

func TestDeliveryThreadsWaitForTheirRoot(t *testing.T) {
	db := MustOpen(t, deliverConfig)
	rec := newRecorder()
	// The root goes to C2 (a shop whose channel changed since, say), its
	// follow-up to C1: the follow-up waits until the root is out.
	blocked := true
	var mu sync.Mutex
	rec.fail = func(out Outgoing) error {
		mu.Lock()
		defer mu.Unlock()
		if out.Message.Key == "root" && blocked {
			blocked = false
			return slack.StatusCodeError{Code: 500}
		}
		return nil
	}
	enqueue(t, db, "", "root", "C2")
	enqueue(t, db, "root", "reply", "C1")
	d, _ := NewDeliverer(DeliveryOptions{Store: db, Notifier: rec, MinBackoff: 200 * time.Millisecond})
	if left := drain(t, d, 20*time.Second); left != 0 {
		t.Fatalf("%d left", left)
	}
	if fmt.Sprint(rec.keys()) != "[root reply]" {
		t.Fatalf("posted %v", rec.keys())
	}
	if rec.posted[1].Root == nil || rec.posted[1].Root.TS != rec.byKey["root"].TS {
		t.Errorf("the reply was not threaded under the root: %+v", rec.posted[1].Root)
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		err       error
		class     ErrorClass
		uncertain bool
	}{
		{&slack.RateLimitedError{RetryAfter: time.Second}, ClassRateLimited, false},
		{fmt.Errorf("post: %w", slack.StatusCodeError{Code: 502}), ClassTemporary, true},
		{slack.StatusCodeError{Code: 404}, ClassConfig, false},
		{slack.SlackErrorResponse{Err: "channel_not_found"}, ClassConfig, false},
		{slack.SlackErrorResponse{Err: "msg_too_long"}, ClassPermanent, false},
		{slack.SlackErrorResponse{Err: "internal_error"}, ClassTemporary, false},
		{&PermanentError{errors.New("bad template")}, ClassPermanent, false},
		{context.DeadlineExceeded, ClassTemporary, true},
		{errors.New("something else"), ClassTemporary, true},
	} {
		c, _, u := Classify(tt.err)
		if c != tt.class || u != tt.uncertain {
			t.Errorf("Classify(%v) = %s, %v; want %s, %v", tt.err, c, u, tt.class, tt.uncertain)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 20: time.Minute} {
		got := backoff(attempts, time.Second, time.Minute)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("backoff(%d) = %s, want %s ± 20%%", attempts, got, want)
		}
	}
}
