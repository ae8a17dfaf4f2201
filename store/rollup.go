package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
)

// An orders import keeps one row per order: the lines of the CSV (key
// order_id + product_id) become the order's set of products, and the
// order's dates and status are those of the last line read. The rollup
// table shop_days counts orders created and delivered per shop and local
// date; it stays exact because, before a batch is written, the stored state
// of its orders is read and the rollup moves by the difference between old
// and new. A re-imported order that was delivered meanwhile moves from "not
// delivered" to its delivery date; an unchanged one moves nothing.

// orderFact is an order as one import batch leaves it.
type orderFact struct {
	shop                   int64
	createdAt, deliveredAt int64
	created, delivered     rules.Day
	hasDeliv               bool
	status                 string
	products               []string
}

// The targets of an orders import (kinds.go).
const (
	targetOrders = iota
	targetProducts
)

// storedOrder is an order as the database has it before a batch.
type storedOrder struct {
	shop               int64
	created, delivered rules.Day
	hasDeliv           bool
	products           []string
}

// ordersImport is the state of one orders import.
type ordersImport struct {
	// deltas are the rollup changes of the batch, by (shop, day):
	// (created, delivered). They add up, so they are written once per
	// batch, in its transaction.
	deltas map[[2]int64]*[2]int64
}

// prepare reads the stored state of the batch's orders, merges their
// product sets and queues the order rows and the rollup changes.
func (oi *ordersImport) prepare(ctx context.Context, tx *sql.Tx, b *batch) error {
	if len(b.orders) == 0 {
		return nil
	}
	// Key order keeps the b-tree writes local (and the result deterministic).
	ids := make([]string, 0, len(b.orders))
	for id := range b.orders {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// A staged import writes orders in id order, and most come after every
	// stored one (a first load, an export of newer orders): none of those
	// is stored, and reading them would cost a lookup each for nothing.
	// order_id is TEXT, which SQLite compares by its bytes, as Go does.
	var maxID sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT MAX(order_id) FROM orders`).Scan(&maxID); err != nil {
		return fmt.Errorf("read stored orders: %w", err)
	}
	old := map[string]*storedOrder{}
	if maxID.Valid && ids[0] <= maxID.String {
		var err error
		if old, err = storedOrders(ctx, tx, ids); err != nil {
			return err
		}
	}
	move := func(shop int64, created, delivered rules.Day, hasDeliv bool, sign int64) {
		add := func(day rules.Day, c, d int64) {
			k := [2]int64{shop, int64(day)}
			v := oi.deltas[k]
			if v == nil {
				v = new([2]int64)
				oi.deltas[k] = v
			}
			v[0] += c
			v[1] += d
		}
		add(created, sign, 0)
		if hasDeliv {
			add(delivered, 0, sign)
		}
	}
	for _, id := range ids {
		o := b.orders[id]
		products := o.products
		if s := old[id]; s != nil {
			move(s.shop, s.created, s.delivered, s.hasDeliv, -1)
			products = s.products
			for _, p := range o.products {
				if !slices.Contains(products, p) {
					products = append(products, p)
				}
			}
		}
		move(o.shop, o.created, o.delivered, o.hasDeliv, +1)
		var deliveredAt, deliveredDay any
		if o.hasDeliv {
			deliveredAt, deliveredDay = o.deliveredAt, int64(o.delivered)
		}
		b.add(targetOrders, id, id, o.shop, o.createdAt, int64(o.created), deliveredAt, deliveredDay, o.status, strings.Join(products, "\n"))
	}
	return nil
}

// flush writes the batch's rollup changes.
func (oi *ordersImport) flush(ctx context.Context, tx *sql.Tx) error {
	changes := newRows(len(shopDaysTarget.cols))
	for k, v := range oi.deltas {
		if v[0] != 0 || v[1] != 0 {
			changes.add(fmt.Sprint(k[0], "/", k[1]), []any{k[0], k[1], v[0], v[1]})
		}
	}
	if changes.len() > 0 {
		if _, err := tx.ExecContext(ctx, shopDaysTarget.upsertSQL(), string(changes.json(nil))); err != nil {
			return fmt.Errorf("update shop_days: %w", err)
		}
	}
	clear(oi.deltas)
	return nil
}

// storedOrders reads the stored state of the given orders.
func storedOrders(ctx context.Context, tx *sql.Tx, ids []string) (map[string]*storedOrder, error) {
	old := map[string]*storedOrder{}
	if len(ids) == 0 {
		return old, nil
	}
	idJSON, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT o.order_id, o.shop, o.created_day, o.delivered_day, o.products
FROM json_each(?) j CROSS JOIN orders o ON o.order_id = j.value`, string(idJSON))
	if err != nil {
		return nil, fmt.Errorf("read stored orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, products string
		var s storedOrder
		var delivered sql.NullInt64
		if err := rows.Scan(&id, &s.shop, &s.created, &delivered, &products); err != nil {
			return nil, err
		}
		s.delivered, s.hasDeliv = rules.Day(delivered.Int64), delivered.Valid
		s.products = strings.Split(products, "\n")
		old[id] = &s
	}
	return old, rows.Err()
}

// rebuildRollups recomputes a shop's rollup from its orders.
func rebuildRollups(ctx context.Context, tx *sql.Tx, shop int64) error {
	stmts := []string{
		`DELETE FROM shop_days WHERE shop = ?1`,
		`INSERT INTO shop_days (shop, day, created, delivered)
SELECT shop, day, SUM(c), SUM(d) FROM (
	SELECT shop, created_day AS day, 1 AS c, 0 AS d FROM orders WHERE shop = ?1
	UNION ALL
	SELECT shop, delivered_day, 0, 1 FROM orders WHERE shop = ?1 AND delivered_day IS NOT NULL
) AS days GROUP BY shop, day`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s, shop); err != nil {
			return fmt.Errorf("rebuild rollups: %w", err)
		}
	}
	return nil
}
