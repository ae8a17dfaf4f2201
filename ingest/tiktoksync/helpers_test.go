package tiktoksync_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

const (
	shopID    = "7495001"
	otherShop = "7495002"
	secretKey = "test secret key, 32 characters.."
)

const testConfig = `shops:
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
    profile: sea
  - id: "7495002"
    name: "Acme Beauty MY"
    timezone: Asia/Kuala_Lumpur
`

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fixture is a fake TikTok with two shops, a database with both in its
// config, and a syncer between them.
type fixture struct {
	srv    *tiktoktest.Server
	db     *store.DB
	raw    *sql.DB // the same file, for checks
	path   string
	s      *tiktoksync.Syncer
	logs   *logBuffer
	now    func() time.Time
	client *tiktok.Client
}

// fixtureOptions adjust a fixture.
type fixtureOptions struct {
	fake   tiktoktest.Options
	client func(*tiktok.Options)
	sync   func(*tiktoksync.Options)
}

// MustFixture starts a fixture; the shop 7495001 is authorized unless
// noAuth.
func MustFixture(tb testing.TB, fo fixtureOptions) *fixture {
	tb.Helper()
	srv := tiktoktest.New(tb, fo.fake)
	srv.AddShop(tiktoktest.Shop{ID: shopID, Name: "Acme Beauty TH"})
	srv.AddShop(tiktoktest.Shop{ID: otherShop, Name: "Acme Beauty MY", Region: "MY"})
	copts := srv.ClientOptions()
	if fo.client != nil {
		fo.client(&copts)
	}
	client, err := tiktok.New(copts)
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := rules.ParseConfig([]byte(testConfig))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "shopwatch.db")
	db, err := store.Open(tb.Context(), store.Options{DSN: path, Config: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	logs := &logBuffer{}
	clock := copts.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	opts := tiktoksync.Options{
		DB: db, Client: client, SecretKey: secretKey, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if fo.sync != nil {
		fo.sync(&opts)
	}
	s, err := tiktoksync.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{srv: srv, db: db, raw: raw, path: path, s: s, logs: logs, now: clock.Now, client: client}
}

// MustAuthorize authorizes shopID through the fake's auth host.
func (f *fixture) MustAuthorize(tb testing.TB, shops ...string) tiktoksync.Authorization {
	tb.Helper()
	code := fmt.Sprintf("code-%d", f.srv.Total())
	f.srv.AddAuthCode(code, shops...)
	a, err := f.s.Authorize(tb.Context(), shops[0], code)
	if err != nil {
		tb.Fatalf("Authorize: %v", err)
	}
	return a
}

// MustSync syncs the shop and fails the test on error.
func (f *fixture) MustSync(tb testing.TB) []tiktoksync.Result {
	tb.Helper()
	res, err := f.s.SyncShop(tb.Context(), shopID)
	if err != nil {
		tb.Fatalf("SyncShop: %v", err)
	}
	return res
}

func (f *fixture) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := f.raw.QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// status returns the shop's sync status of kind.
func (f *fixture) status(tb testing.TB, kind store.Kind) store.SyncStatus {
	tb.Helper()
	all, err := f.db.SyncStatuses(tb.Context(), shopID)
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range all {
		if s.Kind == kind {
			return s
		}
	}
	tb.Fatalf("no %s sync status", kind)
	return store.SyncStatus{}
}

func records(res []tiktoksync.Result) map[store.Kind]int {
	m := map[store.Kind]int{}
	for _, r := range res {
		m[r.Kind] = r.Records
	}
	return m
}

// orderLines counts the stored order lines (order_id + product_id).
func (f *fixture) orderLines(tb testing.TB) int {
	tb.Helper()
	return f.count(tb, `SELECT COALESCE(SUM(LENGTH(products) - LENGTH(REPLACE(products, char(10), '')) + 1), 0) FROM orders`)
}

// rollupExact checks that the daily rollup agrees with the orders table.
func (f *fixture) rollupExact(tb testing.TB) {
	tb.Helper()
	created := f.count(tb, `SELECT COALESCE(SUM(created), 0) FROM shop_days`)
	delivered := f.count(tb, `SELECT COALESCE(SUM(delivered), 0) FROM shop_days`)
	orders := f.count(tb, `SELECT COUNT(*) FROM orders`)
	deliveredOrders := f.count(tb, `SELECT COUNT(*) FROM orders WHERE delivered_at IS NOT NULL`)
	if created != orders || delivered != deliveredOrders {
		tb.Fatalf("rollup: %d created, %d delivered; orders table: %d orders, %d delivered", created, delivered, orders, deliveredOrders)
	}
}

// MustRun runs f's syncer until the test ends and waits for its first
// scheduled sync. It returns the count of notifications the worker has
// handled: every accepted notification of a handled type is queued once, so
// the worker is done when it has handled as many as were accepted.
func (f *fixture) MustRun(tb testing.TB) *atomic.Int64 {
	tb.Helper()
	var handled atomic.Int64
	tiktoksync.SetAfterBatch(f.s, func(n int) { handled.Add(int64(n)) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.s.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
	})
	waitFor(tb, "the first scheduled sync", func() bool {
		sts, _ := f.db.SyncStatuses(ctx, shopID)
		return len(sts) == len(tiktoksync.SyncedKinds)
	})
	return &handled
}
