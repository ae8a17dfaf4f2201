package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// The scenario: shop 7495002 in New York (default profile), evaluated for
// 2026-11-02, the day after DST ended. The 30-day window is 2026-10-04 ..
// 2026-11-02; T is 2026-11-03T00:00:00-05:00.
const scenarioOrders = ordersHeader +
	// 38 plain delivered orders mid-window.
	"{{plain}}" +
	"edge-first,7495002,p1,2026-10-01T09:00:00-04:00,Serum,2026-10-04T00:00:00-04:00,delivered\n" +
	"edge-before,7495002,p1,2026-10-01T09:00:00-04:00,Serum,2026-10-03T23:59:59-04:00,delivered\n" +
	"edge-last,7495002,p1,2026-10-30T09:00:00-04:00,Serum,2026-11-02T23:59:59-05:00,delivered\n" +
	"edge-at-T,7495002,p1,2026-10-30T09:00:00-04:00,Serum,2026-11-03T00:00:00-05:00,delivered\n" +
	"edge-dst,7495002,p1,2026-10-28T09:00:00-04:00,Serum,2026-11-01T01:30:00-05:00,delivered\n" +
	"two-lines,7495002,p1,2026-10-20T09:00:00-04:00,Serum,2026-10-22T09:00:00-04:00,delivered\n" +
	"two-lines,7495002,p2,2026-10-20T09:00:00-04:00,Toner,2026-10-22T09:00:00-04:00,delivered\n" +
	"undelivered,7495002,p2,2026-10-20T09:00:00-04:00,Toner,,in_transit\n" +
	"other-shop,7495001,p1,2026-10-20T09:00:00+07:00,Serum,2026-10-22T09:00:00+07:00,delivered\n"

const scenarioReviews = "review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n" +
	"r1,A,7495002,p1,1,2026-10-25T10:00:00-04:00,,damaged\n" +
	"r2,A,7495002,p2,2,2026-10-26T10:00:00-04:00,\"Arrived broken, sadly\",\n" +
	"r3,B,7495002,p1,1,2026-10-25T10:00:00-04:00,took ages,late_delivery\n" +
	"r4,C,7495002,p1,2,2026-10-25T10:00:00-04:00,Not happy.,\n" +
	"r5,D,7495002,p1,3,2026-10-25T10:00:00-04:00,broken,\n" +
	"r6,E,7495002,p1,1,2026-10-03T23:59:59-04:00,,damaged\n" +
	"r7,F,7495002,p1,1,2026-11-03T00:00:00-05:00,,damaged\n" +
	"r8,G,7495002,p3,2,2026-11-01T01:10:00-05:00,,counterfeit;late_delivery\n" +
	"r9,H,7495001,p1,1,2026-10-25T10:00:00+07:00,,damaged\n"

const scenarioReturns = "return_id,order_id,shop_id,product_id,created_at,reason,type,status\n" +
	"x1,A,7495002,p1,2026-10-25T10:00:00-04:00,ecom_order_delivered_refund_reason_damaged,refund,completed\n" +
	"x2,B,7495002,p1,2026-10-25T10:00:00-04:00,No longer needed,refund,completed\n" +
	"x3,C,7495002,p1,2026-10-25T10:00:00-04:00,Package or product is damaged,refund,cancelled\n" +
	"x4,D,7495002,p1,2026-10-25T10:00:00-04:00,Suspected counterfeit,return_and_refund,seller_won\n" +
	"x5,E,7495002,p1,2026-10-25T10:00:00-04:00,ecom_order_delivered_refund_reason_not_received,refund,approved\n" +
	"x6,F,7495002,p2,2026-10-25T10:00:00-04:00,Something weird,refund,requested\n" +
	"x7,A,7495002,p2,2026-10-26T10:00:00-04:00,Received parcel but some items were missing,refund,\n"

