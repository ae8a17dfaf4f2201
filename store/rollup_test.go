package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRollupStaysExact imports random orders in several rounds, re-importing
// some with changed dates, shops, lines and deliveries, and checks after
// every round that the incremental rollup equals one rebuilt from scratch.
func TestRollupStaysExact(t *testing.T) {
	db := MustOpen(t, testConfig)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	shops := []struct{ id, offset string }{{"7495001", "+07:00"}, {"7495002", "-05:00"}}
	for round := range 6 {
		var b strings.Builder
		b.WriteString(ordersHeader)
		n := 400
		if round == 0 {
			n = max(3*batchRows, 6000) // a first load spanning batches, with repeats across them
		}
		for range n {
			id := rng.IntN(300 + 2000*(1-min(round, 1))) // ids repeat across and within rounds
			s := shops[rng.IntN(len(shops))]
			created := fmt.Sprintf("2026-10-%02dT%02d:30:00%s", 1+rng.IntN(20), rng.IntN(24), s.offset)
			delivered := ""
			if rng.IntN(3) > 0 {
				delivered = fmt.Sprintf("2026-10-%02dT%02d:00:00%s", 22+rng.IntN(9), rng.IntN(24), s.offset)
			}
			fmt.Fprintf(&b, "o%d,%s,p%d,%s,Item %d,%s,\n", id, s.id, rng.IntN(4), created, round, delivered)
		}
		MustImport(t, db, Orders, fmt.Sprintf("round%d.csv", round), b.String())

		got := rollupSnapshot(t, db)
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range db.shops {
			if err := rebuildRollups(ctx, tx, s.key); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if want := rollupSnapshot(t, db); got != want {
			t.Fatalf("round %d: incremental rollup\n%s\nrebuilt\n%s", round, got, want)
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM orders"); n < 2000 {
		t.Errorf("only %d orders: the test did not exercise re-imports", n)
	}
}

func rollupSnapshot(tb testing.TB, db *DB) string {
	tb.Helper()
	rows, err := db.sql.Query(`SELECT shop, day, created, delivered FROM shop_days WHERE created != 0 OR delivered != 0 ORDER BY shop, day`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var shop, day, c, d int64
		if err := rows.Scan(&shop, &day, &c, &d); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %d %d\n", shop, day, c, d)
	}
	return b.String()
}
