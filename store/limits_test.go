package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store/storetest"
)

const (
	testOrder = "o1,7495001,p1,2026-11-01T10:00:00+07:00,,,\n"
	chatsHead = "message_id,conversation_id,shop_id,sender,sent_at,text\n"
)

// TestImportValidation: each file is rejected with FILE:LINE and the
// field, and nothing of it is written.
func TestImportValidation(t *testing.T) {
	long := strings.Repeat("x", MaxFieldBytes+1)
	tests := []struct {
		name string
		kind Kind
		csv  string
		want string
	}{
		{"field over 64 KiB", Orders, ordersHeader + "o1,7495001,p1,2026-11-01T10:00:00+07:00," + long + ",,\n",
			"orders.csv:2: product_name: is 65537 bytes long, over the limit of 64 KiB"},
		{"field over 64 KiB in an extra column", Orders, "order_id,shop_id,product_id,created_at,note\no1,7495001,p1,2026-11-01T10:00:00+07:00," + long + "\n",
			"orders.csv:2: note: is 65537 bytes long"},
		{"row over 1 MiB", Reviews, "review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n" +
			"r1,o1,7495001,p1,1,2026-11-01T10:00:00+07:00,\"" + strings.Repeat("y\n", MaxRowBytes/2) + "\",\n",
			"reviews.csv:2: the row is longer than 1 MiB, the limit"},
		{"invalid UTF-8 in a value", Reviews, "review_id,order_id,shop_id,product_id,rating,created_at,text\nr1,o1,7495001,p1,1,2026-11-01T10:00:00+07:00,caf\xe9\n",
			"reviews.csv:2: text: is not valid UTF-8 text"},
		{"NUL byte in a value", Chats, chatsHead + "m1,c1,7495001,buyer,2026-11-01T10:00:00+07:00,hi\x00there\n",
			"chats.csv:2: text: contains a NUL byte"},
		{"NUL byte in a key", Chats, chatsHead + "m\x001,c1,7495001,buyer,2026-11-01T10:00:00+07:00,hi\n",
			"chats.csv:2: message_id: contains a NUL byte"},
		{"invalid UTF-8 in the header", Orders, "order_id,shop_id,product_id,created_at,n\xffame\n" + "o1,7495001,p1,2026-11-01T10:00:00+07:00,x\n",
			"orders.csv:1: header: column 5 is not valid UTF-8 text"},
		{"duplicate header column", Orders, "order_id,shop_id,product_id,created_at,order_id\no1,7495001,p1,2026-11-01T10:00:00+07:00,o2\n",
			`orders.csv:1: header: column "order_id" appears twice (columns 1 and 5)`},
		{"chat message dated 2100", Chats, chatsHead + "m1,c1,7495001,buyer,2100-01-01T10:00:00+07:00,hi\n",
			`chats.csv:2: sent_at: "2100-01-01T10:00:00+07:00" is out of range: want a time from 2000-01-01 to one year from now (2027-12-06)`},
		{"order dated 1999", Orders, ordersHeader + "o1,7495001,p1,1999-12-31T23:59:59Z,,,\n",
			`orders.csv:2: created_at: "1999-12-31T23:59:59Z" is out of range`},
		{"delivery more than a year ahead", Orders, ordersHeader + "o1,7495001,p1,2026-11-01T10:00:00+07:00,,2027-12-07T00:00:00Z,\n",
			"orders.csv:2: delivered_at: "},
		{"unknown sender", Chats, chatsHead + "m1,c1,7495001,moderator,2026-11-01T10:00:00+07:00,hi\n",
			`chats.csv:2: sender: unknown sender "moderator"`},
		{"missing column", Orders, "order_id,shop_id,created_at\n1,7495001,2026-11-01T10:00:00+07:00\n", "orders.csv:1: header: missing column(s) product_id"},
		{"bad timestamp", Orders, ordersHeader + "1,7495001,p1,2026-11-01 10:00,,,\n", `orders.csv:2: created_at: "2026-11-01 10:00" is not an RFC 3339 timestamp`},
		{"timestamp without offset", Orders, ordersHeader + "1,7495001,p1,2026-11-01T10:00:00,,,\n", "orders.csv:2: created_at"},
		{"unknown shop", Orders, ordersHeader + "1,999,p1,2026-11-01T10:00:00+07:00,,,\n", `orders.csv:2: shop_id: unknown shop "999"`},
		{"missing required value", Orders, ordersHeader + "1,7495001,,2026-11-01T10:00:00+07:00,,,\n", "orders.csv:2: product_id: is required"},
		{"delivered before created", Orders, ordersHeader + "1,7495001,p1,2026-11-05T10:00:00+07:00,,2026-11-01T10:00:00+07:00,\n", "orders.csv:2: delivered_at"},
		{"rating 7", Reviews, "review_id,order_id,shop_id,product_id,rating,created_at\nr1,1,7495001,p1,7,2026-11-01T10:00:00+07:00\n", `reviews.csv:2: rating: "7" is not an integer from 1 to 5`},
		{"unknown tag", Reviews, "review_id,order_id,shop_id,product_id,rating,created_at,tags\nr1,1,7495001,p1,1,2026-11-01T10:00:00+07:00,broken_box\n", "reviews.csv:2: tags:"},
		{"bad return status", Returns, "return_id,order_id,shop_id,product_id,created_at,reason,status\nx,1,7495001,p1,2026-11-01T10:00:00+07:00,damaged,lost\n", `returns.csv:2: status: "lost" is not one of`},
		{"bad sender", Chats, "message_id,conversation_id,shop_id,sender,sent_at\nm1,c1,7495001,customer,2026-11-01T10:00:00+07:00\n", `chats.csv:2: sender:`},
		{"wrong field count", Orders, ordersHeader + "1,7495001,p1\n", "orders.csv:2: row has 3 fields, the header has 7"},
		{"bad quoting", Orders, ordersHeader + "1,7495001,p1,2026-11-01T10:00:00+07:00,\"Serum \"30ml\",,\n", "orders.csv:2: malformed CSV"},
		{"empty file", Orders, "", "orders.csv:1: empty file"},
		{"bare quote in the first field", Orders, "order_id,shop_id,product_id,created_at\nO\"1,7495001,P1,2026-11-01T10:00:00+07:00\n", `orders.csv:2: malformed CSV: bare " in non-quoted-field`},
	}
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpenNow(t, now)
			_, err := db.Import(context.Background(), tt.kind, []Source{{Name: string(tt.kind) + ".csv", R: strings.NewReader(tt.csv)}}, ImportOptions{})
			var invalid *InvalidInputError
			if !errors.As(err, &invalid) {
				t.Fatalf("error = %v, want an InvalidInputError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
			for _, table := range []string{"orders", "reviews", "returns", "chat_messages"} {
				if n := count(t, db, "SELECT COUNT(*) FROM "+table); n != 0 {
					t.Errorf("a rejected file left %d rows in %s", n, table)
				}
			}
		})
	}
}

