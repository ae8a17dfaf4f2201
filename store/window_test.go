package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// windowFixture imports 60 days of orders, reviews, returns and chats for
// both test shops.
func windowFixture(tb testing.TB) *DB {
	tb.Helper()
	db := MustOpen(tb, testConfig)
	var orders, reviews, returns, chats strings.Builder
	orders.WriteString(ordersHeader)
	reviews.WriteString("review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n")
	returns.WriteString("return_id,order_id,shop_id,product_id,created_at,reason,type,status\n")
	chats.WriteString("message_id,conversation_id,shop_id,sender,sent_at,text\n")
	tags := []string{"damaged", "late_delivery", "", "not_as_described;damaged", "wrong_item"}
	reasons := []string{"Package or product is damaged", "No longer needed", "Weird reason", "not received", "Wrong item"}
	statuses := []string{"completed", "cancelled", "approved", "seller_won", "requested"}
	for _, shop := range []struct{ id, off string }{{"7495001", "+07:00"}, {"7495002", "-05:00"}} {
		for i := range 1200 {
			day := 1 + i/20%60
			created := fmt.Sprintf("2026-09-%02dT10:00:00%s", min(day, 30), shop.off)
			if day > 30 {
				created = fmt.Sprintf("2026-10-%02dT10:00:00%s", day-30, shop.off)
			}
			id := fmt.Sprintf("%s-%d", shop.id, i)
			p := fmt.Sprintf("p%d", i%5)
			fmt.Fprintf(&orders, "%s,%s,%s,%s,Item %s,%s,delivered\n", id, shop.id, p, created, p, strings.Replace(created, "T10", "T20", 1))
			if i%13 == 0 {
				fmt.Fprintf(&reviews, "r%s,%s,%s,%s,%d,%s,,%s\n", id, id, shop.id, p, 1+i%3, strings.Replace(created, "T10", "T21", 1), tags[i%len(tags)])
			}
			if i%17 == 0 {
				fmt.Fprintf(&returns, "x%s,%s,%s,%s,%s,%s,refund,%s\n", id, id, shop.id, p, strings.Replace(created, "T10", "T22", 1), reasons[i%len(reasons)], statuses[i%len(statuses)])
			}
			if i%7 == 0 {
				fmt.Fprintf(&chats, "m%s-1,c%s,%s,buyer,%s,hi\n", id, id, shop.id, created)
				if i%21 != 0 {
					fmt.Fprintf(&chats, "m%s-2,c%s,%s,shop,%s,hello\n", id, id, shop.id, strings.Replace(created, "T10", "T11", 1))
				}
			}
		}
	}
	MustImport(tb, db, Orders, "orders.csv", orders.String())
	MustImport(tb, db, Reviews, "reviews.csv", reviews.String())
	MustImport(tb, db, Returns, "returns.csv", returns.String())
	MustImport(tb, db, Chats, "chats.csv", chats.String())
	return db
}

func TestReportDaysMatchesReport(t *testing.T) {
	ctx := context.Background()
	db := windowFixture(t)
	for _, shop := range []string{"7495001", "7495002"} {
		for _, days := range [][]rules.Day{
			{rules.DateDay(2026, 10, 20), rules.DateDay(2026, 10, 13)},
			{rules.DateDay(2026, 10, 30)},
			{rules.DateDay(2026, 9, 15), rules.DateDay(2026, 10, 31), rules.DateDay(2026, 10, 1)},
		} {
			t.Run(fmt.Sprint(shop, days), func(t *testing.T) {
				got, err := db.ReportDays(ctx, shop, days...)
				if err != nil {
					t.Fatal(err)
				}
				for i, d := range days {
					want, err := db.Report(ctx, shop, d)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got[i], want) {
						t.Errorf("ReportDays(%s) differs from Report:\n got %+v\nwant %+v", d, got[i].Results, want.Results)
					}
				}
			})
		}
	}
	if _, err := db.ReportDays(ctx, "nope", rules.DateDay(2026, 10, 1)); err == nil {
		t.Error("unknown shop: no error")
	}
}

