package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
)

// TestMapFile: a store opened with MapFile reads its file through a memory
// map, on every connection of its pool, and answers as one without: the
// same report of the same file, also after another connection (the other
// store's) has written to it, which a map must see.
func TestMapFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shopwatch.db")
	plain := MustOpenAt(t, path, testConfig)
	cfg, err := rules.ParseConfig([]byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := Open(ctx, Options{DSN: path, Config: cfg, MapFile: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mapped.Close()
	mapped.SetConnections(3)
	var conns []*sql.Conn // several connections of the pool at once, each with the pragma
	for range 3 {
		conn, err := mapped.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		var size int64
		if err := conn.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&size); err != nil {
			t.Fatal(err)
		}
		if size <= 0 {
			t.Errorf("MapFile: mmap_size %d, want the file mapped", size)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if n := count(t, plain, "PRAGMA mmap_size"); n != 0 {
		t.Errorf("without MapFile: mmap_size %d, want 0 (read calls)", n)
	}

	day := rules.DateDay(2026, 11, 5)
	facts := func(db *DB) string { return reportFacts(t, db, "7495001", day) }
	var rows strings.Builder
	rows.WriteString(ordersHeader)
	for i := range 500 {
		rows.WriteString(orderRow(i))
	}
	MustImport(t, plain, Orders, "orders.csv", rows.String())
	MustImport(t, plain, Reviews, "reviews.csv", "review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n"+
		"r1,o1,7495001,p1,1,2026-11-04T10:00:00+07:00,broken on arrival,\n")
	if a, b := facts(mapped), facts(plain); a != b {
		t.Errorf("mapped: %s\nplain:  %s", a, b)
	}
	MustImport(t, plain, Reviews, "more.csv", "review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n"+
		"r2,o2,7495001,p2,2,2026-11-04T11:00:00+07:00,late and damaged,\n")
	if a, b := facts(mapped), facts(plain); a != b || !strings.Contains(a, "nrr=2/") {
		t.Errorf("after another write, mapped: %s\nplain:  %s", a, b)
	}
}
