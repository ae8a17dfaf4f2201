package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Imports on PostgreSQL. The whole import is one transaction: readers keep
// reading the committed state meanwhile (MVCC), so there is no reason to
// commit in chunks as on SQLite, and an import that fails for any reason
// leaves nothing behind. Parsed rows go to temporary staging tables with
// COPY (pgx CopyFrom), each row numbered in input order; at the end one
// set-based merge per table upserts the last row of each key:
//
//   - orders: an order's dates and status are those of its last line, its
//     products the stored ones followed by the new ones in input order;
//     shop_days moves by the difference between the stored and the merged
//     orders, computed before the orders are written;
//   - every other table: the last row of each key replaces the stored one;
//   - chats: the touched conversations have their turns rebuilt, as on
//     SQLite (rebuildTurns).

// pgCopyRows is how many rows are buffered per table before a COPY.
const pgCopyRows = 8192

type pgWriter struct {
	db    *DB
	conn  *sql.Conn
	tx    *sql.Tx
	spec  *kindSpec
	steps importSteps
	seq   int64
	rows  [][][]any // per target (orders: per orderTargets), rows waiting for COPY
}

func (db *DB) newPGWriter(ctx context.Context, spec *kindSpec) (*pgWriter, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	w := &pgWriter{db: db, conn: conn, spec: spec, rows: make([][][]any, len(spec.targets))}
	if spec.begin != nil && spec.kind != Orders { // orders merge in SQL (mergeOrders)
		if w.steps, err = spec.begin(ctx, db, conn); err != nil {
			conn.Close()
			return nil, fmt.Errorf("import %s: %w", spec.kind, err)
		}
	}
	return w, nil
}

// stageCols are a target's columns in its staging table.
func stageCols(t target) []string { return append(append([]string(nil), t.cols...), "seq") }

