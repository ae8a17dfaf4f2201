package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// importSample imports a file of testdata/sellercenter/ under its path,
// with the given shop option.
func importSample(tb testing.TB, db *DB, kind Kind, name, shop string) *ImportResult {
	tb.Helper()
	path := filepath.Join("testdata", "sellercenter", name)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	res, err := db.Import(context.Background(), kind, []Source{{Name: path, R: f}}, ImportOptions{Shop: shop})
	if err != nil {
		tb.Fatalf("import %s: %v", name, err)
	}
	return res
}

func TestSellerCenterSamples(t *testing.T) {
	db := MustOpen(t, testConfig)
	bangkok, _ := time.LoadLocation("Asia/Bangkok")
	newYork, _ := time.LoadLocation("America/New_York")
	ms := func(loc *time.Location, y int, m time.Month, d, h, min, s int) int64 {
		return time.Date(y, m, d, h, min, s, 0, loc).UnixMilli()
	}
	imports := []struct {
		kind       Kind
		file, shop string
		rows       int
	}{
		{Orders, "orders-7495001.csv", "", 7}, // the shop from the file name; the description row is no row
		{Orders, "us-orders.csv", "7495002", 2},
		{Reviews, "reviews-7495001.csv", "", 4},
		{Returns, "returns-7495001.csv", "", 4},
	}
	for _, im := range imports {
		res := importSample(t, db, im.kind, im.file, im.shop)
		if fs := res.Files[0]; fs.Rows != im.rows || fs.Imported != im.rows || fs.Rejected != 0 {
			t.Fatalf("%s: %+v, want %d rows imported", im.file, fs, im.rows)
		}
	}

	type order struct {
		shop                   string
		created, delivered     int64
		createdDay, status, ps string
	}
	orders := []struct {
		id   string
		want order
	}{
		{"576900000000000001", order{"7495001", ms(bangkok, 2026, 11, 2, 10, 0, 0), ms(bangkok, 2026, 11, 5, 16, 20, 0), "2026-11-02", "delivered", "1729500000000000101\n1729500000000000102"}},
		{"576900000000000003", order{"7495001", ms(bangkok, 2026, 11, 25, 8, 12, 0), 0, "2026-11-25", "shipped", "1729500000000000103"}},
		{"576900000000000004", order{"7495001", ms(bangkok, 2026, 11, 27, 19, 0, 0), 0, "2026-11-27", "cancelled", "1729500000000000103"}},
		{"576900000000000006", order{"7495001", ms(bangkok, 2026, 11, 13, 23, 30, 0), ms(bangkok, 2026, 11, 18, 17, 45, 0), "2026-11-13", "delivered", "1729500000000000101"}},
		{"577100000000000001", order{"7495002", ms(newYork, 2026, 11, 13, 14, 3, 5), ms(newYork, 2026, 11, 17, 9, 41, 0), "2026-11-13", "delivered", "1729600000000000201"}},
		{"577100000000000002", order{"7495002", ms(newYork, 2026, 11, 29, 23, 59, 59), 0, "2026-11-29", "Awaiting Collection", "1729600000000000202"}},
	}
	for _, o := range orders {
		t.Run("order "+o.id, func(t *testing.T) {
			var got order
			var day int64
			err := db.sql.QueryRow(`SELECT s.shop_id, o.created_at, COALESCE(o.delivered_at, 0), o.created_day, o.status, o.products
FROM orders o JOIN shops s ON s.id = o.shop WHERE o.order_id = ?`, o.id).Scan(&got.shop, &got.created, &got.delivered, &day, &got.status, &got.ps)
			if err != nil {
				t.Fatal(err)
			}
			got.createdDay = rules.Day(day).String()
			if got != o.want {
				t.Fatalf("stored %+v\nwant   %+v", got, o.want)
			}
		})
	}
	if n := count(t, db, `SELECT COUNT(*) FROM orders`); n != 8 {
		t.Errorf("%d orders stored, want 8", n)
	}
	var name string
	if err := db.sql.QueryRow(`SELECT name FROM products WHERE product_id = '1729500000000000102'`).Scan(&name); err != nil || name != "Sheet Mask, 5 pack" {
		t.Errorf("product name %q, %v", name, err)
	}

	reviews := []struct {
		id      string
		rating  int
		created int64
	}{
		{"576900000000000001/1729500000000000101", 1, ms(bangkok, 2026, 11, 7, 9, 15, 0)},
		{"576900000000000002/1729500000000000101", 5, 1794283200000},                        // 5.0, unix seconds
		{"576900000000000005/1729500000000000102", 2, ms(bangkok, 2026, 11, 21, 18, 30, 0)}, // without offset
		{"576900000000000006/1729000000000000001", 1, ms(bangkok, 2026, 11, 19, 8, 0, 0)},   // no SKU ID: the Product ID; "1 star"
	}
	for _, r := range reviews {
		var rating int
		var created int64
		if err := db.sql.QueryRow(`SELECT rating, created_at FROM reviews WHERE review_id = ?`, r.id).Scan(&rating, &created); err != nil {
			t.Fatalf("review %s: %v", r.id, err)
		}
		if rating != r.rating || created != r.created {
			t.Errorf("review %s: rating %d at %d, want %d at %d", r.id, rating, created, r.rating, r.created)
		}
	}

	returns := []struct{ id, typ, status string }{
		{"4035000000000000001", "return_and_refund", "completed"}, // Refunded
		{"4035000000000000002", "refund", "cancelled"},            // Request cancelled
		{"4035000000000000003", "refund", ""},                     // Rejected: not clearly seller_won
		{"4035000000000000004", "return_and_refund", "approved"},  // Awaiting buyer shipment
	}
	for _, r := range returns {
		var typ, status string
		if err := db.sql.QueryRow(`SELECT type, status FROM returns WHERE return_id = ?`, r.id).Scan(&typ, &status); err != nil {
			t.Fatalf("return %s: %v", r.id, err)
		}
		if typ != r.typ || status != r.status {
			t.Errorf("return %s: type %q status %q, want %q %q", r.id, typ, status, r.typ, r.status)
		}
	}

	day, _ := rules.ParseDay("2026-11-30")
	rep, err := db.Report(context.Background(), "7495001", day)
	if err != nil {
		t.Fatal(err)
	}
	metrics := []struct {
		metric   rules.Metric
		num, den int
	}{
		{rules.NRR, 2, 4},  // orders 1 (damaged) and 6 (counterfeit); order 5's late delivery is logistics; 4 delivered
		{rules.SFRR, 2, 6}, // returns 1 and 3 (sea: seller+logistics over the 6 orders created)
	}
	for _, m := range metrics {
		if r := rep.Results[m.metric]; r.Numerator != m.num || r.Denominator != m.den {
			t.Errorf("%s = %d/%d, want %d/%d", m.metric, r.Numerator, r.Denominator, m.num, m.den)
		}
	}
}

