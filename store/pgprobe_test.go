package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// A small import into big tables finds its stored rows by their keys, one
// index probe per staged row, instead of reading every stored row
// (fewStaged, execJoins): the planner, which costs a probe as a random
// read, hashed the whole table. Inside the import's own transaction, the
// big tables' statistics count the rows read by sequential scans: an
// import of a few rows of each kind reads fewer than it imports.
func TestSmallImportsProbeStoredRowsOnPostgres(t *testing.T) {
	const stored, small = 20000, 100
	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	ctx := context.Background()
	for _, kind := range []Kind{Orders, Reviews, Returns, Chats} {
		MustImport(t, db, kind, "big.csv", probeCSV(kind, 0, stored))
	}
	tables := []string{"orders", "reviews", "returns", "chat_messages", "chat_turns"}
	var read map[string]int64
	// The transaction's statistics hold what the connection's earlier
	// ones left to report too: the import's rows are the difference.
	db.importTx = func(tx *sql.Tx, commit bool) {
		sign := int64(1)
		if !commit {
			sign = -1
		}
		rows, err := tx.QueryContext(ctx, `SELECT relname, COALESCE(seq_tup_read, 0) FROM pg_stat_xact_user_tables WHERE relname = ANY (?)`, tables)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var table string
			var n int64
			if err := rows.Scan(&table, &n); err != nil {
				t.Fatal(err)
			}
			read[table] += sign * n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Statistics as the first load left them (its index builds count
	// the rows), then as ANALYZE (autovacuum) leaves them.
	for round, analyze := range []bool{false, true} {
		if analyze {
			if _, err := db.sql.ExecContext(ctx, `ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		for _, kind := range []Kind{Orders, Reviews, Returns, Chats} {
			table := kindSpecs[kind].targets[0].name
			read = map[string]int64{}
			before := count(t, db, "SELECT COUNT(*) FROM "+table)
			// The chats' probes need statistics of the stored tables,
			// which a first load leaves without (withStatistics).
			const withStats = `SELECT COUNT(DISTINCT tablename) FROM pg_stats WHERE tablename IN ('chat_messages', 'chat_turns')`
			statsBefore := count(t, db, withStats)
			MustImport(t, db, kind, "day.csv", probeCSV(kind, stored+round*small, small))
			if stats := count(t, db, withStats); kind == Chats && stats != 2 {
				t.Errorf("round %d: after a small chats import, %d of chat_messages and chat_turns have statistics (%d before), want both", round, stats, statsBefore)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM "+table) - before; n != small {
				t.Fatalf("%s: %d rows imported, want %d", kind, n, small)
			}
			if len(read) == 0 {
				t.Fatalf("%s: the import's statistics were not read", kind)
			}
			for table, n := range read {
				if n > small {
					t.Errorf("round %d: importing %d %s read %d rows of %s by sequential scans", round, small, kind, n, table)
				}
			}
		}
	}
	// Against the orders stored now: a day's rows are few, a fifth of
	// the table is not.
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, c := range []struct {
		n    int64
		want bool
	}{{small, true}, {stored / 5, false}} {
		if got, err := fewStaged(ctx, tx, c.n, "orders"); err != nil || got != c.want {
			t.Errorf("fewStaged(%d of %d orders) = %v, %v; want %v", c.n, stored+2*small, got, err, c.want)
		}
	}
}

// probeCSV is a file of n rows of kind, numbered from `from`. Chat
// messages are those of n/5 conversations, or, from a non-zero `from`,
// new messages of stored conversations.
func probeCSV(kind Kind, from, n int) string {
	if kind == Chats && from == 0 {
		return chatsCSV(n/5, 5)
	}
	var b strings.Builder
	b.WriteString(strings.Join(Columns(kind), ",") + "\n")
	for i := from; i < from+n; i++ {
		switch kind {
		case Orders:
			b.WriteString(orderRow(i))
		case Reviews:
			fmt.Fprintf(&b, "r%d,o%d,7495001,p%d,%d,2026-11-05T10:00:00+07:00,fine,\n", i, i, i%7, 1+i%5)
		case Returns:
			fmt.Fprintf(&b, "x%d,o%d,7495001,p%d,2026-11-05T10:00:00+07:00,Damaged,refund,completed\n", i, i, i%7)
		case Chats:
			fmt.Fprintf(&b, "new%d,c%d,7495001,buyer,2026-10-02T%02d:00:00+07:00,hi\n", i, i%40, i%24)
		}
	}
	return b.String()
}

// A small import writes its orders shop by shop (writeOrder), not in key
// order: with ids issued in time order across shops, as TikTok's are, key
// order put both shops' orders of the day on every page it filled, and a
// breakdown, which reads a shop's orders from the table, read them all.
// The new orders and the stored ones the import updates alike.
func TestSmallImportsWriteOrdersShopByShopOnPostgres(t *testing.T) {
	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	MustImport(t, db, Orders, "big.csv", probeCSV(Orders, 0, 20000))
	// 1,000 orders of two shops, their ids alternating; the first 200
	// as stored with other products, so merged.
	day := func(from, to int, product string) string {
		var b strings.Builder
		b.WriteString(ordersHeader)
		for i := from; i < to; i++ {
			shop := []string{"7495001", "7495002"}[i%2]
			fmt.Fprintf(&b, "t%06d,%s,%s%d,2026-11-01T10:00:00+07:00,Serum,2026-11-03T10:00:00+07:00,delivered\n", i, shop, product, i%7)
		}
		return b.String()
	}
	MustImport(t, db, Orders, "stored.csv", day(0, 200, "p"))
	MustImport(t, db, Orders, "day.csv", day(0, 200, "q")+day(200, 1000, "p")[len(ordersHeader):])
	// The pages of the day's orders, of each shop and of both.
	var one, two, both int
	if err := db.sql.QueryRow(`SELECT
	COUNT(DISTINCT (ctid::text::point)[0]) FILTER (WHERE shop = s.a),
	COUNT(DISTINCT (ctid::text::point)[0]) FILTER (WHERE shop <> s.a),
	COUNT(DISTINCT (ctid::text::point)[0])
FROM orders, (SELECT id AS a FROM shops WHERE shop_id = '7495001') s WHERE order_id LIKE 't%'`).Scan(&one, &two, &both); err != nil {
		t.Fatal(err)
	}
	// Each of the three writes (the stored orders, the new ones, the
	// merged ones) may end one shop's pages on a page the other's start.
	if one+two > both+3 {
		t.Errorf("the day's orders of two shops fill %d and %d of the %d pages they are on: want them apart, sharing at most three", one, two, both)
	}
}

// A first load writes each COPY's orders shop by shop too (queueFirst's
// sort key), whatever the file's order.
func TestFirstLoadWritesOrdersShopByShopOnPostgres(t *testing.T) {
	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	var b strings.Builder
	b.WriteString(ordersHeader)
	for i := range 2000 {
		shop := []string{"7495001", "7495002"}[i%2]
		fmt.Fprintf(&b, "t%06d,%s,p%d,2026-11-%02dT10:00:00+07:00,Serum,2026-11-%02dT10:00:00+07:00,delivered\n", i, shop, i%7, 1+i%5, 3+i%5)
	}
	MustImport(t, db, Orders, "load.csv", b.String())
	var one, two, both int
	var ordered bool
	if err := db.sql.QueryRow(`SELECT
	COUNT(DISTINCT page) FILTER (WHERE shop = s.a),
	COUNT(DISTINCT page) FILTER (WHERE shop <> s.a),
	COUNT(DISTINCT page),
	bool_and(delivered_day >= prev_day OR prev_shop <> shop OR prev_day IS NULL)
FROM (SELECT shop, delivered_day, (ctid::text::point)[0] AS page,
		lag(delivered_day) OVER w AS prev_day, lag(shop) OVER w AS prev_shop
	FROM orders WINDOW w AS (ORDER BY ctid)) o,
	(SELECT id AS a FROM shops WHERE shop_id = '7495001') s`).Scan(&one, &two, &both, &ordered); err != nil {
		t.Fatal(err)
	}
	if one+two > both+1 || !ordered {
		t.Errorf("a first load's orders of two shops fill %d and %d of the %d pages they are on (want them apart, sharing at most one), each shop's by day: %v", one, two, both, ordered)
	}
}
