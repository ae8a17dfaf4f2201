package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store/storetest"
)

const testConfig = `shops:
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
    profile: sea
  - id: "7495002"
    name: "Acme US"
    timezone: America/New_York
    profile: default
`

// MustOpen opens a fresh database with the given config: a SQLite file, or
// a PostgreSQL database when SHOPWATCH_TEST_BACKEND=postgres (storetest).
func MustOpen(tb testing.TB, config string) *DB {
	tb.Helper()
	return MustOpenAt(tb, storetest.DSN(tb), config)
}

// MustOpenAt opens the database at path (a SQLite file or a DSN) with the
// given config, for some shops only when shops are given (Options.Shops).
func MustOpenAt(tb testing.TB, path, config string, shops ...string) *DB {
	tb.Helper()
	cfg, err := rules.ParseConfig([]byte(config))
	if err != nil {
		tb.Fatal(err)
	}
	db, err := Open(context.Background(), Options{DSN: path, Config: cfg, Shops: shops})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// mustConn takes a connection of db's for the test, closed when it ends.
func mustConn(tb testing.TB, db *DB) *sql.Conn {
	tb.Helper()
	conn, err := db.sql.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// MustImport imports CSV text as the named file and fails the test on error.
func MustImport(tb testing.TB, db *DB, kind Kind, name, csv string) *ImportResult {
	tb.Helper()
	res, err := db.Import(context.Background(), kind, []Source{{Name: name, R: strings.NewReader(csv)}}, ImportOptions{})
	if err != nil {
		tb.Fatalf("import %s: %v", name, err)
	}
	return res
}

func count(tb testing.TB, db *DB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.sql.QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

const ordersHeader = "order_id,shop_id,product_id,created_at,product_name,delivered_at,status\n"

func TestImportAllOrNothing(t *testing.T) {
	db := MustOpen(t, testConfig)
	var b strings.Builder
	b.WriteString(ordersHeader)
	for i := range 5000 {
		if i == 2500 {
			b.WriteString("bad,7495001,p1,yesterday,,,\n")
			continue
		}
		b.WriteString(orderRow(i))
	}
	good := ordersHeader + orderRow(9999)
	_, err := db.Import(context.Background(), Orders, []Source{
		{Name: "good.csv", R: strings.NewReader(good)},
		{Name: "big.csv", R: strings.NewReader(b.String())},
	}, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "big.csv:2502: created_at") {
		t.Fatalf("error = %v, want big.csv:2502: created_at", err)
	}
	for _, table := range []string{"orders", "products", "shop_days"} {
		if n := count(t, db, "SELECT COUNT(*) FROM "+table); n != 0 {
			t.Fatalf("a failed import left %d rows in %s, want 0", n, table)
		}
	}

	res, err := db.Import(context.Background(), Orders, []Source{{Name: "big.csv", R: strings.NewReader(b.String())}}, ImportOptions{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Files[0]
	if f.Rows != 5000 || f.Imported != 4999 || f.Rejected != 1 || len(res.Rejected) != 1 || res.Rejected[0].Line != 2502 {
		t.Errorf("skip-invalid result = %+v, rejected %v", f, res.Rejected)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM orders"); n != 4999 {
		t.Errorf("orders = %d, want 4999", n)
	}
}

func orderRow(i int) string {
	id := "o" + strconv.Itoa(i)
	return id + ",7495001,p" + strconv.Itoa(i%7) + ",2026-11-01T10:00:00+07:00,Serum,2026-11-03T10:00:00+07:00,delivered\n"
}

func TestReimportReplaces(t *testing.T) {
	db := MustOpen(t, testConfig)
	MustImport(t, db, Orders, "a.csv", ordersHeader+
		"1,7495001,p1,2026-11-01T10:00:00+07:00,Serum,,awaiting_shipment\n"+
		"1,7495001,p2,2026-11-01T10:00:00+07:00,Toner,,awaiting_shipment\n")
	// The re-import brings one line of the order, delivered, twice.
	MustImport(t, db, Orders, "b.csv", ordersHeader+
		"1,7495001,p2,2026-11-01T10:00:00+07:00,Toner,2026-11-04T09:00:00+07:00,delivered\n"+
		"1,7495001,p2,2026-11-01T10:00:00+07:00,Toner 2,2026-11-04T09:00:00+07:00,delivered\n")
	var products, status string
	var deliveredDay int64
	if err := db.sql.QueryRow("SELECT products, status, delivered_day FROM orders WHERE order_id = '1'").Scan(&products, &status, &deliveredDay); err != nil {
		t.Fatal(err)
	}
	if products != "p1\np2" || status != "delivered" || rules.Day(deliveredDay) != rules.DateDay(2026, 11, 4) {
		t.Errorf("order = products %q, status %q, delivered %s", products, status, rules.Day(deliveredDay))
	}
	if n := count(t, db, "SELECT COUNT(*) FROM orders"); n != 1 {
		t.Errorf("orders = %d, want 1", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM products WHERE name = 'Toner 2'"); n != 1 {
		t.Errorf("the later duplicate row should win the product name")
	}
	// The rollup moved the order from undelivered to delivered on 11-04.
	if n := count(t, db, "SELECT SUM(created) FROM shop_days"); n != 1 {
		t.Errorf("created total = %d, want 1", n)
	}
	if n := count(t, db, "SELECT delivered FROM shop_days WHERE day = ?", int64(rules.DateDay(2026, 11, 4))); n != 1 {
		t.Errorf("delivered on 11-04 = %d, want 1", n)
	}
}

// TestImportFromPipe: a source that cannot seek (standard input, a pipe)
// is validated while it is copied aside, then loaded from the copy.
func TestImportFromPipe(t *testing.T) {
	var b strings.Builder
	b.WriteString(ordersHeader)
	for i := range 5000 {
		b.WriteString(orderRow(i))
	}
	tests := []struct {
		name   string
		csv    string
		orders int
		err    string
	}{
		{"valid rows are all loaded", b.String(), 5000, ""},
		{"an invalid last row writes nothing", b.String() + "bad,7495001,p1,yesterday,,,\n", 0, "pipe.csv:5002: created_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			src := struct{ io.Reader }{strings.NewReader(tt.csv)} // no Seek
			_, err := db.Import(context.Background(), Orders, []Source{{Name: "pipe.csv", R: src}}, ImportOptions{})
			if tt.err == "" && err != nil {
				t.Fatal(err)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error = %v, want %s", err, tt.err)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM orders"); n != tt.orders {
				t.Errorf("orders = %d, want %d", n, tt.orders)
			}
			if n := count(t, db, "SELECT COALESCE(SUM(created), 0) FROM shop_days"); n != tt.orders {
				t.Errorf("shop_days counts %d created orders, want %d", n, tt.orders)
			}
		})
	}
}

// TestNewOrderBesideRepeatedOrders re-imports stored orders, one of them
// with a line more in a later batch (staged again), beside one new order:
// the new order is inserted and counted (on PostgreSQL, the merge counts
// the new orders, leaving out those staged again, to skip looking for
// them in a re-export: pgmerge.go).
func TestNewOrderBesideRepeatedOrders(t *testing.T) {
	db := MustOpen(t, testConfig)
	var fill strings.Builder
	for i := range batchRows + 88 {
		fmt.Fprintf(&fill, "f%d,7495001,p1,2026-11-02T10:00:00+07:00,Serum,,shipped\n", i)
	}
	MustImport(t, db, Orders, "first.csv", ordersHeader+
		"1,7495001,p1,2026-11-01T10:00:00+07:00,Serum,,shipped\n1,7495001,p2,2026-11-01T10:00:00+07:00,Toner,,shipped\n"+fill.String())
	MustImport(t, db, Orders, "again.csv", ordersHeader+
		"1,7495001,p1,2026-11-01T10:00:00+07:00,Serum,,shipped\n"+fill.String()+
		"1,7495001,p3,2026-11-01T10:00:00+07:00,Mask,,shipped\n"+
		"new,7495001,p1,2026-11-03T10:00:00+07:00,Serum,,shipped\n")
	if got := dump(t, db, "SELECT order_id, products FROM orders WHERE order_id IN ('1', 'new') ORDER BY order_id"); got != "1 p1\np2\np3\nnew p1\n" {
		t.Errorf("orders:\n%s", got)
	}
	if n, want := count(t, db, "SELECT SUM(created) FROM shop_days"), batchRows+88+2; n != want {
		t.Errorf("orders created in shop_days = %d, want %d", n, want)
	}
}

// TestReexportedOrders re-imports stored orders as an export of the same
// orders a day later brings them: each order's lines whole, changed or
// not. The order's dates and status are its last line's, its products the
// stored ones followed by the new ones, and shop_days moves with it.
func TestReexportedOrders(t *testing.T) {
	const first = "1,7495001,p1,2026-11-01T10:00:00+07:00,Serum,,awaiting_shipment\n" +
		"1,7495001,p2,2026-11-01T10:00:00+07:00,Toner,,awaiting_shipment\n"
	delivered := strings.ReplaceAll(first, ",,awaiting_shipment", ",2026-11-04T09:00:00+07:00,delivered")
	for _, tc := range []struct {
		name, csv, products, status string
		deliveredOn                 rules.Day // 0: not delivered
	}{
		{name: "unchanged", csv: first, products: "p1\np2", status: "awaiting_shipment"},
		{name: "delivered since", csv: delivered, products: "p1\np2", status: "delivered", deliveredOn: rules.DateDay(2026, 11, 4)},
		{name: "lines in another order", csv: "1,7495001,p2,2026-11-01T10:00:00+07:00,Toner,,shipped\n1,7495001,p1,2026-11-01T10:00:00+07:00,Serum,,shipped\n",
			products: "p1\np2", status: "shipped"},
		{name: "a line fewer", csv: "1,7495001,p2,2026-11-01T10:00:00+07:00,Toner,,shipped\n", products: "p1\np2", status: "shipped"},
		{name: "a line more", csv: strings.ReplaceAll(first, "awaiting_shipment", "shipped") + "1,7495001,p3,2026-11-01T10:00:00+07:00,Mask,,shipped\n",
			products: "p1\np2\np3", status: "shipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			MustImport(t, db, Orders, "first.csv", ordersHeader+first)
			MustImport(t, db, Orders, "again.csv", ordersHeader+tc.csv)
			var products, status string
			var deliveredDay sql.NullInt64
			if err := db.sql.QueryRow("SELECT products, status, delivered_day FROM orders WHERE order_id = '1'").Scan(&products, &status, &deliveredDay); err != nil {
				t.Fatal(err)
			}
			if products != tc.products || status != tc.status || rules.Day(deliveredDay.Int64) != tc.deliveredOn {
				t.Errorf("order = products %q, status %q, delivered %v; want %q, %q, %s", products, status, deliveredDay, tc.products, tc.status, tc.deliveredOn)
			}
			if n := count(t, db, "SELECT SUM(created) FROM shop_days"); n != 1 {
				t.Errorf("orders created in shop_days = %d, want 1", n)
			}
			wantDelivered := 0
			if tc.deliveredOn != 0 {
				wantDelivered = 1
				if n := count(t, db, "SELECT delivered FROM shop_days WHERE day = ?", int64(tc.deliveredOn)); n != 1 {
					t.Errorf("delivered on %s = %d, want 1", tc.deliveredOn, n)
				}
			}
			if n := count(t, db, "SELECT SUM(delivered) FROM shop_days"); n != wantDelivered {
				t.Errorf("orders delivered in shop_days = %d, want %d", n, wantDelivered)
			}
		})
	}
}