func TestSellerTime(t *testing.T) {
	bangkok, _ := time.LoadLocation("Asia/Bangkok")
	at := func(loc *time.Location, y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, loc)
	}
	tests := []struct {
		name     string
		v        string
		dayFirst bool
		want     time.Time
		problem  string
	}{
		{"without offset in the shop's zone", "2026-12-06 14:03:05", true, at(bangkok, 2026, 12, 6, 14, 3, 5), ""},
		{"slashes without offset", "2026/12/06 14:03", true, at(bangkok, 2026, 12, 6, 14, 3, 0), ""},
		{"date only", "2026-12-06", true, at(bangkok, 2026, 12, 6, 0, 0, 0), ""},
		{"day first", "06/12/2026 14:03:05", true, at(bangkok, 2026, 12, 6, 14, 3, 5), ""},
		{"month first", "06/12/2026 14:03:05", false, at(bangkok, 2026, 6, 12, 14, 3, 5), ""},
		{"month first with PM", "12/06/2026 2:03:05 PM", false, at(bangkok, 2026, 12, 6, 14, 3, 5), ""},
		{"12 AM is midnight", "12/06/2026 12:00:00 am", false, at(bangkok, 2026, 12, 6, 0, 0, 0), ""},
		{"12 PM is noon", "6/12/2026 12:30 PM", true, at(bangkok, 2026, 12, 6, 12, 30, 0), ""},
		{"unix seconds", "1765029785", true, time.Unix(1765029785, 0), ""},
		{"unix seconds grouped", "1,765,029,785", true, time.Unix(1765029785, 0), ""},
		{"unix milliseconds", "1765029785123", true, time.UnixMilli(1765029785123), ""},
		{"RFC 3339 keeps its offset", "2026-12-06T14:03:05+09:00", true, at(time.FixedZone("", 9*3600), 2026, 12, 6, 14, 3, 5), ""},
		{"month 13 read day first", "06/13/2026 10:00:00", true, time.Time{}, `"06/13/2026 10:00:00" is not a date read as day/month/year`},
		{"month 25 read month first", "25/12/2026", false, time.Time{}, `"25/12/2026" is not a date read as month/day/year`},
		{"31 February", "31/02/2026 10:00", true, time.Time{}, "is not a date read as day/month/year"},
		{"hour 13 with PM", "06/12/2026 13:00 PM", true, time.Time{}, "has hour 13 with AM/PM"},
		{"minute 61", "2026-12-06 14:61:00", true, time.Time{}, "is not a time"},
		{"words", "yesterday", true, time.Time{}, `"yesterday" is not a time: want one like 2026-12-06 14:03:05 or 06/12/2026 14:03:05 (day/month/year)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := sellerTime(tt.v, bangkok, tt.dayFirst)
			if tt.problem != "" {
				if !strings.Contains(problem, tt.problem) {
					t.Fatalf("sellerTime(%q) = %v, %q; want a problem containing %q", tt.v, got, problem, tt.problem)
				}
				return
			}
			if problem != "" || !got.Equal(tt.want) {
				t.Fatalf("sellerTime(%q) = %v, %q; want %v", tt.v, got, problem, tt.want)
			}
		})
	}
}

func TestSellerCenterRows(t *testing.T) {
	const oneShop = `shops:
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
`
	tests := []struct {
		name, config, file, shop string
		kind                     Kind
		csv                      string
		want                     string // the error, or the stored order ids and products when "" is wanted
		stored                   string
	}{
		{"unknown header lists both layouts", testConfig, "x.csv", "", Orders, "Order Number,Item\n1,2\n",
			"x.csv:1: header: missing column(s) order_id, shop_id, product_id, created_at (a orders file needs order_id, shop_id, product_id, created_at; a Seller Center order export needs Order ID, SKU ID or Product ID, Created Time or Create Time or Order Created Time)", ""},
		{"no shop with two configured", testConfig, "export.csv", "", Orders, "Order ID,SKU ID,Created Time\n1,2,2026-11-02 10:00:00\n",
			"export.csv:1: header: a Seller Center export names no shop, and the config has 2: put the shop id in the file name (like orders-7495001.csv) or give --shop ID", ""},
		{"two shops in the file name", testConfig, "7495001-vs-7495002.csv", "", Orders, "Order ID,SKU ID,Created Time\n1,2,2026-11-02 10:00:00\n",
			"holds the ids of shops 7495001 and 7495002", ""},
		{"an id inside a longer number is no shop", testConfig, "orders-74950011.csv", "", Orders, "Order ID,SKU ID,Created Time\n1,2,2026-11-02 10:00:00\n",
			"names no shop, and the config has 2", ""},
		{"unknown shop option", testConfig, "x.csv", "999", Orders, "Order ID,SKU ID,Created Time\n1,2,2026-11-02 10:00:00\n",
			`import orders: unknown shop "999" (not in the config)`, ""},
		{"the only shop", oneShop, "x.csv", "", Orders, "Order ID,SKU ID,Created Time\n1,2,2026-11-02 10:00:00\n", "", "1:2"},
		{"headers in any case and spacing", oneShop, "x.csv", "", Orders, "\ufeff ORDER id ,sku id,created time\n1,2,2026-11-02 10:00:00\n", "", "1:2"},
		{"ids kept as text for Excel", oneShop, "x.csv", "", Orders, "Order ID,SKU ID,Created Time\n\"\t576\",'9,2026-11-02 10:00:00\n\"=\"\"577\"\"\",\t8,2026-11-02 10:00:00\n", "", "576:9 577:8"},
		{"product id when there is no SKU ID", oneShop, "x.csv", "", Orders, "Order ID,SKU ID,Product ID,Created Time\n1,,17,2026-11-02 10:00:00\n", "", "1:17"},
		{"neither SKU nor product", oneShop, "x.csv", "", Orders, "Order ID,SKU ID,Product ID,Created Time\n1,,,2026-11-02 10:00:00\n",
			"x.csv:2: SKU ID: is required: the row has neither a SKU ID nor a Product ID", ""},
		{"errors name the file's column", oneShop, "x.csv", "", Orders, "Order ID,SKU ID,Created Time\n1,2,31/02/2026 10:00:00\n",
			`x.csv:2: Created Time: "31/02/2026 10:00:00" is not a date read as day/month/year`, ""},
		{"delivered before created", oneShop, "x.csv", "", Orders, "Order ID,SKU ID,Created Time,Delivered Time\n1,2,02/11/2026 10:00:00,01/11/2026 10:00:00\n",
			"x.csv:2: Delivered Time: 01/11/2026 10:00:00 is before Created Time 02/11/2026 10:00:00", ""},
		{"a description row under the header is skipped", oneShop, "x.csv", "", Orders, "Order ID,SKU ID,Created Time\nPlatform unique order ID.,Platform SKU ID.,Order created time.\n1,2,2026-11-02 10:00:00\n", "", "1:2"},
		{"only the first row can be a description", oneShop, "x.csv", "", Orders, "Order ID,SKU ID,Created Time\n1,2,2026-11-02 10:00:00\nan id with spaces,2,2026-11-02 10:00:00\n", "", "1:2 an id with spaces:2"},
		{"a SPEC file of another shop than the option", testConfig, "x.csv", "7495001", Orders, ordersHeader + "1,7495002,p,2026-11-02T10:00:00+07:00,,,\n",
			`x.csv:2: shop_id: "7495002" is not the shop this import is for (7495001)`, ""},
		{"a bad rating", oneShop, "x.csv", "", Reviews, "Order ID,SKU ID,Star Rating,Review Time\n1,2,4.5,2026-11-02 10:00:00\n",
			`x.csv:2: Star Rating: "4.5" is not a star rating from 1 to 5`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, tt.config)
			_, err := db.Import(context.Background(), tt.kind, []Source{{Name: tt.file, R: strings.NewReader(tt.csv)}}, ImportOptions{Shop: tt.shop})
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("import: %v\nwant an error containing %q", err, tt.want)
				}
				for _, table := range dataTables {
					if n := count(t, db, "SELECT COUNT(*) FROM "+table); n != 0 {
						t.Fatalf("a rejected import left %d rows in %s", n, table)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.sql.Query(`SELECT order_id || ':' || products FROM orders ORDER BY order_id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				got = append(got, s)
			}
			if strings.Join(got, " ") != tt.stored {
				t.Fatalf("stored %q, want %q", strings.Join(got, " "), tt.stored)
			}
		})
	}
}

// The return statuses of Seller Center's Returns/Refunds tabs map to SPEC's;
// a rejected request stays a live one (empty status), as SFRR counts it.
func TestSellerReturnStatus(t *testing.T) {
	for name, want := range map[string]string{
		"Request Pending": "requested", "Awaiting Buyer Ship": "approved", "Buyer Shipped Item": "approved",
		"Request Completed": "completed", "Request Success": "completed", "Refunded": "completed",
		"Request Cancel": rules.ReturnCancelled, "Cancelled by buyer": rules.ReturnCancelled,
		"Request Rejected": "", "Receive Rejected": "",
	} {
		if got := sellerReturnStatus[strings.ToLower(name)]; got != want {
			t.Errorf("%q: status %q, want %q", name, got, want)
		}
	}
}
