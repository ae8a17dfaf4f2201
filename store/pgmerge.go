package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// The merges of a PostgreSQL import (pgimport.go): each staged table into
// its own, by set-based statements over the whole import.

// mergeFirst merges the staged rows of the kind's first target (not
// orders) into tg: those of keys staged once (stage_T, unless the first
// load copied them into tg), then the last of each key staged again (its
// earlier rows are later in the input than its row staged once). Rows of
// keys staged once need no DISTINCT ON, whose sort was most of a
// re-import's time. One join sorts them out: stored as they are (left
// alone), stored with other values (updated), new (inserted in key
// order: 585k new messages into a table with its indexes took 4.0 s
// sorted, 6.3 s in input order). An upsert of every staged row looked up
// and compared each: 3.0 s for 585k unchanged messages, against 0.9 s
// for the join (psql, on the 1M demo); and the new rows go in by a plain
// INSERT, which no other import can race while this one holds the kind's
// lock (lockKind): 585k new messages took 4.3 s against 5.6 s through ON
// CONFLICT.
func (w *pgWriter) mergeFirst(ctx context.Context, tg target, m pgMerge) error {
	if !m.firstLoad {
		if err := execJoins(ctx, w.tx, m.byIndex, mergeOnceSQL(tg)); err != nil {
			return err
		}
	}
	if !w.repeats {
		return nil
	}
	return upsertLast(ctx, w.tx, tg, w.againTable())
}

// mergeOnceSQL is the statement that merges stage_T, whose rows have a key
// each, into tg (mergeFirst), whose stored rows it replaces: so do the
// first targets of every kind but orders (TestFirstTargetsReplace).
func mergeOnceSQL(tg target) string {
	keys, vals := tg.cols[:tg.keys], tg.cols[tg.keys:]
	prefixed := func(p string, cols []string) string { return p + strings.Join(cols, ", "+p) }
	on := func(a, b string) string {
		eq := make([]string, len(keys))
		for i, k := range keys {
			eq[i] = a + "." + k + " = " + b + "." + k
		}
		return strings.Join(eq, " AND ")
	}
	set := make([]string, len(vals))
	for i, c := range vals {
		set[i] = c + " = c." + c
	}
	return fmt.Sprintf(`WITH c AS MATERIALIZED (
	SELECT %[1]s, t.%[2]s IS NULL AS is_new FROM stage_%[3]s s LEFT JOIN %[3]s t ON %[4]s
	WHERE t.%[2]s IS NULL OR (%[5]s) IS DISTINCT FROM (%[6]s)
), changed AS (
	UPDATE %[3]s t SET %[7]s FROM c WHERE NOT c.is_new AND %[8]s
)
INSERT INTO %[3]s (%[9]s) SELECT %[9]s FROM c WHERE c.is_new ORDER BY %[10]s`,
		prefixed("s.", tg.cols), keys[0], tg.name, on("t", "s"),
		prefixed("t.", vals), prefixed("s.", vals),
		strings.Join(set, ", "), on("t", "c"),
		strings.Join(tg.cols, ", "), strings.Join(keys, ", "))
}

// upsertLast upserts into tg the last staged row of each key of stage.
func upsertLast(ctx context.Context, tx *sql.Tx, tg target, stage string) error {
	keys := strings.Join(tg.cols[:tg.keys], ", ")
	_, err := tx.ExecContext(ctx, tg.upsertFrom(fmt.Sprintf(`SELECT DISTINCT ON (%s) %s FROM %s ORDER BY %s, seq DESC`,
		keys, strings.Join(tg.cols, ", "), stage, keys)))
	return err
}

var orderCols = strings.Join(kindSpecs[Orders].targets[targetOrders].cols, ", ")

