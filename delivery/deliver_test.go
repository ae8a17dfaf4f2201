package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

const deliverConfig = "shops:\n  - id: \"1\"\n    timezone: Asia/Bangkok\n    channel: C1\nadmin_channel: CA\n"

// testMsg is the tests' message type: what a producer would write.
type testMsg struct{ Key, Channel string }

func decodeTestMsg(payload []byte) (*testMsg, error) {
	var m testMsg
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// mustOpen opens a fresh database with the config text.
func mustOpen(tb testing.TB, config string) *store.DB {
	tb.Helper()
	cfg, err := rules.ParseConfig([]byte(config))
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: filepath.Join(tb.TempDir(), "shopwatch.db"), Config: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// enqueue writes alert messages with the given keys and channels at now.
func enqueue(tb testing.TB, db *store.DB, now time.Time, thread string, keyChannel ...string) {
	tb.Helper()
	var msgs []store.OutboxMessage
	for i := 0; i+1 < len(keyChannel); i += 2 {
		m := testMsg{Key: keyChannel[i], Channel: keyChannel[i+1]}
		payload, _ := json.Marshal(m)
		msgs = append(msgs, store.OutboxMessage{Key: m.Key, ShopID: "1", Channel: m.Channel, Kind: "alert", ThreadKey: thread, Payload: payload})
	}
	if _, err := db.Enqueue(context.Background(), now, msgs...); err != nil {
		tb.Fatal(err)
	}
}

type (
	outgoing = Outgoing[*testMsg]
	options  = Options[*testMsg]
)

// recorder is a Notifier that keeps what it was sent, as Slack would: each
// message gets a timestamp, and Find looks among them by key.
type recorder struct {
	mu     sync.Mutex
	posted []outgoing
	byKey  map[string]Receipt
	fail   func(out outgoing) error // when set, may fail a delivery
	finds  int                      // calls of Find
}

func newRecorder() *recorder { return &recorder{byKey: map[string]Receipt{}} }

func (r *recorder) Deliver(ctx context.Context, out outgoing) (Receipt, error) {
	if r.fail != nil {
		if err := r.fail(out); err != nil {
			return Receipt{}, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posted = append(r.posted, out)
	rec := Receipt{TS: fmt.Sprintf("%d.000000", len(r.posted))}
	if out.Root != nil {
		rec.ThreadTS = out.Root.TS
	}
	r.byKey[out.Message.Key] = rec
	return rec, nil
}

func (r *recorder) Find(ctx context.Context, out outgoing) (Receipt, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finds++
	rec, ok := r.byKey[out.Message.Key]
	return rec, ok, nil
}

// keys returns the keys posted, in order.
func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.posted {
		out = append(out, p.Message.Key)
	}
	return out
}

// counters counts what the worker reports to its Metrics.
type counters struct {
	mu                  sync.Mutex
	attempts            map[string]int
	delivered, failures int
}

func (c *counters) Attempt(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.attempts == nil {
		c.attempts = map[string]int{}
	}
	c.attempts[outcome]++
}

func (c *counters) Delivered(string) { c.mu.Lock(); c.delivered++; c.mu.Unlock() }
func (c *counters) Failed()          { c.mu.Lock(); c.failures++; c.mu.Unlock() }

// newFakeClock returns the clock of a test's worker: fake, advanced by the
// worker itself (see Deliverer.idle) whenever it waits with no attempt in
// flight, so that a test runs in no time and the same way however busy the
// machine is.
func newFakeClock() *clockwork.FakeClock {
	return clockwork.NewFakeClockAt(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
}

// newDeliverer returns a worker on o.Clock, a fake clock it advances itself.
func newDeliverer(tb testing.TB, o options) *Deliverer[*testMsg] {
	tb.Helper()
	clock, ok := o.Clock.(*clockwork.FakeClock)
	if !ok {
		tb.Fatalf("the tests' worker needs a fake clock, not %T", o.Clock)
	}
	d, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	d.idle = clock.Advance
	return d
}

func drain(tb testing.TB, d *Deliverer[*testMsg], within time.Duration) int {
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
	db := mustOpen(t, deliverConfig)
	rec := newRecorder()
	clock := newFakeClock()
	var mu sync.Mutex
	at := map[string][]time.Time{}
	rec.fail = func(out outgoing) error {
		mu.Lock()
		at[out.Message.Channel] = append(at[out.Message.Channel], clock.Now())
		mu.Unlock()
		return nil
	}
	enqueue(t, db, clock.Now(), "", "a1", "C1", "b1", "C2", "a2", "C1", "a3", "C1", "b2", "C2")
	d := newDeliverer(t, options{Store: db, Notifier: rec, Decode: decodeTestMsg, Clock: clock, PerChannel: 100 * time.Millisecond})
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
			if gap := times[i].Sub(times[i-1]); gap < 100*time.Millisecond {
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
				return &Error{Class: ClassRateLimited, RetryAfter: 50 * time.Millisecond}
			}
			return nil
		}, store.OutboxSent, 1, "rate_limited"},
		{"a server error, then sent", func(n int) error {
			if n == 1 {
				return &Error{Class: ClassTemporary, Uncertain: true, Err: errors.New("503 Service Unavailable")}
			}
			return nil
		}, store.OutboxSent, 1, "temporary_error"},
		{"network errors until given up", func(int) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		}, store.OutboxFailed, 0, "temporary_error"},
		{"refused for good", func(int) error { return Permanent(errors.New("invalid_blocks")) }, store.OutboxFailed, 0, "rejected"},
		{"not in the channel: retried slowly until given up", func(int) error { return &Error{Class: ClassConfig, Err: errors.New("not_in_channel")} }, store.OutboxFailed, 0, "config_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t, deliverConfig)
			rec := newRecorder()
			n := 0
			rec.fail = func(outgoing) error { n++; return tt.err(n) }
			clock := newFakeClock()
			enqueue(t, db, clock.Now(), "", "k", "C1")
			metrics := &counters{}
			d := newDeliverer(t, options{Store: db, Notifier: rec, Decode: decodeTestMsg, Metrics: metrics, Clock: clock, PerChannel: 10 * time.Millisecond, MinBackoff: 10 * time.Millisecond,
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
				if metrics.failures != 1 || m.LastError == "" {
					t.Errorf("a failure is not visible: %d failures, %+v", metrics.failures, m)
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
	db := mustOpen(t, deliverConfig)
	rec := newRecorder()
	// The root goes to C2 (a shop whose channel changed since, say), its
	// follow-up to C1: the follow-up waits until the root is out.
	blocked := true
	var mu sync.Mutex
	rec.fail = func(out outgoing) error {
		mu.Lock()
		defer mu.Unlock()
		if out.Message.Key == "root" && blocked {
			blocked = false
			return &Error{Class: ClassTemporary, Uncertain: true, Err: errors.New("500")}
		}
		return nil
	}
	clock := newFakeClock()
	enqueue(t, db, clock.Now(), "", "root", "C2")
	enqueue(t, db, clock.Now(), "root", "reply", "C1")
	d := newDeliverer(t, options{Store: db, Notifier: rec, Decode: decodeTestMsg, Clock: clock, MinBackoff: 200 * time.Millisecond})
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
		name       string
		err        error
		class      Class
		retryAfter time.Duration
		uncertain  bool
	}{
		{"rate limited, with its wait", &Error{Class: ClassRateLimited, RetryAfter: time.Second}, ClassRateLimited, time.Second, false},
		{"wrapped, uncertain", fmt.Errorf("post: %w", &Error{Class: ClassTemporary, Uncertain: true}), ClassTemporary, 0, true},
		{"config", &Error{Class: ClassConfig}, ClassConfig, 0, false},
		{"permanent", Permanent(errors.New("bad template")), ClassPermanent, 0, false},
		{"a network error is temporary and uncertain", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}, ClassTemporary, 0, true},
		{"a timeout is temporary and uncertain", context.DeadlineExceeded, ClassTemporary, 0, true},
		{"anything else is temporary and uncertain", errors.New("something else"), ClassTemporary, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, ra, u := Classify(tt.err)
			if c != tt.class || ra != tt.retryAfter || u != tt.uncertain {
				t.Errorf("Classify(%v) = %s, %s, %v; want %s, %s, %v", tt.err, c, ra, u, tt.class, tt.retryAfter, tt.uncertain)
			}
		})
	}
}

// slowNotifier's first delivery runs until its context ends, as a chart
// drawn on a loaded machine or a stalled upload would; the others go to
// the recorder.
type slowNotifier struct {
	*recorder
	once sync.Once
}

func (s *slowNotifier) Deliver(ctx context.Context, out outgoing) (Receipt, error) {
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return s.recorder.Deliver(ctx, out)
	}
	<-ctx.Done()
	return Receipt{}, ctx.Err()
}

// An attempt ends before its lease does, so that a worker that claims the
// message after the lease cannot post it beside a late post of this one:
// the attempt is cut short, comes back uncertain, and its retry looks in
// Slack before it posts.
func TestAttemptEndsBeforeItsLease(t *testing.T) {
	db := mustOpen(t, deliverConfig)
	clock := newFakeClock()
	slow := &slowNotifier{recorder: newRecorder()}
	enqueue(t, db, clock.Now(), "", "k", "C1")
	d := newDeliverer(t, options{Store: db, Notifier: slow, Decode: decodeTestMsg, Clock: clock, Lease: 300 * time.Millisecond})
	start := time.Now()
	if n := drain(t, d, 10*time.Second); n != 0 {
		t.Fatalf("%d left: the slow attempt did not end before its lease", n)
	}
	m, err := db.OutboxByKey(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	log, err := db.DeliveryAttempts(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, a := range log {
		outcomes = append(outcomes, a.Outcome)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s: the slow attempt was not cut at 270 ms", took)
	}
	if got := slow.keys(); len(got) != 1 || m.Status != store.OutboxSent || slow.finds != 1 || fmt.Sprint(outcomes) != "[temporary_error sent]" {
		t.Errorf("posted %v, status %s, %d looks in Slack, attempts %v; want k once, sent after one look, [temporary_error sent]", got, m.Status, slow.finds, outcomes)
	}
}
