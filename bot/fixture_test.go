package bot

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Channels of the fixture config.
const (
	chanBeauty = "C0BEAUTY01" // shop 7495001 only
	chanUS     = "C0USSHOPS1" // shops 7495002 and 7495003
	chanAdmin  = "C0ADMIN001"
	chanOther  = "C0OTHER001" // no shop
	chanDM     = "D0DIRECT01"
)

const fixtureConfig = `shops:
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
    profile: sea
    channel: C0BEAUTY01
  - id: "7495002"
    name: "Acme Home US"
    timezone: America/New_York
    profile: us
    channel: C0USSHOPS1
  - id: "7495003"
    name: "Acme Pets US"
    timezone: America/New_York
    profile: default
    channel: C0USSHOPS1
admin_channel: C0ADMIN001
`

// fixtureNow is the instant the fixture's answers are for: noon in
// Bangkok and midnight in New York on 2026-11-21, so every shop's
// yesterday is 2026-11-20.
var fixtureNow = time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)

type fixtureShop struct {
	id, zone       string
	days, perDay   int
	negEvery       int // a negative review on every n-th order (0: none)
	returnEvery    int
	lateChatEvery  int // every n-th buyer chat is answered late
	chatsPerDay    int
	troubleFromDay int // from this day on (0-based), negatives come twice as often
}

var fixtureShops = []fixtureShop{
	{id: "7495001", zone: "Asia/Bangkok", days: 70, perDay: 40, negEvery: 45, returnEvery: 60, lateChatEvery: 9, chatsPerDay: 8, troubleFromDay: 60},
	{id: "7495002", zone: "America/New_York", days: 70, perDay: 30, negEvery: 400, returnEvery: 250, lateChatEvery: 40, chatsPerDay: 5},
	{id: "7495003", zone: "America/New_York", days: 20, perDay: 1, chatsPerDay: 0}, // too small to judge
}

var products = []struct{ id, name string }{
	{"1729000000000000001", "Vitamin C Serum 30ml"},
	{"1729000000000000002", "Hydrating Toner 150ml"},
	{"1729000000000000003", "Sheet Mask <Rose> & Honey"},
	{"1729000000000000004", "Lip Balm Trio"},
}

// Reviews and returns the fixture cycles through.
var (
	fixtureReviews = []struct{ tags, text string }{
		{"damaged", "box crushed"},
		{"", "Arrived broken and leaking"},
		{"not_as_described", ""},
		{"", "does not match the description at all"},
		{"missing_item;damaged", ""},
		{"late_delivery", "took three weeks"},
		{"", "meh"},
	}
	fixtureReturns = []struct{ reason, status string }{
		{"Package or product is damaged", "completed"},
		{"ecom_order_delivered_refund_reason_not_as_described", "approved"},
		{"Received parcel, but some items were missing", "requested"},
		{"No longer needed", "completed"},
		{"Something odd happened", "completed"},
		{"Package or product is damaged", "cancelled"},
	}
)

// fixtureCSV writes the four CSV files of the fixture shops, ending on
// 2026-11-20, and returns them by kind.
func fixtureCSV() (map[store.Kind]string, error) {
	var orders, reviews, returns, chats strings.Builder
	orders.WriteString("order_id,shop_id,product_id,created_at,product_name,delivered_at,status\n")
	reviews.WriteString("review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n")
	returns.WriteString("return_id,order_id,shop_id,product_id,created_at,reason,type,status\n")
	chats.WriteString("message_id,conversation_id,shop_id,sender,sent_at,text\n")
	end := rules.DateDay(2026, 11, 20)
	const ts = time.RFC3339
	for si, fs := range fixtureShops {
		loc, err := time.LoadLocation(fs.zone)
		if err != nil {
			return nil, err
		}
		n, neg, ret := 0, 0, 0
		for d := range fs.days {
			day := end - rules.Day(fs.days-1-d)
			start := day.Start(loc)
			negEvery := fs.negEvery
			if fs.troubleFromDay > 0 && d >= fs.troubleFromDay {
				negEvery = max(1, negEvery/2)
			}
			for i := range fs.perDay {
				n++
				id := fmt.Sprintf("%d%07d", si+1, n)
				p := products[n%len(products)]
				if n%7 == 0 {
					p = products[0] // the first product sells (and fails) most
				}
				created := start.Add(time.Duration(8*60+i*10) * time.Minute)
				delivered := created.Add(72 * time.Hour)
				fmt.Fprintf(&orders, "%s,%s,%s,%s,\"%s\",%s,delivered\n", id, fs.id, p.id, created.Format(ts), p.name, delivered.Format(ts))
				if n%9 == 0 { // a second line on some orders
					q := products[(n+1)%len(products)]
					fmt.Fprintf(&orders, "%s,%s,%s,%s,\"%s\",%s,delivered\n", id, fs.id, q.id, created.Format(ts), q.name, delivered.Format(ts))
				}
				at := delivered.Add(24 * time.Hour)
				if negEvery > 0 && n%negEvery == 0 && rules.DayOf(at, loc) <= end {
					rv := fixtureReviews[neg%len(fixtureReviews)]
					neg++
					fmt.Fprintf(&reviews, "r%s,%s,%s,%s,%d,%s,%s,%s\n", id, id, fs.id, p.id, 1+neg%2, at.Format(ts), rv.text, rv.tags)
				}
				if fs.returnEvery > 0 && n%fs.returnEvery == 0 && rules.DayOf(at, loc) <= end {
					rt := fixtureReturns[ret%len(fixtureReturns)]
					ret++
					fmt.Fprintf(&returns, "x%s,%s,%s,%s,%s,\"%s\",refund,%s\n", id, id, fs.id, p.id, at.Format(ts), rt.reason, rt.status)
				}
			}
			for c := range fs.chatsPerDay {
				conv := fmt.Sprintf("c%d-%d-%d", si+1, d, c)
				asked := start.Add(time.Duration(9+c*2) * time.Hour)
				fmt.Fprintf(&chats, "%s-1,%s,%s,buyer,%s,hello?\n", conv, conv, fs.id, asked.Format(ts))
				reply := asked.Add(90 * time.Minute)
				if fs.lateChatEvery > 0 && (d*fs.chatsPerDay+c)%fs.lateChatEvery == 0 {
					reply = asked.Add(30 * time.Hour)
				}
				if d == fs.days-1 && c == fs.chatsPerDay-1 {
					continue // the day's last chat is still waiting at its end
				}
				fmt.Fprintf(&chats, "%s-2,%s,%s,agent,%s,hi!\n", conv, conv, fs.id, reply.Format(ts))
			}
		}
	}
	return map[store.Kind]string{store.Orders: orders.String(), store.Reviews: reviews.String(), store.Returns: returns.String(), store.Chats: chats.String()}, nil
}