// mergeOrders merges the staged orders into orders and moves shop_days by
// the difference, each step one set-based statement over the import. On a
// first load (its indexes rebuilt), the orders copied into the table count
// as stored, and as new in shop_days, as the writer counted them
// (countDays, copied into first_days).
func (w *pgWriter) mergeOrders(ctx context.Context, m pgMerge) error {
	tx, firstLoad, again := w.tx, m.firstLoad, w.repeats
	if firstLoad {
		if err := w.copyDays(ctx); err != nil {
			return err
		}
	}
	// The orders staged once that are stored already, and whether their
	// staged row holds the stored products, and the stored row.
	if err := execJoins(ctx, tx, m.byIndex, `CREATE TEMP TABLE stored_orders ON COMMIT DROP AS
SELECT s.order_id, s.products = o.products AS same_products,
	(s.shop, s.created_at, s.created_day, s.delivered_at, s.delivered_day, s.status) IS NOT DISTINCT FROM
	(o.shop, o.created_at, o.created_day, o.delivered_at, o.delivered_day, o.status) AS same_row
FROM stage_orders s JOIN orders o ON o.order_id = s.order_id`); err != nil {
		return err
	}
	for _, q := range []string{
		`ANALYZE stored_orders`, // temporary tables have no statistics otherwise
		// The orders to merge product by product: staged again, or
		// stored with other products.
		`CREATE TEMP TABLE slow_orders ON COMMIT DROP AS
SELECT order_id FROM stage_orders_again
UNION
SELECT order_id FROM stored_orders WHERE NOT same_products`,
		`ANALYZE slow_orders`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	// A statement that would read an empty table of the two is left out
	// or goes without it: the planner takes an empty table for one row,
	// and tests each staged order against it in a loop (1M new orders
	// into a table holding others: shop_days took 2.25 s against 0.48 s).
	var stored, slow bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM stored_orders), EXISTS (SELECT 1 FROM slow_orders)`).Scan(&stored, &slow); err != nil {
		return err
	}
	// Whether any order staged once is new to the store: the staged ones
	// less the stored ones and those staged again too (the set A below),
	// counted in one scan of each table. A re-export brings none, and the
	// two statements that look for new orders, each an anti-join of every
	// staged order, are left out: re-importing the 1M demo's orders, the
	// server spent 0.87 s on the orders' insert and upsert and 0.83 s on
	// shop_days, against 0.2 s for this count (a count through an
	// anti-join of the few orders staged again took 0.74 s: hashing the
	// stored ones).
	anyNew := !firstLoad
	if anyNew && stored {
		inAgain := `0`
		if again {
			inAgain = `COUNT(*) FILTER (WHERE order_id IN (SELECT order_id FROM stage_orders_again))`
		}
		if err := tx.QueryRowContext(ctx, `SELECT s.n - k.n > s.a - k.a FROM
	(SELECT COUNT(*) AS n, `+inAgain+` AS a FROM stage_orders) s,
	(SELECT COUNT(*) AS n, `+inAgain+` AS a FROM stored_orders) k`).Scan(&anyNew); err != nil {
			return err
		}
	}
	notSlow, notStored := "", ""
	if slow {
		notSlow = ` AND NOT EXISTS (SELECT 1 FROM slow_orders w WHERE w.order_id = s.order_id)`
	}
	if stored {
		notStored = ` AND NOT EXISTS (SELECT 1 FROM stored_orders k WHERE k.order_id = s.order_id)`
	}
	// The orders staged once and stored neither: new to the store.
	isNew := `true` + notSlow + notStored
	newOrders := ""
	switch {
	case firstLoad:
		// The orders the load copied into the table, as the writer
		// counted them (countDays): aggregating them from the table took
		// 0.28-0.49 s of the 1M demo's first load.
		newOrders = `
	UNION ALL
	SELECT shop, day, created, delivered FROM first_days`
	case anyNew:
		newOrders = `
	UNION ALL
	SELECT s.shop, v.day, v.c, v.d FROM stage_orders s
	CROSS JOIN LATERAL (VALUES (s.created_day, 1, 0), (s.delivered_day, 0, 1)) v(day, c, d)
	WHERE v.day IS NOT NULL AND ` + isNew
	}
	// The slow orders' last row, with the union of their products in
	// order of appearance, the stored ones first.
	merged := `CREATE TEMP TABLE merged_orders ON COMMIT DROP AS SELECT ` + orderCols + ` FROM orders WITH NO DATA`
	if slow {
		merged = `CREATE TEMP TABLE merged_orders ON COMMIT DROP AS
WITH staged AS (
	SELECT s.* FROM stage_orders s JOIN slow_orders w ON w.order_id = s.order_id
	UNION ALL
	SELECT * FROM stage_orders_again
), last AS (
	SELECT DISTINCT ON (order_id) order_id, shop, created_at, created_day, delivered_at, delivered_day, status
	FROM staged ORDER BY order_id, seq DESC
), lines AS (
	SELECT o.order_id, p.product, 0::bigint AS seq, p.n
	FROM orders o JOIN slow_orders w ON w.order_id = o.order_id
	CROSS JOIN LATERAL unnest(string_to_array(o.products, E'\n')) WITH ORDINALITY AS p(product, n)
	UNION ALL
	SELECT s.order_id, p.product, s.seq, p.n
	FROM staged s CROSS JOIN LATERAL unnest(string_to_array(s.products, E'\n')) WITH ORDINALITY AS p(product, n)
), firsts AS (
	SELECT DISTINCT ON (order_id, product) order_id, product, seq, n FROM lines ORDER BY order_id, product, seq, n
)
SELECT l.*, p.products
FROM last l JOIN (
	SELECT order_id, string_agg(product, E'\n' ORDER BY seq, n) AS products FROM firsts GROUP BY order_id
) p ON p.order_id = l.order_id`
	}
	stmts := []string{merged}
	if stored {
		// An order staged once with the stored products (a re-export)
		// merges into its staged row: the stored products, the last
		// line's dates and status. One whose row is the stored one is
		// left alone.
		stmts = append(stmts, `INSERT INTO merged_orders SELECT `+orderCols+` FROM stage_orders s
WHERE EXISTS (SELECT 1 FROM stored_orders k WHERE k.order_id = s.order_id AND k.same_products AND NOT k.same_row)`+notSlow)
	}
	// shop_days: minus the stored orders, plus the merged and the new.
	stmts = append(stmts, `INSERT INTO shop_days (shop, day, created, delivered)
SELECT shop, day, SUM(c), SUM(d) FROM (
	SELECT o.shop, o.created_day AS day, -1 AS c, 0 AS d FROM orders o JOIN merged_orders m ON m.order_id = o.order_id
	UNION ALL
	SELECT o.shop, o.delivered_day, 0, -1 FROM orders o JOIN merged_orders m ON m.order_id = o.order_id WHERE o.delivered_day IS NOT NULL
	UNION ALL
	SELECT shop, created_day, 1, 0 FROM merged_orders
	UNION ALL
	SELECT shop, delivered_day, 0, 1 FROM merged_orders WHERE delivered_day IS NOT NULL`+newOrders+`
) d GROUP BY shop, day HAVING SUM(c) <> 0 OR SUM(d) <> 0
ON CONFLICT (shop, day) DO UPDATE SET created = shop_days.created + excluded.created, delivered = shop_days.delivered + excluded.delivered`)
	// The new orders as staged (none on a first load), and the merged
	// ones over the stored, in key order: the primary key's B-tree then
	// takes them page by page, not one scattered page per row (1M
	// mixed-order lines: the insert took half the time). A small import
	// (byIndex) writes them in the order of the orders index instead,
	// each shop's together: the table's pages then hold a shop's orders
	// of a day side by side, and a breakdown, which reads the products
	// of a shop's orders from the table (pgIndexForms), reads a few
	// pages a day rather than one per order (see writeOrder).
	order := "order_id"
	if m.byIndex {
		order = writeOrder
	}
	if anyNew {
		stmts = append(stmts, `INSERT INTO orders (`+orderCols+`) SELECT `+orderCols+` FROM stage_orders s
WHERE `+isNew+` ORDER BY `+order)
	}
	stmts = append(stmts, kindSpecs[Orders].targets[targetOrders].upsertFrom(`SELECT `+orderCols+` FROM merged_orders ORDER BY `+order))
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// writeOrder is the order in which a small import writes its orders on
// PostgreSQL: the orders index's. A day's orders of 100 shops, written in
// key order (ids issued in time order across shops, as TikTok's are),
// put each shop's orders on nearly every page the day filled: on the 1M
// demo with its ids so re-issued, its last 31 days imported one day at a
// time, the product bases of a shop's 27 days (1.4k-7.7k orders) read
// 1,316-4,660 of the table's pages, 104-418 in this order (53-188 ms,
// 6-21 ms, each in a new connection); the 31 imports took 9.3 and 10.4 s
// (one run each).
const writeOrder = "shop, delivered_day, created_day, order_id"

// pgMerge is what a PostgreSQL import's merge knows before it starts.
type pgMerge struct {
	// firstLoad: the kind's first table was empty, and holds the rows
	// seen first (pgWriter.firstLoad).
	firstLoad bool
	// byIndex: the rows staged are few against the stored ones
	// (fewStaged), and are joined with them by the table's key.
	byIndex bool
}

// probeRatio is how many times more rows than were staged a table must
// hold for the merge to join the staged rows with it by its key, one
// index probe per row, rather than by hashing. The planner, costing each
// probe as a random read (random_page_cost 4), hashed the whole table:
// a day's 15k orders into a table of 674k took 0.55-0.69 s to find which
// were stored (a 93 MB hash of the table), against 34 ms by probes. In
// psql, on that table, staged orders that are all stored (a probe then
// reads the table too): 60k took 195 ms by probes and 222 ms hashed, 150k
// 532 and 284 ms.
const probeRatio = 10

// fewStaged reports whether n staged rows are few against the rows of
// table, as the planner estimates them (from its statistics, scaled to
// the table's pages now).
func fewStaged(ctx context.Context, tx *sql.Tx, n int64, table string) (bool, error) {
	var plan string
	if err := tx.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) SELECT 1 FROM `+table).Scan(&plan); err != nil {
		return false, fmt.Errorf("estimate %s: %w", table, err)
	}
	var p []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal([]byte(plan), &p); err != nil || len(p) != 1 {
		return false, fmt.Errorf("estimate %s: unexpected plan %q", table, plan)
	}
	return float64(n)*probeRatio < p[0].Plan.Rows, nil
}

