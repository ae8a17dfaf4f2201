package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
)

// The fuzz targets feed arbitrary bytes to the CSV import of each kind,
// all or nothing and with SkipInvalid, and check that it never panics or
// fails without naming a row; that a rejected file writes nothing; that the
// counts add up; and that what an accepted file stored is what it said,
// within the limits. Seeds are in testdata/fuzz/FuzzImport*; plain `go
// test` runs them, `make fuzz` fuzzes each target for $(FUZZTIME).

func FuzzImportOrders(f *testing.F)  { fuzzImport(f, Orders) }
func FuzzImportReviews(f *testing.F) { fuzzImport(f, Reviews) }
func FuzzImportReturns(f *testing.F) { fuzzImport(f, Returns) }
func FuzzImportChats(f *testing.F)   { fuzzImport(f, Chats) }

// fuzzFile is the name of the fuzzed file: it names shop 7495001, the
// shop of Seller Center exports (sellercenter.go).
const fuzzFile = "in-7495001.csv"

// fuzzNow is the clock of the fuzzed imports.
var fuzzNow = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

// dataTables are the tables an import writes.
var dataTables = []string{"orders", "products", "shop_days", "reviews", "returns", "chat_messages", "chat_turns"}

// fuzzCheck describes how to find an imported row again: the table, its
// key column and one column whose stored value is the trimmed field of
// the same name, and the timestamp columns.
type fuzzCheck struct {
	table, key, value string
	times             []string
}

var fuzzChecks = map[Kind]fuzzCheck{
	Orders:  {"orders", "order_id", "", []string{"created_at", "delivered_at"}},
	Reviews: {"reviews", "review_id", "text", []string{"created_at"}},
	Returns: {"returns", "return_id", "reason", []string{"created_at"}},
	Chats:   {"chat_messages", "message_id", "text", []string{"sent_at"}},
}

func fuzzImport(f *testing.F, kind Kind) {
	cfg, err := rules.ParseConfig([]byte(testConfig))
	if err != nil {
		f.Fatal(err)
	}
	db, err := Open(context.Background(), Options{DSN: filepath.Join(f.TempDir(), "fuzz.db"), Config: cfg, Clock: clockwork.NewFakeClockAt(fuzzNow)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		ctx := context.Background()
		for _, table := range dataTables {
			if _, err := db.sql.ExecContext(ctx, "DELETE FROM "+table); err != nil {
				t.Fatal(err)
			}
		}
		res, err := db.Import(ctx, kind, []Source{{Name: fuzzFile, R: bytes.NewReader(data)}}, ImportOptions{SkipInvalid: skip})
		if err != nil {
			var invalid *InvalidInputError
			if !errors.As(err, &invalid) {
				t.Fatalf("the import failed without naming a row: %v", err)
			}
			if len(invalid.Rows) == 0 || invalid.Total < len(invalid.Rows) {
				t.Fatalf("InvalidInputError with %d rows, total %d", len(invalid.Rows), invalid.Total)
			}
			for _, r := range invalid.Rows {
				if r.Source != fuzzFile || r.Line < 1 || r.Problem == "" || !utf8.ValidString(r.Error()) {
					t.Fatalf("row error %#v", r)
				}
			}
			for _, table := range dataTables {
				if n := count(t, db, "SELECT COUNT(*) FROM "+table); n != 0 {
					t.Fatalf("a rejected import left %d rows in %s", n, table)
				}
			}
			return
		}
		fs := res.Files[0]
		if fs.Rows != fs.Imported+fs.Rejected || fs.Imported < 0 || fs.Rejected != res.Total || (!skip && fs.Rejected != 0) {
			t.Fatalf("counts %+v, total rejected %d", fs, res.Total)
		}
		check := fuzzChecks[kind]
		if n := count(t, db, "SELECT COUNT(*) FROM "+check.table); n > fs.Imported {
			t.Fatalf("%d rows stored from %d imported", n, fs.Imported)
		}
		checkSane(t, db, check)
		if !skip {
			checkRoundTrip(t, db, kind, check, data)
		}
	})
}

// checkSane checks every stored value of the kind's table against the
// import's limits.
func checkSane(t *testing.T, db *DB, c fuzzCheck) {
	cols := []string{c.key}
	if c.value != "" {
		cols = append(cols, c.value)
	}
	rows, err := db.sql.Query("SELECT " + strings.Join(append(cols, c.times...), ", ") + " FROM " + c.table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	lo, hi := earliest.UnixMilli(), fuzzNow.AddDate(1, 0, 0).UnixMilli()
	for rows.Next() {
		texts := make([]string, len(cols))
		times := make([]*int64, len(c.times))
		dest := make([]any, 0, len(cols)+len(times))
		for i := range texts {
			dest = append(dest, &texts[i])
		}
		for i := range times {
			dest = append(dest, &times[i])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		for i, v := range texts {
			if valueProblem(v, MaxFieldBytes) != "" {
				t.Fatalf("stored %s.%s %q: %s", c.table, cols[i], v, valueProblem(v, MaxFieldBytes))
			}
		}
		if texts[0] == "" {
			t.Fatalf("stored %s with an empty %s", c.table, c.key)
		}
		for i, ms := range times {
			if ms != nil && (*ms < lo || *ms > hi) {
				t.Fatalf("stored %s.%s %v, out of range", c.table, c.times[i], time.UnixMilli(*ms).UTC())
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// fileCols maps the header of an accepted file to the kind's fields, in
// SPEC's layout or, when it lacks a SPEC column, in Seller Center's.
func fileCols(kind Kind, header []string) (col map[string]int, seller bool) {
	col = map[string]int{}
	for i, h := range header {
		col[cleanHeader(h)] = i
	}
	for _, f := range kindSpecs[kind].required {
		if _, ok := col[f]; !ok {
			sc, _, _ := sellerCols(kindSpecs[kind], header)
			return sc, true
		}
	}
	return col, false
}

// checkRoundTrip checks that every row of an accepted file is stored under
// its key, with its value.
func checkRoundTrip(t *testing.T, db *DB, kind Kind, c fuzzCheck, data []byte) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("the import accepted what encoding/csv rejects: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("the import accepted a file without a header")
	}
	col, seller := fileCols(kind, recs[0])
	want := map[string]string{} // the last value of each key
	first := true
	for _, rec := range recs[1:] {
		if len(rec) != len(recs[0]) {
			continue // a blank line
		}
		get := func(field string) string {
			if i, ok := col[field]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if seller && first && strings.Contains(get("order_id"), " ") {
			first = false
			continue // Seller Center's column descriptions
		}
		first = false
		key := get(c.key)
		if seller {
			key = excelText(key)
			if key == "" { // a review or return keyed by order and product
				product := excelText(get("sku_id"))
				if product == "" {
					product = excelText(get("product_id"))
				}
				key = derivedKey(excelText(get("order_id")), product)
			}
		}
		want[key] = get(c.value)
	}
	for key, v := range want {
		var got string
		q := "SELECT " + c.key + " FROM " + c.table + " WHERE " + c.key + " = ?"
		if c.value != "" {
			q = "SELECT " + c.value + " FROM " + c.table + " WHERE " + c.key + " = ?"
		} else {
			v = key
		}
		if err := db.sql.QueryRow(q, key).Scan(&got); err != nil {
			t.Fatalf("%s %q of the file: %v", c.key, key, err)
		}
		if got != v {
			t.Fatalf("%s %q: stored %q, the file says %q", c.key, key, got, v)
		}
	}
}