func mustOpenNow(tb testing.TB, now time.Time) *DB {
	tb.Helper()
	cfg, err := rules.ParseConfig([]byte(testConfig))
	if err != nil {
		tb.Fatal(err)
	}
	db, err := Open(context.Background(), Options{DSN: filepath.Join(tb.TempDir(), "shopwatch.db"), Config: cfg, Clock: clockwork.NewFakeClockAt(now)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestImportSkipInvalidCounts: every data row read is either imported or
// rejected, whatever rejected it, and the lines after a cut-off row are
// still numbered right.
func TestImportSkipInvalidCounts(t *testing.T) {
	huge := "o9,7495001,p1,2026-11-01T10:00:00+07:00,\"" + strings.Repeat("multi\nline ", MaxRowBytes/10) + "\",,\n"
	csv := ordersHeader +
		testOrder + // line 2
		"O\"1,7495001,P1,2026-11-01T10:00:00+07:00,,,\n" + // 3: malformed
		"o2,7495001,p1,2026-11-01T10:00:00+07:00,\"two\nlines\",,\n" + // 4-5
		huge + // 6 to 6+MaxRowBytes/10
		"o3,7495001,p1,2026-11-01T10:00:00+07:00,,,\n" +
		"o4,7495001,p1,yesterday,,,\n" +
		"o5,7495001,p1\n"
	hugeLines := strings.Count(huge, "\n")
	db := MustOpen(t, testConfig)
	res, err := db.Import(context.Background(), Orders, []Source{{Name: "orders.csv", R: strings.NewReader(csv)}}, ImportOptions{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Files[0]
	if f.Rows != 7 || f.Imported != 3 || f.Rejected != 4 || f.Rows != f.Imported+f.Rejected {
		t.Errorf("counts = %+v, want 7 rows = 3 imported + 4 rejected", f)
	}
	var lines []int
	for _, r := range res.Rejected {
		lines = append(lines, r.Line)
	}
	want := []int{3, 6, 6 + hugeLines + 1, 6 + hugeLines + 2}
	if len(lines) != len(want) {
		t.Fatalf("rejected %v, want lines %v", res.Rejected, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("rejected lines %v, want %v (%v)", lines, want, res.Rejected)
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM orders"); n != 3 {
		t.Errorf("orders = %d, want 3", n)
	}
}

// TestImportUnusableFile: a file without a header row fails the import even
// with SkipInvalid, instead of counting -1 rows imported.
func TestImportUnusableFile(t *testing.T) {
	for _, tt := range []struct{ name, csv, want string }{
		{"empty", "", "b.csv:1: empty file"},
		{"header only blank lines", "\n\n", "b.csv:1: empty file"},
		{"malformed header", "order_id,\"shop_id\n", "b.csv:1: header: malformed CSV"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			_, err := db.Import(context.Background(), Orders, []Source{
				{Name: "a.csv", R: strings.NewReader(ordersHeader + testOrder)},
				{Name: "b.csv", R: strings.NewReader(tt.csv)},
			}, ImportOptions{SkipInvalid: true})
			var invalid *InvalidInputError
			if !errors.As(err, &invalid) || invalid.Files != 1 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want an InvalidInputError for one file containing %q", err, tt.want)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM orders"); n != 0 {
				t.Errorf("orders = %d, want 0", n)
			}
		})
	}
}

// endless is a reader of n bytes of c with no line break, made as it is
// read.
type endless struct {
	n int
	c byte
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), e.n)
	for i := range k {
		p[i] = e.c
	}
	e.n -= k
	return k, nil
}

// TestImportLongLineMemory: a 100 MB line is rejected without being read
// into memory.
func TestImportLongLineMemory(t *testing.T) {
	db := MustOpen(t, testConfig)
	src := io.MultiReader(strings.NewReader(ordersHeader+testOrder+"o2,7495001,p1,2026-11-01T10:00:00+07:00,"), &endless{n: 100 << 20, c: 'x'},
		strings.NewReader(",,\n"+"o3,7495001,p1,2026-11-01T10:00:00+07:00,,,\n"))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := db.Import(context.Background(), Orders, []Source{{Name: "orders.csv", R: src}}, ImportOptions{SkipInvalid: true})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files[0].Imported != 2 || res.Files[0].Rejected != 1 || res.Rejected[0].Error() != "orders.csv:3: the row is longer than 1 MiB, the limit" {
		t.Fatalf("result %+v, rejected %v", res.Files, res.Rejected)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("the import allocated %d MiB for a 100 MiB line, want it bounded (< 32 MiB)", alloc>>20)
	}
}

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("reader exploded") }

// TestImportPanicIsAnError: a panic while reading the input fails the
// import instead of the process.
func TestImportPanicIsAnError(t *testing.T) {
	db := MustOpen(t, testConfig)
	_, err := db.Import(context.Background(), Orders, []Source{{Name: "orders.csv", R: panicReader{}}}, ImportOptions{})
	if !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "reader exploded") {
		t.Fatalf("error = %v, want ErrInternal naming the panic", err)
	}
}

