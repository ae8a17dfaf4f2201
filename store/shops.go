package store

import (
	"context"
	"database/sql"
	"fmt"
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

// syncShops adds the config's shops to the shops table. When a shop's time
// zone has changed, its stored local dates are recomputed in the new zone.
func (db *DB) syncShops(ctx context.Context) error {
	db.shops = make(map[string]shopRef, len(db.cfg.Shops))
	db.byKey = make(map[int64]*rules.Shop, len(db.cfg.Shops))
	g := db.gorm.WithContext(ctx)
	// One read of the whole (small) table: a query per shop would make the
	// open of a 1,000-shop database cost more than the question asked. It
	// is plain SQL: gorm's scan into structs costs more than the read.
	stored, err := db.storedShops(ctx)
	if err != nil {
		return fmt.Errorf("store: load shops: %w", err)
	}
	for _, s := range db.cfg.Shops {
		row, ok := stored[s.ID]
		switch {
		case !ok:
			row = shopRow{ShopID: s.ID, Name: s.Name, Timezone: s.Timezone}
			if err := g.Create(&row).Error; err != nil {
				return fmt.Errorf("store: add shop %s: %w", s.ID, err)
			}
		case row.Timezone != s.Timezone || row.Name != s.Name:
			if row.Timezone != s.Timezone {
				db.log.Info("shop time zone changed: recomputing local dates", "shop", s.ID, "from", row.Timezone, "to", s.Timezone)
				if err := db.recomputeDays(ctx, row.ID, s.Location); err != nil {
					return fmt.Errorf("store: shop %s: recompute dates for %s: %w", s.ID, s.Timezone, err)
				}
			}
			if err := g.Model(&row).Updates(map[string]any{"name": s.Name, "timezone": s.Timezone}).Error; err != nil {
				return fmt.Errorf("store: update shop %s: %w", s.ID, err)
			}
		}
		db.shops[s.ID] = shopRef{key: row.ID, shop: s}
		db.byKey[row.ID] = s
	}
	return nil
}

// storedShops reads the shops table, by TikTok shop id.
func (db *DB) storedShops(ctx context.Context) (map[string]shopRow, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, shop_id, name, timezone FROM shops`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	stored := make(map[string]shopRow, len(db.cfg.Shops))
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

func (db *DB) recomputeDays(ctx context.Context, shop int64, loc *time.Location) error {
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
		return touchShops(ctx, tx, []int64{shop})
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
func touchShops(ctx context.Context, tx *sql.Tx, keys []int64) error {
	if len(keys) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE shops SET changes = changes + 1 WHERE id = ?`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, k := range keys {
		if _, err := stmt.ExecContext(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