const scenarioChats1 = "message_id,conversation_id,shop_id,sender,sent_at,text\n" +
	"c1a,c1,7495002,buyer,2026-10-20T10:00:00-04:00,hi\n" +
	"c2a,c2,7495002,buyer,2026-10-20T10:00:00-04:00,hi\n" +
	"c2b,c2,7495002,agent,2026-10-20T22:00:00-04:00,hello\n" +
	"c3a,c3,7495002,buyer,2026-10-20T10:00:00-04:00,hi\n" +
	"c3b,c3,7495002,shop,2026-10-20T22:00:01-04:00,hello\n" +
	"c4a,c4,7495002,system,2026-10-20T09:00:00-04:00,order card\n" +
	"c4b,c4,7495002,shop,2026-10-20T10:00:00-04:00,your order shipped\n" +
	"c4c,c4,7495002,buyer,2026-10-21T10:00:00-04:00,thanks\n" +
	"c5a,c5,7495002,buyer,2026-11-02T12:00:00-05:00,where is it\n" +
	"c6a,c6,7495002,buyer,2026-11-02T10:00:00-05:00,hello?\n" +
	"c6b,c6,7495002,shop,2026-11-03T01:00:00-05:00,sorry\n" +
	"c7a,c7,7495002,buyer,2026-10-03T23:00:00-04:00,hi\n" +
	"c7b,c7,7495002,shop,2026-10-04T00:30:00-04:00,hi\n" +
	"c8b,c8,7495002,robot,2026-10-10T10:00:00-04:00,We will reply soon\n" +
	"c8a,c8,7495002,buyer,2026-10-10T10:00:00-04:00,is this original?\n" +
	"c8c,c8,7495002,buyer,2026-10-10T10:05:00-04:00,hello??\n"

// The second file brings replies to conversations of the first.
const scenarioChats2 = "message_id,conversation_id,shop_id,sender,sent_at,text\n" +
	"c1b,c1,7495002,shop,2026-10-20T10:30:00-04:00,hello\n" +
	"c8d,c8,7495002,shop,2026-10-11T12:00:00-04:00,yes it is\n"

func loadScenario(tb testing.TB) *DB {
	tb.Helper()
	return loadScenarioInto(tb, MustOpen(tb, testConfig))
}

func loadScenarioInto(tb testing.TB, db *DB) *DB {
	tb.Helper()
	plain := ""
	for i := range 38 {
		plain += "plain" + string(rune('A'+i%26)) + string(rune('a'+i/26)) + ",7495002,p1,2026-10-10T09:00:00-04:00,Serum,2026-10-12T09:00:00-04:00,delivered\n"
	}
	orders := scenarioOrders[:len(ordersHeader)] + plain + scenarioOrders[len(ordersHeader)+len("{{plain}}"):]
	MustImport(tb, db, Orders, "orders.csv", orders)
	MustImport(tb, db, Reviews, "reviews.csv", scenarioReviews)
	MustImport(tb, db, Returns, "returns.csv", scenarioReturns)
	MustImport(tb, db, Chats, "chats1.csv", scenarioChats1)
	MustImport(tb, db, Chats, "chats2.csv", scenarioChats2)
	return db
}

func TestReportScenario(t *testing.T) {
	db := loadScenario(t)
	D := rules.DateDay(2026, 11, 2)
	r, err := db.Report(context.Background(), "7495002", D)
	if err != nil {
		t.Fatal(err)
	}
	const delivered = 38 + 4 // plain + edge-first, edge-last, edge-dst, two-lines
	h := func(hours, minutes, seconds float64) float64 { return hours + minutes/60 + seconds/3600 }
	tests := []struct {
		metric   rules.Metric
		num, den int
		level    rules.Level
		pending  int
		avg      float64
		replied  int
	}{
		{metric: rules.NRR, num: 3, den: delivered, level: rules.LevelCritical},                      // A, C (other), G
		{metric: rules.NRRProduct, num: 1, den: delivered, level: rules.LevelNone},                   // G
		{metric: rules.NRRService, num: 1, den: delivered, level: rules.LevelNone},                   // A
		{metric: rules.SFRR, num: 2, den: delivered, level: rules.LevelCritical},                     // A, F (unclassified)
		{metric: rules.ChatResponseRate, num: 3, den: 6, pending: 1, level: rules.LevelInsufficient}, // c1 c2 c8a / c3 c6 c8c
		{metric: rules.ChatAvgResponseHours, level: rules.LevelNone, replied: 5,
			avg: (h(0, 30, 0) + h(12, 0, 0) + h(12, 0, 1) + 0 + h(25, 55, 0)) / 5},
	}
	for _, tt := range tests {
		t.Run(string(tt.metric), func(t *testing.T) {
			res := r.Results[tt.metric]
			if res.Level != tt.level {
				t.Errorf("level = %s, want %s", res.Level, tt.level)
			}
			if tt.metric == rules.ChatAvgResponseHours {
				if res.Count != tt.replied || math.Abs(res.Value-tt.avg) > 1e-9 {
					t.Errorf("avg = %v over %d, want %v over %d", res.Value, res.Count, tt.avg, tt.replied)
				}
				return
			}
			if res.Numerator != tt.num || res.Denominator != tt.den || res.Pending != tt.pending {
				t.Errorf("= %d/%d pending %d, want %d/%d pending %d", res.Numerator, res.Denominator, res.Pending, tt.num, tt.den, tt.pending)
			}
		})
	}

	// A day earlier the window starts on 10-03: E's review (10-03 23:59:59)
	// and c7 (10-03 23:00, answered in 1.5 h) come in; c5 and c6 have not
	// started yet.
	prev, err := db.Report(context.Background(), "7495002", D-1)
	if err != nil {
		t.Fatal(err)
	}
	if got := prev.Results[rules.NRR].Numerator; got != 4 {
		t.Errorf("nrr numerator on %s = %d, want 4 (A, C, E, G)", D-1, got)
	}
	if got := prev.Results[rules.ChatResponseRate]; got.Numerator != 4 || got.Denominator != 6 || got.Pending != 0 {
		t.Errorf("chat on %s = %d/%d pending %d, want 4/6 pending 0", D-1, got.Numerator, got.Denominator, got.Pending)
	}
}