// An order of many lines imports on each backend: its product list passes
// the 2,704 bytes of a PostgreSQL index entry, so PostgreSQL's orders index
// leaves it out (pgIndexForms); a database made before gets that index from
// migration 11.
func TestImportOrderOfManyLines(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend.Name, func(t *testing.T) {
			dsn := backend.DSN(t)
			db := MustOpenAt(t, dsn, testConfig)
			ctx := context.Background()
			if db.pg {
				// A database at version 10: orders_shop_delivered as
				// migration 5 made it, and no migration 12.
				if _, err := db.sql.ExecContext(ctx, `DROP INDEX orders_shop_delivered;
CREATE INDEX orders_shop_delivered ON orders (shop, delivered_day, created_day, products);
DROP TABLE chat_turns_stale;
DELETE FROM schema_migrations WHERE version > 10`); err != nil {
					t.Fatal(err)
				}
				db.Close()
				db = MustOpenAt(t, dsn, testConfig)
			}
			const lines = 500
			var b strings.Builder
			b.WriteString(ordersHeader)
			ids := rand.New(rand.NewPCG(1, 2)) // random digits: PostgreSQL cannot compress them to fit
			for i := range lines {
				fmt.Fprintf(&b, "o1,7495001,%d,2026-11-01T10:00:00+07:00,Item %d,2026-11-03T10:00:00+07:00,delivered\n", 1e18+ids.Int64N(8e18), i)
			}
			MustImport(t, db, Orders, "orders.csv", b.String())
			var products string
			if err := db.sql.QueryRowContext(ctx, `SELECT products FROM orders WHERE order_id = 'o1'`).Scan(&products); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(products, "\n") + 1; n != lines || len(products) < 2704 {
				t.Errorf("the order has %d products in %d bytes, want %d in over 2,704", n, len(products), lines)
			}
		})
	}
}