func (w *pgWriter) write(ctx context.Context, b *batch) error {
	if w.tx == nil {
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		w.tx = tx
		// The merge sorts and hashes the whole import: in memory.
		if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		for _, t := range w.spec.targets {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE stage_%s ON COMMIT DROP AS SELECT %s, 0::bigint AS seq FROM %s WITH NO DATA`,
				t.name, strings.Join(t.cols, ", "), t.name)); err != nil {
				return fmt.Errorf("stage %s: %w", t.name, err)
			}
		}
	}
	if w.spec.kind == Orders {
		for id, o := range b.orders {
			var deliveredAt, deliveredDay any
			if o.hasDeliv {
				deliveredAt, deliveredDay = o.deliveredAt, int64(o.delivered)
			}
			w.seq++
			w.rows[targetOrders] = append(w.rows[targetOrders], []any{id, o.shop, o.createdAt, int64(o.created), deliveredAt, deliveredDay, o.status, strings.Join(o.products, "\n"), w.seq})
		}
	}
	for t := range b.targets {
		rs := &b.targets[t]
		for i := range rs.len() {
			row := make([]any, 0, rs.width+1)
			for _, v := range rs.row(i) {
				row = append(row, pgValue(v))
			}
			w.seq++
			w.rows[t] = append(w.rows[t], append(row, w.seq))
		}
	}
	for t := range w.rows {
		if len(w.rows[t]) >= pgCopyRows {
			if err := w.copy(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// pgValue is v as COPY takes it into an integer or text column.
func pgValue(v any) any {
	switch v := v.(type) {
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	case int:
		return int64(v)
	}
	return v
}

// copy sends the buffered rows of target t to its staging table.
func (w *pgWriter) copy(ctx context.Context, t int) error {
	rows := w.rows[t]
	if len(rows) == 0 {
		return nil
	}
	tg := w.spec.targets[t]
	err := w.conn.Raw(func(dc any) error {
		c, ok := pgxConn(dc)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		_, err := c.CopyFrom(ctx, pgx.Identifier{"stage_" + tg.name}, stageCols(tg), pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("copy %s: %w", tg.name, err)
	}
	clear(rows)
	w.rows[t] = rows[:0]
	return nil
}

// due is never: the import commits once, at the end.
func (w *pgWriter) due(bool) bool { return false }

func (w *pgWriter) commit(ctx context.Context) error {
	if w.tx == nil {
		return nil
	}
	for t := range w.rows {
		if err := w.copy(ctx, t); err != nil {
			return err
		}
	}
	for t, tg := range w.spec.targets {
		var err error
		if w.spec.kind == Orders && t == targetOrders {
			err = mergeOrders(ctx, w.tx)
		} else {
			_, err = w.tx.ExecContext(ctx, tg.upsertFrom(fmt.Sprintf(`SELECT DISTINCT ON (%s) %s FROM stage_%s ORDER BY %s, seq DESC`,
				strings.Join(tg.cols[:tg.keys], ", "), strings.Join(tg.cols, ", "), tg.name, strings.Join(tg.cols[:tg.keys], ", "))))
		}
		if err != nil {
			return fmt.Errorf("merge %s: %w", tg.name, err)
		}
	}
	if w.steps.flush != nil {
		if err := w.steps.flush(ctx, w.tx); err != nil {
			return err
		}
	}
	tx := w.tx
	w.tx = nil
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

var orderCols = strings.Join(orderTargets[targetOrders].cols, ", ")

// mergeOrders merges stage_orders into orders and moves shop_days by the
// difference, each step one set-based statement over the whole import.
func mergeOrders(ctx context.Context, tx *sql.Tx) error {
	stmts := []string{
		// The last row of each order, with the products of that row,
		`CREATE TEMP TABLE merged_orders ON COMMIT DROP AS
SELECT DISTINCT ON (order_id) order_id, shop, created_at, created_day, delivered_at, delivered_day, status, products,
	COUNT(*) OVER (PARTITION BY order_id) AS staged, false AS stored
FROM stage_orders ORDER BY order_id, seq DESC`,
		`ANALYZE merged_orders`, // temporary tables have no statistics otherwise
		`UPDATE merged_orders m SET stored = true FROM orders o WHERE o.order_id = m.order_id`,
		// which is right for most; an order staged more than once, or
		// stored already, gets the union of its products in order of
		// appearance, the stored ones first.
		`UPDATE merged_orders m SET products = u.products FROM (
	WITH again AS (
		SELECT order_id FROM merged_orders WHERE staged > 1 OR stored
	), lines AS (
		SELECT o.order_id, p.product, 0::bigint AS seq, p.n
		FROM orders o JOIN again a ON a.order_id = o.order_id
		CROSS JOIN LATERAL unnest(string_to_array(o.products, E'\n')) WITH ORDINALITY AS p(product, n)
		UNION ALL
		SELECT s.order_id, p.product, s.seq, p.n
		FROM stage_orders s JOIN again a ON a.order_id = s.order_id
		CROSS JOIN LATERAL unnest(string_to_array(s.products, E'\n')) WITH ORDINALITY AS p(product, n)
	), firsts AS (
		SELECT DISTINCT ON (order_id, product) order_id, product, seq, n FROM lines ORDER BY order_id, product, seq, n
	)
	SELECT order_id, string_agg(product, E'\n' ORDER BY seq, n) AS products FROM firsts GROUP BY order_id
) u WHERE u.order_id = m.order_id`,
		// shop_days: minus the stored orders, plus the merged ones.
		`INSERT INTO shop_days (shop, day, created, delivered)
SELECT shop, day, SUM(c), SUM(d) FROM (
	SELECT o.shop, o.created_day AS day, -1 AS c, 0 AS d FROM orders o JOIN merged_orders m ON m.order_id = o.order_id
	UNION ALL
	SELECT o.shop, o.delivered_day, 0, -1 FROM orders o JOIN merged_orders m ON m.order_id = o.order_id WHERE o.delivered_day IS NOT NULL
	UNION ALL
	SELECT shop, created_day, 1, 0 FROM merged_orders
	UNION ALL
	SELECT shop, delivered_day, 0, 1 FROM merged_orders WHERE delivered_day IS NOT NULL
) d GROUP BY shop, day HAVING SUM(c) <> 0 OR SUM(d) <> 0
ON CONFLICT (shop, day) DO UPDATE SET created = shop_days.created + excluded.created, delivered = shop_days.delivered + excluded.delivered`,
		// New orders are inserted, stored ones updated: no speculative
		// insertion for each row, as ON CONFLICT would do.
		`UPDATE orders o SET shop = m.shop, created_at = m.created_at, created_day = m.created_day, delivered_at = m.delivered_at,
	delivered_day = m.delivered_day, status = m.status, products = m.products
FROM merged_orders m WHERE m.stored AND o.order_id = m.order_id`,
		`INSERT INTO orders (` + orderCols + `) SELECT ` + orderCols + ` FROM merged_orders WHERE NOT stored`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (w *pgWriter) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
	for t := range w.rows {
		clear(w.rows[t])
		w.rows[t] = w.rows[t][:0]
	}
}

func (w *pgWriter) finish(ctx context.Context, shops []int64, at time.Time) error {
	if len(shops) == 0 {
		return nil
	}
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := touchShops(ctx, tx, shops); err != nil {
		tx.Rollback()
		return err
	}
	if err := recordImports(ctx, tx, w.spec.kind, shops, at); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (w *pgWriter) close() {
	w.rollback()
	w.conn.Close()
}