func TestTimezoneChangeRecomputesDays(t *testing.T) {
	path := t.TempDir() + "/tz.db"
	db := MustOpenAt(t, path, testConfig)
	MustImport(t, db, Orders, "o.csv", ordersHeader+"1,7495001,p1,2026-11-01T23:30:00+07:00,Serum,2026-11-03T23:30:00+07:00,delivered\n")
	db.Close()
	moved := `shops:
  - id: "7495001"
    timezone: UTC
    profile: sea
`
	db = MustOpenAt(t, path, moved)
	// 23:30 in Bangkok is 16:30 UTC the same day: the dates stay; a 07:30
	// Bangkok order would move. Check both columns directly.
	if n := count(t, db, "SELECT COUNT(*) FROM orders WHERE created_day = ? AND delivered_day = ?", int64(rules.DateDay(2026, 11, 1)), int64(rules.DateDay(2026, 11, 3))); n != 1 {
		t.Fatal("dates changed although the UTC date is the same")
	}
	MustImport(t, db, Orders, "o2.csv", ordersHeader+"2,7495001,p1,2026-11-02T03:00:00+07:00,Serum,,\n") // UTC: 11-01 20:00
	db.Close()
	db = MustOpenAt(t, path, testConfig) // back to Bangkok
	if n := count(t, db, "SELECT COUNT(*) FROM orders WHERE order_id = '2' AND created_day = ?", int64(rules.DateDay(2026, 11, 2))); n != 1 {
		t.Error("created_day was not recomputed for Asia/Bangkok")
	}
}

// The portable import path (one JSON array per batch) must store exactly what
// the direct SQLite path stores.
func TestPortableImportMatches(t *testing.T) {
	direct := loadScenario(t)
	portable := MustOpen(t, testConfig)
	portable.portableImport = true
	loadScenarioInto(t, portable)
	for _, q := range importedRows {
		a, b := dump(t, direct, q), dump(t, portable, q)
		if a != b || a == "" {
			t.Errorf("%s\ndirect:\n%s\nportable:\n%s", q, a, b)
		}
	}
}

// importedRows are queries of what imports write, in key order.
var importedRows = []string{
	"SELECT order_id, shop, created_at, created_day, COALESCE(delivered_at, -1), COALESCE(delivered_day, -1), status, products FROM orders ORDER BY order_id",
	"SELECT shop, day, created, delivered FROM shop_days ORDER BY shop, day",
	"SELECT shop, product_id, name FROM products ORDER BY shop, product_id",
	"SELECT review_id, causes, text, tags FROM reviews ORDER BY review_id",
	"SELECT return_id, fault, category, classified, status, type FROM returns ORDER BY return_id",
	"SELECT message_id, conversation_id, shop, sender, sent_at FROM chat_messages ORDER BY message_id",
	"SELECT conversation_id, seq, start_at, COALESCE(reply_at, -1) FROM chat_turns ORDER BY conversation_id, seq",
}

func dump(tb testing.TB, db *DB, query string) string {
	tb.Helper()
	rows, err := db.sql.Query(query)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintln(&out, vals...)
	}
	return out.String()
}

// The direct path must be available with the driver in go.mod; if a driver
// upgrade changes its connection, this fails instead of imports silently
// slowing down.
func TestDirectSQLiteAvailable(t *testing.T) {
	db := MustOpenAt(t, storetest.SQLite(t), testConfig)
	conn, err := db.sql.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		if _, ok := rawOf(dc); !ok {
			return fmt.Errorf("rawOf(%T) failed", dc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
