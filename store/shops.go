package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// shopRow is a row of the shops table.
type shopRow struct {
	ID       int64 `gorm:"primaryKey"`
	ShopID   string
	Name     string
	Timezone string
}

func (shopRow) TableName() string { return "shops" }

// shopIndex is the registry of configured shops, by TikTok shop id and by
// database key. An Open limited to some shops (Options.Shops) registers
// only them (all is false) until a lookup misses: ensureAll then registers
// the rest.
type shopIndex struct {
	byID  map[string]shopRef
	byKey map[int64]*rules.Shop
	all   bool
}

// index returns the shop registry as it is (see ensureAll).
func (c *conn) index() *shopIndex { return c.shopIdx.Load() }

// ensureAll returns the registry of every configured shop, syncing the
// shops an Open limited to some left out first.
func (c *conn) ensureAll(ctx context.Context) (*shopIndex, error) {
	if idx := c.index(); idx.all {
		return idx, nil
	}
	c.shopsMu.Lock()
	defer c.shopsMu.Unlock()
	if idx := c.index(); idx.all {
		return idx, nil
	}
	if err := c.underSetupLock(ctx, func(locked bool) error { return c.syncShops(ctx, nil, locked) }); err != nil {
		return nil, err
	}
	return c.index(), nil
}

// lookup finds a shop with find in the registry, and again in the registry
// of every shop when it was limited and find missed. The shop's own
// lookups take no context: the registry's completion is a short read. Its
// error is the completion's: the shop may be configured all the same.
func (c *conn) lookup(find func(*shopIndex) bool) (bool, error) {
	idx := c.index()
	if find(idx) {
		return true, nil
	}
	if idx.all {
		return false, nil
	}
	idx, err := c.ensureAll(context.Background())
	if err != nil {
		return false, fmt.Errorf("register the configured shops: %w", err)
	}
	return find(idx), nil
}

// syncShops adds the config's shops (only those of ids, when not empty) to
// the shops table and registers them. When a shop's time zone has changed,
// its stored local dates are recomputed in the new zone. Unless locked, it
// returns errSetupLock instead of changing anything (underSetupLock).
func (c *conn) syncShops(ctx context.Context, ids []string, locked bool) error {
	var shops []*rules.Shop
	if len(ids) == 0 {
		shops = c.cfg.Shops()
	} else {
		for _, id := range ids {
			if s, ok := c.cfg.Shop(id); ok && !slices.Contains(shops, s) {
				shops = append(shops, s)
			}
		}
	}
	idx := &shopIndex{byID: make(map[string]shopRef, len(shops)), byKey: make(map[int64]*rules.Shop, len(shops)), all: len(ids) == 0}
	g := c.gorm.WithContext(ctx)
	// One read of the whole (small) table, or of the few shops asked for:
	// a query per shop would make the open of a 1,000-shop database cost
	// more than the question asked. It is plain SQL: gorm's scan into
	// structs costs more than the read.
	stored, err := c.storedShops(ctx, shops, idx.all)
	if err != nil {
		return fmt.Errorf("store: load shops: %w", err)
	}
	for _, s := range shops {
		row, ok := stored[s.ID]
		changed := !ok || row.Timezone != s.Timezone || row.Name != s.Name
		if changed && !locked { // nothing written before: every shop before was as stored
			return errSetupLock
		}
		switch {
		case !ok:
			row = shopRow{ShopID: s.ID, Name: s.Name, Timezone: s.Timezone}
			if err := g.Create(&row).Error; err != nil {
				return fmt.Errorf("store: add shop %s: %w", s.ID, err)
			}
		case changed:
			if row.Timezone != s.Timezone {
				c.log.Info("shop time zone changed: recomputing local dates", "shop", s.ID, "from", row.Timezone, "to", s.Timezone)
				if err := c.recomputeDays(ctx, row.ID, s.Location); err != nil {
					return fmt.Errorf("store: shop %s: recompute dates for %s: %w", s.ID, s.Timezone, err)
				}
			}
			if err := g.Model(&row).Updates(map[string]any{"name": s.Name, "timezone": s.Timezone}).Error; err != nil {
				return fmt.Errorf("store: update shop %s: %w", s.ID, err)
			}
		}
		idx.byID[s.ID] = shopRef{key: row.ID, shop: s}
		idx.byKey[row.ID] = s
	}
	c.shopIdx.Store(idx)
	return nil
}

