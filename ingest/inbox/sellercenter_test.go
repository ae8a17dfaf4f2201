package inbox_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/inbox"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// Seller Center's exports, as downloaded, are taken by their header; with
// two shops configured, the file name says whose they are.
func TestScanSellerCenterExports(t *testing.T) {
	cfg, err := rules.ParseConfig([]byte(testConfig + `  - id: "7495002"
    name: "Acme US"
    timezone: America/New_York
    profile: us
`))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), store.Options{DSN: filepath.Join(t.TempDir(), "shopwatch.db"), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sample := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "store", "testdata", "sellercenter", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	dir := t.TempDir()
	w, err := inbox.New(inbox.Options{Dir: dir, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	drop(t, dir, "Order_7495001_2026-12-01.csv", sample("orders-7495001.csv"), 3*time.Minute)
	drop(t, dir, "returns 7495001.csv", sample("returns-7495001.csv"), 2*time.Minute)
	drop(t, dir, "reviews.csv", sample("reviews-7495001.csv"), time.Minute)
	w.Scan(t.Context())
	results, err := w.Scan(t.Context())
	if err != nil || len(results) != 3 {
		t.Fatalf("results = %+v, %v", results, err)
	}
	tests := []struct {
		file   string
		kind   store.Kind
		rows   int
		report string // the failed file's report, "" when imported
	}{
		{"Order_7495001_2026-12-01.csv", store.Orders, 7, ""},
		{"returns 7495001.csv", store.Returns, 4, ""},
		{"reviews.csv", store.Reviews, 0, "reviews.csv:1: header: a Seller Center export names no shop, and the config has 2: put the shop id in the file name"},
	}
	for i, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := results[i]
			if r.File != tt.file || r.Kind != tt.kind || r.Imported != tt.rows {
				t.Fatalf("result = %+v", r)
			}
			if tt.report == "" {
				if r.Err != nil || r.MovedTo != filepath.Join(dir, "done", tt.file) {
					t.Fatalf("result = %+v", r)
				}
				return
			}
			report, err := os.ReadFile(r.Report)
			if !r.Failed() || err != nil || !strings.Contains(string(report), tt.report) {
				t.Fatalf("result = %+v; report %v:\n%s", r, err, report)
			}
		})
	}
}