// withStatistics analyzes those of tables that have no statistics, for
// a merge by index probes (listStale): a first load leaves none, and
// autovacuum analyzes a table only a minute or so after it. Without them
// the planner takes each key for 0.5% of the table, and joined a day's
// 3.5k listed conversations with their messages, by index, from the
// messages' side: it read all 494k of them through the conversation index
// and looked each up in the list (0.93 s of a 1.6-1.9 s import; 0.86-0.96 s
// with the statistics made first). ANALYZE reads a sample of 30,000 rows:
// 0.1-0.29 s on the demo's big tables, once, where making them at each
// first load would add that to every one.
func withStatistics(ctx context.Context, tx *sql.Tx, tables ...string) error {
	for _, table := range tables {
		var has bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = current_schema() AND tablename = ?)`, table).Scan(&has); err != nil {
			return fmt.Errorf("statistics of %s: %w", table, err)
		}
		if has {
			continue
		}
		if _, err := tx.ExecContext(ctx, `ANALYZE `+table); err != nil {
			return fmt.Errorf("statistics of %s: %w", table, err)
		}
	}
	return nil
}

// execJoins runs q, whose every join is of a temporary table's rows
// (staged, or a list of conversations) with a stored table on its key, by
// index probes when byIndex (fewStaged) and as the planner sees fit
// otherwise. Only statements that join no two temporary
// tables may go this way: those have no index, and without hash and merge
// joins each row of one would scan the other.
func execJoins(ctx context.Context, tx *sql.Tx, byIndex bool, q string) error {
	if !byIndex {
		_, err := tx.ExecContext(ctx, q)
		return err
	}
	for _, s := range []string{`SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`, q, `RESET enable_hashjoin; RESET enable_mergejoin`} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
