package inbox_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/ingest/inbox"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

const testConfig = `shops:
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
`

// MustDB opens a database in a fresh file, and the same file through
// database/sql for checks.
func MustDB(tb testing.TB) (*store.DB, *sql.DB) {
	tb.Helper()
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
	return db, raw
}

// drop writes a file into dir, last changed age ago.
func drop(tb testing.TB, dir, name, text string, age time.Duration) {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(p, at, at); err != nil {
		tb.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

const (
	reviewsHeader = "review_id,order_id,shop_id,product_id,rating,created_at,text\n"
	goodReviews   = reviewsHeader +
		"rv1,o1,7495001,p1,1,2026-11-19T10:00:00+07:00,\"Arrived broken,\nbox crushed\"\n" +
		"rv2,o2,7495001,p1,5,2026-11-19T11:00:00+07:00,Love it\n"
	badReviews = reviewsHeader +
		"rv3,o3,7495001,p1,4,2026-11-19T10:00:00+07:00,ok\n" +
		"rv4,o4,7495001,p1,7,2026-11-19T10:00:00+07:00,great\n" +
		"rv5,o5,999,p1,1,2026-11-19T10:00:00+07:00,bad\n"
)

func TestScan(t *testing.T) {
	db, raw := MustDB(t)
	dir := t.TempDir()
	w, err := inbox.New(inbox.Options{Dir: dir, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	drop(t, dir, "reviews-good.CSV", goodReviews, time.Minute)
	drop(t, dir, "reviews-bad.csv", badReviews, 2*time.Minute)
	drop(t, dir, "products.csv", "sku,name\n1,x\n", 3*time.Minute)
	drop(t, dir, "writing.csv", reviewsHeader+"rv9,o9,7495001,p1,1,2026-11-19T10:00:00+07:00,", 0) // just written
	drop(t, dir, ".partial.csv", goodReviews, time.Minute)
	drop(t, dir, "notes.txt", "hello", time.Minute)

	if results, err := w.Scan(t.Context()); err != nil || len(results) != 0 {
		t.Fatalf("first scan: %+v, %v; want nothing taken before a second scan sees the files unchanged", results, err)
	}
	results, err := w.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]inbox.Result{}
	for _, r := range results {
		got[r.File] = r
	}
	if len(results) != 3 {
		t.Fatalf("results = %+v, want the three settled CSV files", results)
	}

	t.Run("good file", func(t *testing.T) {
		r := got["reviews-good.CSV"]
		if r.Err != nil || r.Kind != store.Reviews || r.Rows != 2 || r.Imported != 2 || r.MovedTo != filepath.Join(dir, "done", "reviews-good.CSV") {
			t.Fatalf("result = %+v", r)
		}
		if !exists(r.MovedTo) || exists(filepath.Join(dir, "reviews-good.CSV")) {
			t.Fatal("the file was not moved to done/")
		}
	})
	t.Run("bad rows", func(t *testing.T) {
		r := got["reviews-bad.csv"]
		if !r.Failed() || r.MovedTo != filepath.Join(dir, "failed", "reviews-bad.csv") || !exists(r.MovedTo) {
			t.Fatalf("result = %+v", r)
		}
		report, err := os.ReadFile(filepath.Join(dir, "failed", "reviews-bad.csv.error.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"2 row(s) are invalid, so nothing", `reviews-bad.csv:3: rating: "7" is not an integer from 1 to 5`, `reviews-bad.csv:4: shop_id: unknown shop "999"`} {
			if !strings.Contains(string(report), want) {
				t.Fatalf("report lacks %q:\n%s", want, report)
			}
		}
	})
	t.Run("unknown header", func(t *testing.T) {
		r := got["products.csv"]
		if !r.Failed() {
			t.Fatalf("result = %+v", r)
		}
		report, _ := os.ReadFile(r.Report)
		if !strings.Contains(string(report), "names no record kind") {
			t.Fatalf("report:\n%s", report)
		}
	})
	t.Run("left alone", func(t *testing.T) {
		for _, name := range []string{"writing.csv", ".partial.csv", "notes.txt"} {
			if !exists(filepath.Join(dir, name)) {
				t.Fatalf("%s was taken", name)
			}
		}
	})
	t.Run("database", func(t *testing.T) {
		var ids string
		if err := raw.QueryRow(`SELECT group_concat(review_id, ' ') FROM (SELECT review_id FROM reviews ORDER BY review_id)`).Scan(&ids); err != nil {
			t.Fatal(err)
		}
		if ids != "rv1 rv2" {
			t.Fatalf("reviews %q, want the good file's rv1 rv2 and nothing of the bad file", ids)
		}
	})

	t.Run("a second file of the same name", func(t *testing.T) {
		drop(t, dir, "reviews-good.CSV", goodReviews, time.Minute)
		w.Scan(t.Context())
		results, err := w.Scan(t.Context())
		if err != nil || len(results) != 1 || results[0].MovedTo != filepath.Join(dir, "done", "reviews-good-2.CSV") {
			t.Fatalf("results = %+v, %v", results, err)
		}
	})
}

// TestRun: Run scans every Every on its clock and takes a file once it has
// settled. The fake clock drives both; the test only polls for the result.
func TestRun(t *testing.T) {
	db, _ := MustDB(t)
	dir := t.TempDir()
	clk := clockwork.NewFakeClockAt(time.Now())
	w, err := inbox.New(inbox.Options{Dir: dir, DB: db, Clock: clk, Settle: time.Minute, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	drop(t, dir, "chats.csv", "message_id,conversation_id,shop_id,sender,sent_at\nm1,c1,7495001,buyer,2026-11-19T10:00:00+07:00\n", 0)
	deadline := time.Now().Add(10 * time.Second)
	for !exists(filepath.Join(dir, "done", "chats.csv")) {
		if time.Now().After(deadline) {
			t.Fatal("the file was not imported")
		}
		clk.Advance(time.Hour)
		time.Sleep(10 * time.Millisecond) // polls for the scan's result
	}
}