func TestFeedbackMatchesBreakdowns(t *testing.T) {
	ctx := context.Background()
	db := windowFixture(t)
	day := rules.DateDay(2026, 10, 25)
	for _, shop := range []string{"7495001", "7495002"} {
		t.Run(shop, func(t *testing.T) {
			f, err := db.Feedback(ctx, shop, day)
			if err != nil {
				t.Fatal(err)
			}
			report, _ := db.Report(ctx, shop, day)
			nrr, _ := db.Breakdown(ctx, shop, "nrr", day, 0)
			sfrr, _ := db.Breakdown(ctx, shop, "sfrr", day, 0)
			if !reflect.DeepEqual(f.Report, report) {
				t.Errorf("report differs")
			}
			if len(f.Causes) == 0 || !reflect.DeepEqual(f.Causes, nrr.Causes) {
				t.Errorf("causes:\n got %+v\nwant %+v", f.Causes, nrr.Causes)
			}
			if len(f.Reasons) == 0 || !reflect.DeepEqual(f.Reasons, sfrr.Causes) {
				t.Errorf("reasons:\n got %+v\nwant %+v", f.Reasons, sfrr.Causes)
			}
		})
	}
}

// TestChangeWatcher checks, write by write, that the data version moves
// and that exactly the shops whose answers may change see their count move.
func TestChangeWatcher(t *testing.T) {
	ctx := context.Background()
	db := windowFixture(t)
	db.SetConnections(4)
	w, err := db.WatchChanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// On PostgreSQL the version also moves for writes to the server's other
	// databases (serving.go), such as other tests': there, only that it
	// moves on each change is checked.
	steady := !db.pg
	v1, _ := w.Version(ctx)
	if v2, _ := w.Version(ctx); v2 != v1 && steady {
		t.Errorf("version moved without a change: %d, %d", v1, v2)
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	const a, b = "7495001", "7495002"
	tests := []struct {
		name  string
		write func() error
		moved []string // the shops whose count must move; the others must not
		noop  bool     // writes nothing: the version stays
	}{
		{"orders of one shop", func() error {
			_, err := db.Import(ctx, Orders, []Source{{Name: "o.csv", R: strings.NewReader(ordersHeader + "late-1,7495001,p1,2026-10-30T10:00:00+07:00,Item,,\n")}}, ImportOptions{})
			return err
		}, []string{a}, false},
		{"reviews of both shops", func() error {
			_, err := db.Import(ctx, Reviews, []Source{{Name: "r.csv", R: strings.NewReader("review_id,order_id,shop_id,product_id,rating,created_at\n" +
				"n1,7495001-1,7495001,p1,1,2026-10-30T10:00:00+07:00\nn2,7495002-1,7495002,p1,2,2026-10-30T10:00:00-05:00\n")}}, ImportOptions{})
			return err
		}, []string{a, b}, false},
		{"returns, an invalid row skipped", func() error {
			_, err := db.Import(ctx, Returns, []Source{{Name: "x.csv", R: strings.NewReader("return_id,order_id,shop_id,product_id,created_at,reason,type,status\n" +
				"n1,7495002-1,7495002,p1,2026-10-30T10:00:00-05:00,Wrong item,refund,approved\nn2,7495002-2,7495002,p1,yesterday,Wrong item,refund,approved\n")}}, ImportOptions{SkipInvalid: true})
			return err
		}, []string{b}, false},
		{"chats", func() error {
			_, err := db.Import(ctx, Chats, []Source{{Name: "c.csv", R: strings.NewReader("message_id,conversation_id,shop_id,sender,sent_at,text\n" +
				"m1,c1,7495002,buyer,2026-10-30T10:00:00-05:00,hi\n")}}, ImportOptions{})
			return err
		}, []string{b}, false},
		{"a mute", func() error {
			return db.SetMute(ctx, Mute{ShopID: a, Metric: MuteAll, Until: now.Add(time.Hour), At: now, By: "U1", Channel: "C1"})
		}, []string{a}, false},
		{"an unmute", func() error { _, err := db.Unmute(ctx, a, "", now); return err }, []string{a}, false},
		{"an unmute of nothing", func() error { _, err := db.Unmute(ctx, b, "", now); return err }, nil, true},
		{"the monitor's records", func() error { return db.MarkRun(ctx, a, "evaluate", 20400, now) }, nil, false},
		{"a sync run", func() error { return db.RecordSyncRun(ctx, SyncRun{ShopID: b, Kind: Orders, At: now, Records: 3}) }, nil, false},
	}
	before, err := w.ShopChanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 2 {
		t.Fatalf("counts of %d shops, want 2: %v", len(before), before)
	}
	version, _ := w.Version(ctx)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.write(); err != nil {
				t.Fatal(err)
			}
			v, _ := w.Version(ctx)
			if moved := v != version; moved == tt.noop && (steady || !moved) {
				t.Errorf("version moved = %v", moved)
			}
			version = v
			if again, _ := w.Version(ctx); again != v && steady {
				t.Error("version moved again without a change")
			}
			after, err := w.ShopChanges(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for id, n := range after {
				if moved := n != before[id]; moved != slices.Contains(tt.moved, id) {
					t.Errorf("shop %s: count moved = %v (from %d to %d), want %v", id, moved, before[id], n, !moved)
				}
			}
			before = after
		})
	}
}

