package monitor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/demo"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// demoEnd is the last day of the generated data in tests.
var demoEnd = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// MustDemo generates a demo data set of days days ending demoEnd (shops
// shops, the demo's scenarios) into a fresh database, with extra appended
// to the generated config.
func MustDemo(tb testing.TB, shops, days int, extra string) *store.DB {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := demo.Generate(dir, demo.Options{Shops: shops, Days: days, OrdersPerDay: 60, Seed: 1, End: demoEnd}); err != nil {
		tb.Fatal(err)
	}
	return MustImportDemo(tb, dir, extra)
}

// MustImportDemo opens a fresh database in dir, a generated demo data set
// (perhaps edited), with extra appended to its config, and imports it.
func MustImportDemo(tb testing.TB, dir, extra string) *store.DB {
	tb.Helper()
	cfgText, err := os.ReadFile(filepath.Join(dir, demo.ConfigFile))
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := rules.ParseConfig(append(cfgText, extra...))
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: storetest.DSN(tb), Config: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	for _, kind := range store.Kinds {
		f, err := os.Open(filepath.Join(dir, string(kind)+".csv"))
		if err != nil {
			tb.Fatal(err)
		}
		_, err = db.Import(context.Background(), kind, []store.Source{{Name: f.Name(), R: f}}, store.ImportOptions{})
		f.Close()
		if err != nil {
			tb.Fatalf("import %s: %v", kind, err)
		}
	}
	return db
}

// MustOpen opens a fresh database with the config text.
func MustOpen(tb testing.TB, config string) *store.DB {
	tb.Helper()
	cfg, err := rules.ParseConfig([]byte(config))
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: storetest.DSN(tb), Config: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// recorder is a Notifier that keeps what it was sent, as Slack would: each
// message gets a timestamp, and Find looks among them by key.
type recorder struct {
	mu     sync.Mutex
	posted []Outgoing
	byKey  map[string]Receipt
	fail   func(out Outgoing) error // when set, may fail a delivery
	finds  int                      // calls of Find
}

func newRecorder() *recorder { return &recorder{byKey: map[string]Receipt{}} }

func (r *recorder) Deliver(ctx context.Context, out Outgoing) (Receipt, error) {
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

func (r *recorder) Find(ctx context.Context, out Outgoing) (Receipt, bool, error) {
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

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posted = nil
}

// laterClock is the real clock moved to testNow: its timers run in real
// time, but the test's synthetic run instants are all in its past.
type laterClock struct {
	clockwork.Clock
	offset time.Duration
}

// testNow is where laterClock's time starts: after every date of the
// generated data.
var testNow = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

func newLaterClock() laterClock {
	return laterClock{Clock: clockwork.NewRealClock(), offset: time.Until(testNow)}
}

func (c laterClock) Now() time.Time                  { return time.Now().Add(c.offset) }
func (c laterClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c laterClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// MustMonitor returns a monitor over db that delivers to rec quickly.
func MustMonitor(tb testing.TB, db Store, rec Notifier) *Monitor {
	tb.Helper()
	m, err := New(Options{DB: db, Notifier: rec, Clock: newLaterClock(), Delivery: DeliveryOptions{PerChannel: time.Millisecond, MinBackoff: time.Millisecond}})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// MustDrain delivers the outbox and fails when anything is left.
func MustDrain(tb testing.TB, m *Monitor) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if left, err := m.Deliver(ctx); err != nil || left != 0 {
		msgs, _ := m.db.UndeliveredOutbox(context.Background(), 10)
		for _, msg := range msgs {
			tb.Logf("undelivered: %s status %s attempts %d next %s thread %q error %q", msg.Key, msg.Status, msg.Attempts, msg.NextAt, msg.ThreadKey, msg.LastError)
		}
		tb.Fatalf("deliver: %d left: %v", left, err)
	}
}

// runAt is the instant of the daily run for day: 07:00 UTC the day after.
func runAt(day rules.Day) time.Time {
	y, mo, d := (day + 1).Date()
	return time.Date(y, mo, d, 7, 0, 0, 0, time.UTC)
}