// storedShops reads the rows of shops (of every shop, when all), by TikTok
// shop id.
func (c *conn) storedShops(ctx context.Context, shops []*rules.Shop, all bool) (map[string]shopRow, error) {
	stored := make(map[string]shopRow, len(shops))
	q, args := `SELECT id, shop_id, name, timezone FROM shops`, []any{}
	if !all {
		if len(shops) == 0 {
			return stored, nil
		}
		q += ` WHERE shop_id IN (?` + strings.Repeat(`, ?`, len(shops)-1) + `)`
		for _, s := range shops {
			args = append(args, s.ID)
		}
	}
	rows, err := c.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r shopRow
		if err := rows.Scan(&r.ID, &r.ShopID, &r.Name, &r.Timezone); err != nil {
			return nil, err
		}
		stored[r.ShopID] = r
	}
	return stored, rows.Err()
}

// dayColumns lists every derived local-date column: its table, a key
// expression naming one row, the instant and the date derived from it.
var dayColumns = []struct{ table, key, at, day string }{
	{"orders", "order_id", "created_at", "created_day"},
	{"orders", "order_id", "delivered_at", "delivered_day"},
	{"reviews", "review_id", "created_at", "created_day"},
	{"returns", "return_id", "created_at", "created_day"},
	{"chat_turns", "conversation_id || '/' || seq", "start_at", "start_day"},
}

func (db *conn) recomputeDays(ctx context.Context, shop int64, loc *time.Location) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range dayColumns {
			rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s, %s FROM %s WHERE shop = ? AND %s IS NOT NULL`, c.key, c.at, c.table, c.at), shop)
			if err != nil {
				return err
			}
			type upd struct {
				key string
				day rules.Day
			}
			var updates []upd
			for rows.Next() {
				var k string
				var at int64
				if err := rows.Scan(&k, &at); err != nil {
					rows.Close()
					return err
				}
				updates = append(updates, upd{k, rules.DayOfUnixMilli(at, loc)})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s = ?`, c.table, c.day, c.key))
			if err != nil {
				return err
			}
			for _, u := range updates {
				if _, err := stmt.ExecContext(ctx, u.day, u.key); err != nil {
					stmt.Close()
					return err
				}
			}
			stmt.Close()
		}
		if err := rebuildRollups(ctx, tx, shop); err != nil {
			return err
		}
		return touchShops(ctx, tx, db.pg, []int64{shop})
	})
}

func (db *conn) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return inTx(ctx, db.sql, fn)
}

// inTx runs fn in a transaction of b (a database or one of its
// connections), committed when fn returns nil.
func inTx(ctx context.Context, b interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(*sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// touchShops moves the change count of each shop in keys, in tx: the
// shops whose records or mutes changed. Answer caches watch these counts
// (ChangeWatcher.ShopChanges).
func touchShops(ctx context.Context, tx *sql.Tx, pg bool, keys []int64) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE shops SET changes = changes + 1 WHERE id IN (SELECT shop FROM `+shopKeys(pg)+` ids)`, keysJSON(keys))
	return err
}

// shopKeys is a subquery of the shop keys of a JSON array bound to one
// parameter (keysJSON), as column shop.
func shopKeys(pg bool) string {
	if pg {
		return `(SELECT CAST(value AS BIGINT) AS shop FROM json_array_elements_text(CAST(? AS json)) AS j(value))`
	}
	return `(SELECT value AS shop FROM json_each(?))`
}

// keysJSON is keys as a JSON array.
func keysJSON(keys []int64) string {
	b := []byte{'['}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, k, 10)
	}
	return string(append(b, ']'))
}
