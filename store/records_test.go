package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Typed records go through the same checks as CSV rows, and a rejection
// quotes the record's Ref; without SkipInvalid nothing is written.
func TestImportRecordsRejects(t *testing.T) {
	at := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	ref := func(id string) Ref { return Ref{Source: "tiktok order", ID: id} }
	order := func(id string, edit func(*OrderLine)) OrderLine {
		o := OrderLine{Ref: ref(id), OrderID: id, ShopID: "7495001", ProductID: "p1", CreatedAt: at}
		if edit != nil {
			edit(&o)
		}
		return o
	}
	tests := []struct {
		name string
		bad  OrderLine
		want string
	}{
		{"no created time", order("o2", func(o *OrderLine) { o.CreatedAt = time.Time{} }), "tiktok order o2: created_at: is required"},
		{"unknown shop", order("o2", func(o *OrderLine) { o.ShopID = "999" }), `tiktok order o2: shop_id: unknown shop "999"`},
		{"delivered before created", order("o2", func(o *OrderLine) { o.DeliveredAt = at.Add(-time.Hour) }), "tiktok order o2: delivered_at: 2026-11-01T02:00:00Z is before created_at 2026-11-01T03:00:00Z"},
		{"out of range", order("o2", func(o *OrderLine) { o.CreatedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }), `tiktok order o2: created_at: "1999-01-01T00:00:00Z" is out of range`},
		{"no product", order("o2", func(o *OrderLine) { o.ProductID = "" }), "tiktok order o2: product_id: is required"},
		{"line break in product", order("o2", func(o *OrderLine) { o.ProductID = "p\n2" }), "tiktok order o2: product_id: contains a line break"},
		{"invalid UTF-8", order("o2", func(o *OrderLine) { o.ProductName = "\xff" }), "tiktok order o2: product_name: is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			recs := []OrderLine{order("o1", nil), tt.bad}
			_, err := db.ImportOrders(context.Background(), "sync", recs, ImportOptions{})
			var invalid *InvalidInputError
			if !errors.As(err, &invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an InvalidInputError with %q", err, tt.want)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM orders"); n != 0 {
				t.Fatalf("%d orders written, want none", n)
			}
			res, err := db.ImportOrders(context.Background(), "sync", recs, ImportOptions{SkipInvalid: true})
			if err != nil {
				t.Fatal(err)
			}
			if f := res.Files[0]; f.File != "sync" || f.Rows != 2 || f.Imported != 1 || f.Rejected != 1 || res.Rejected[0].ID != "o2" {
				t.Fatalf("skip-invalid: %+v, rejected %v", res.Files, res.Rejected)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM orders"); n != 1 {
				t.Fatalf("%d orders written, want 1", n)
			}
		})
	}
}