// fixtureFile is a database with the fixture imported, built once per test
// binary (importing under -race is slow) and copied per test: a SQLite
// file, or on PostgreSQL (storetest.BackendEnv) a database used as the
// template of each test's own.
var fixtureFile = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "shopwatch-bot-fixture-")
	if err != nil {
		return "", err
	}
	cfg, err := rules.ParseConfig([]byte(fixtureConfig))
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	path := filepath.Join(dir, "fixture.db")
	if storetest.OnPostgres() {
		if path, dropFixture, err = storetest.NewPostgres("bot_fixture", ""); err != nil {
			return "", err
		}
	}
	db, err := store.Open(ctx, store.Options{DSN: path, Config: cfg})
	if err != nil {
		return "", err
	}
	defer db.Close()
	files, err := fixtureCSV()
	if err != nil {
		return "", err
	}
	for _, kind := range []store.Kind{store.Orders, store.Reviews, store.Returns, store.Chats} {
		src := []store.Source{{Name: string(kind) + ".csv", R: strings.NewReader(files[kind])}}
		if _, err := db.Import(ctx, kind, src, store.ImportOptions{}); err != nil {
			return "", fmt.Errorf("import %s: %w", kind, err)
		}
	}
	return path, nil
})

// dropFixture drops the PostgreSQL fixture database, if one was made.
var dropFixture = func() error { return nil }

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if path, err := fixtureFile(); err == nil && !storetest.OnPostgres() {
		os.RemoveAll(filepath.Dir(path))
	}
	if err := dropFixture(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// MustFixtureDB opens a fresh copy of the fixture database, in its own
// SQLite file (or PostgreSQL database), and returns it and a directory
// holding its config.
func MustFixtureDB(tb testing.TB) (*store.DB, string) {
	tb.Helper()
	cfg, err := rules.ParseConfig([]byte(fixtureConfig))
	if err != nil {
		tb.Fatal(err)
	}
	return mustFixtureDBWith(tb, cfg)
}

// mustFixtureDBWith is MustFixtureDB with the given config, which must be
// the fixture's, opened for the given shops only (store.Options.Shops).
func mustFixtureDBWith(tb testing.TB, cfg *rules.Config, shops ...string) (*store.DB, string) {
	tb.Helper()
	src, err := fixtureFile()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	path := filepath.Join(dir, "shopwatch.db")
	if storetest.OnPostgres() {
		path = storetest.PostgresFrom(tb, src)
	} else {
		data, err := os.ReadFile(src)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "shopwatch.yaml"), []byte(fixtureConfig), 0o644); err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: path, Config: cfg, Shops: shops})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, dir
}

// MustHandler returns a handler over the fixture database at fixtureNow.
func MustHandler(tb testing.TB, db Store) *Handler {
	tb.Helper()
	h, err := NewHandler(Options{DB: db, Clock: clockwork.NewFakeClockAt(fixtureNow)})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

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
		tb.Errorf("%s differs from the golden file (check, then run go test -update):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
