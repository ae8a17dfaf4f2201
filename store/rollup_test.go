package store

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// orderLine is one generated CSV line of the rollup property test.
type orderLine struct {
	id, shop     int
	created, csv string
}

// TestRollupStaysExact imports random orders in several rounds, re-importing
// some with changed dates, shops, lines and deliveries, and checks after
// every import that the incremental rollup equals one rebuilt from scratch.
// Each case feeds the lines in another order; the interleaved one imports
// an earlier round's file again, in another order, between rounds.
func TestRollupStaysExact(t *testing.T) {
	byShop := func(a, b orderLine) int { return cmp.Compare(a.shop, b.shop) }
	byDate := func(a, b orderLine) int { return cmp.Compare(a.created, b.created) }
	for _, tc := range []struct {
		name        string
		sort        func(a, b orderLine) int // nil: as generated, shops and dates mixed
		interleaved bool
	}{
		{name: "mixed order"},
		{name: "sorted by shop", sort: byShop},
		{name: "sorted by date", sort: byDate},
		{name: "mixed order, interleaved re-imports", interleaved: true},
		{name: "sorted by shop, interleaved re-imports", sort: byShop, interleaved: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			rng := rand.New(rand.NewPCG(1, 2))
			shops := []struct{ id, offset string }{{"7495001", "+07:00"}, {"7495002", "-05:00"}}
			var rounds [][]orderLine
			for round := range 6 {
				n := 400
				if round == 0 {
					n = max(3*batchRows, 6000) // a first load spanning batches, with repeats across them
				}
				lines := make([]orderLine, n)
				for i := range lines {
					id := rng.IntN(300 + 2000*(1-min(round, 1))) // ids repeat across and within rounds
					s := rng.IntN(len(shops))
					created := fmt.Sprintf("2026-10-%02dT%02d:30:00%s", 1+rng.IntN(20), rng.IntN(24), shops[s].offset)
					delivered := ""
					if rng.IntN(3) > 0 {
						delivered = fmt.Sprintf("2026-10-%02dT%02d:00:00%s", 22+rng.IntN(9), rng.IntN(24), shops[s].offset)
					}
					p := rng.IntN(4)
					lines[i] = orderLine{id: id, shop: s, created: created,
						csv: fmt.Sprintf("o%d,%s,p%d,%s,Item %d,%s,\n", id, shops[s].id, p, created, round, delivered)}
				}
				if tc.sort != nil {
					slices.SortStableFunc(lines, tc.sort)
				}
				rounds = append(rounds, lines)
				importLines(t, db, fmt.Sprintf("round%d.csv", round), lines)
				checkRollup(t, db, fmt.Sprintf("round %d", round))
				if tc.interleaved && round > 0 {
					again := slices.Clone(rounds[rng.IntN(round)])
					rng.Shuffle(len(again), func(i, j int) { again[i], again[j] = again[j], again[i] })
					importLines(t, db, fmt.Sprintf("round%d-again.csv", round), again)
					checkRollup(t, db, fmt.Sprintf("round %d, re-import", round))
				}
			}
			if n := count(t, db, "SELECT COUNT(*) FROM orders"); n < 2000 {
				t.Errorf("only %d orders: the test did not exercise re-imports", n)
			}
		})
	}
}

func importLines(t *testing.T, db *DB, name string, lines []orderLine) {
	t.Helper()
	var b strings.Builder
	b.WriteString(ordersHeader)
	for _, l := range lines {
		b.WriteString(l.csv)
	}
	MustImport(t, db, Orders, name, b.String())
}

// checkRollup compares the incremental rollup with one rebuilt from the
// stored orders.
func checkRollup(t *testing.T, db *DB, what string) {
	t.Helper()
	ctx := context.Background()
	got := rollupSnapshot(t, db)
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range db.index().byID {
		if err := rebuildRollups(ctx, tx, s.key); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if want := rollupSnapshot(t, db); got != want {
		t.Fatalf("%s: incremental rollup\n%s\nrebuilt\n%s", what, got, want)
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