// Each kind's typed records land in its tables as the same CSV rows would.
func TestImportRecordsMatchCSV(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.FixedZone("", 7*3600))
	ts := at.Format(time.RFC3339)
	tests := []struct {
		name  string
		kind  Kind
		csv   string
		typed func(db *DB) (*ImportResult, error)
		query string
	}{
		{"orders", Orders, ordersHeader + "o1,7495001,p1," + ts + ",Lipstick," + ts + ",delivered\n",
			func(db *DB) (*ImportResult, error) {
				return db.ImportOrders(ctx, "x", []OrderLine{{OrderID: "o1", ShopID: "7495001", ProductID: "p1", ProductName: "Lipstick", CreatedAt: at, DeliveredAt: at, Status: "delivered"}}, ImportOptions{})
			}, "SELECT o.order_id || o.created_day || o.delivered_day || o.status || o.products || p.name || d.created || d.delivered FROM orders o, products p, shop_days d"},
		{"reviews", Reviews, "review_id,order_id,shop_id,product_id,rating,created_at,text,tags\nr1,o1,7495001,p1,1," + ts + ",broke after a day,product_quality\n",
			func(db *DB) (*ImportResult, error) {
				return db.ImportReviews(ctx, "x", []Review{{ReviewID: "r1", OrderID: "o1", ShopID: "7495001", ProductID: "p1", Rating: 1, CreatedAt: at, Text: "broke after a day", Tags: "product_quality"}}, ImportOptions{})
			}, "SELECT review_id || rating || created_day || text || tags || causes FROM reviews"},
		{"returns", Returns, "return_id,order_id,shop_id,product_id,created_at,reason,type,status\nx1,o1,7495001,p1," + ts + ",damaged,refund,approved\n",
			func(db *DB) (*ImportResult, error) {
				return db.ImportReturns(ctx, "x", []Return{{ReturnID: "x1", OrderID: "o1", ShopID: "7495001", ProductID: "p1", CreatedAt: at, Reason: "damaged", Type: "refund", Status: "approved"}}, ImportOptions{})
			}, "SELECT return_id || created_day || reason || type || status || fault || category || classified FROM returns"},
		{"chats", Chats, "message_id,conversation_id,shop_id,sender,sent_at,text\nm1,c1,7495001,buyer," + ts + ",hello\n",
			func(db *DB) (*ImportResult, error) {
				return db.ImportChats(ctx, "x", []ChatMessage{{MessageID: "m1", ConversationID: "c1", ShopID: "7495001", Sender: "buyer", SentAt: at, Text: "hello"}}, ImportOptions{})
			}, "SELECT m.message_id || m.sent_at || m.text || t.start_day FROM chat_messages m, chat_turns t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			viaCSV, typed := MustOpen(t, testConfig), MustOpen(t, testConfig)
			MustImport(t, viaCSV, tt.kind, "x.csv", tt.csv)
			if _, err := tt.typed(typed); err != nil {
				t.Fatal(err)
			}
			var a, b string
			if err := viaCSV.sql.QueryRow(tt.query).Scan(&a); err != nil {
				t.Fatal(err)
			}
			if err := typed.sql.QueryRow(tt.query).Scan(&b); err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Fatalf("typed records stored %q, the CSV %q", b, a)
			}
		})
	}
}

// Columns is the one list of a kind's CSV columns: a header of them is
// recognised as the kind and has every required column.
func TestColumns(t *testing.T) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			cols := Columns(k)
			if got, err := KindOfHeader(cols); err != nil || got != k {
				t.Fatalf("KindOfHeader(%v) = %q, %v", cols, got, err)
			}
			for _, c := range kindSpecs[k].required {
				if !slices.Contains(cols, c) {
					t.Errorf("required column %s is not in Columns", c)
				}
			}
		})
	}
	if k := Columns(Orders); k[0] != "order_id" || strings.Join(k, ",") != ordersHeader[:len(ordersHeader)-1] {
		t.Errorf("Columns(Orders) = %v, want SPEC's order (%q)", k, ordersHeader)
	}
}

// An import reports its progress per phase, up to every row and byte of
// the input.
func TestImportProgress(t *testing.T) {
	var csv strings.Builder
	csv.WriteString(ordersHeader)
	const rows = 3*batchRows + 7
	for i := range rows {
		fmt.Fprintf(&csv, "o%d,7495001,p1,2026-11-01T10:00:00+07:00,,,\n", i)
	}
	tests := []struct {
		name     string
		size     int64
		wantSize int64
	}{
		{"size known", int64(csv.Len()), int64(csv.Len())},
		{"size unknown", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			var got []Progress
			src := []Source{{Name: "orders.csv", R: strings.NewReader(csv.String()), Size: tt.size}}
			if _, err := db.Import(context.Background(), Orders, src, ImportOptions{Progress: func(p Progress) { got = append(got, p) }}); err != nil {
				t.Fatal(err)
			}
			last := map[string]Progress{}
			var phases []string
			for _, p := range got {
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
				if prev, ok := last[p.Phase]; ok && (p.Rows < prev.Rows || p.Bytes < prev.Bytes) {
					t.Errorf("progress went back: %+v after %+v", p, prev)
				}
				last[p.Phase] = p
			}
			want := "checking,importing"
			if db.pg { // one pass: the import's transaction checks as it writes
				want = "importing"
			}
			if strings.Join(phases, ",") != want {
				t.Fatalf("phases %v, want %s", phases, want)
			}
			for _, ph := range phases {
				if p := last[ph]; p.Rows != rows || p.Bytes != int64(csv.Len()) || p.Size != tt.wantSize {
					t.Errorf("last %s report %+v, want %d rows, %d bytes of %d", ph, p, rows, csv.Len(), tt.wantSize)
				}
			}
		})
	}
}