// When the classification rules change between runs, the stored reviews
// and returns are classified again on open, and every shop's answers are
// marked changed; opening again with the same rules changes nothing.
func TestReclassifyOnOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shopwatch.db")
	db := MustOpenAt(t, path, testConfig)
	MustImport(t, db, Orders, "orders.csv", ordersHeader+"o1,7495001,p1,2026-11-01T10:00:00+07:00,Serum,2026-11-03T10:00:00+07:00,delivered\n")
	MustImport(t, db, Reviews, "reviews.csv", "review_id,order_id,shop_id,product_id,rating,created_at,text\n"+
		"r1,o1,7495001,p1,1,2026-11-04T10:00:00+07:00,botolnya hancur total\n")
	MustImport(t, db, Returns, "returns.csv", "return_id,order_id,shop_id,product_id,created_at,reason\n"+
		"x1,o1,7495001,p1,2026-11-04T10:00:00+07:00,barang rosak\n")
	day := rules.DateDay(2026, 11, 10)
	explain := func(db *DB) (string, bool) {
		t.Helper()
		e, err := db.Explain(ctx, "7495001", day, 0)
		if err != nil {
			t.Fatal(err)
		}
		var review string
		if c := e.Causes[rules.NRR]; len(c) > 0 {
			review = c[0].Name
		}
		ret := e.Causes[rules.SFRR]
		return review, len(ret) == 1 && !ret[0].Unclassified
	}
	if cause, classified := explain(db); cause == "damaged" || classified {
		t.Fatalf("before the keywords: cause %q, return classified %v", cause, classified)
	}
	before := watch(t, db)
	db.Close()

	keywords := testConfig + "cause_keywords:\n  damaged: [\"hancur\"]\nreason_keywords:\n  seller: [\"rosak\"]\n"
	db = MustOpenAt(t, path, keywords)
	if cause, classified := explain(db); cause != "damaged" || !classified {
		t.Errorf("after the keywords: cause %q, return classified %v", cause, classified)
	}
	after := watch(t, db)
	db.Close()
	for id, n := range after {
		if n <= before[id] {
			t.Errorf("shop %s: change count %d, %d before the reclassification", id, n, before[id])
		}
	}
	db = MustOpenAt(t, path, keywords)
	if again := watch(t, db); !reflect.DeepEqual(again, after) {
		t.Errorf("opening with the same rules moved the change counts: %v, then %v", after, again)
	}
}

// watch reads the shops' change counts through a change watcher.
func watch(tb testing.TB, db *DB) map[string]int64 {
	tb.Helper()
	ctx := context.Background()
	w, err := db.WatchChanges(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Close()
	counts, err := w.ShopChanges(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return counts
}
