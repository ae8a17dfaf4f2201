package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shopwatch/shopwatch/rules"
)

// The monitor's memory: alert states per shop, metric and evaluated date,
// and the scheduled runs that are done. See migration 3.

// Alerts is the monitor's memory and the team's say over it: alert states,
// scheduled runs, acknowledgements, mutes and App Home users.
type Alerts struct{ *conn }

// AdminShopID is the shop id of what concerns every shop, such as the
// all-shops digest: its runs and outbox messages belong to no one shop.
const AdminShopID = ""

// shopKey is the database key of shopID, 0 for AdminShopID.
func (db *conn) shopKey(shopID string) (int64, error) {
	if shopID == AdminShopID {
		return 0, nil
	}
	ref, err := db.shop(shopID)
	if err != nil {
		return 0, err
	}
	return ref.key, nil
}

// shopIDOf is the inverse of shopKey.
func (db *conn) shopIDOf(key int64) string {
	id := AdminShopID
	if key != 0 {
		_, err := db.lookup(func(idx *shopIndex) bool {
			s, ok := idx.byKey[key]
			if ok {
				id = s.ID
			}
			return ok
		})
		if err != nil {
			db.log.Error("shop of a stored row", "key", key, "err", err)
		}
	}
	return id
}

// AlertStates returns the shop's alert states as they were after the latest
// date evaluated before day, by metric. A metric never evaluated is absent.
// Every evaluation saves the state of each metric it tracks, and always
// that of MetricData, so that date is MetricData's latest, found with one
// seek on the primary key however long the history.
func (db *Alerts) AlertStates(ctx context.Context, shopID string, before rules.Day) (map[rules.Metric]rules.AlertState, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	g := db.orm(ctx)
	last := g.Model(&alertStateRow{}).Select("MAX(day)").Where("shop = ? AND metric = ? AND day < ?", ref.key, string(rules.MetricData), int64(before))
	var rows []alertStateRow
	if err := g.Where("shop = ? AND day = (?)", ref.key, last).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: alert states %s: %w", shopID, err)
	}
	out := make(map[rules.Metric]rules.AlertState, len(rows))
	for _, r := range rows {
		s := rules.AlertState{Metric: rules.Metric(r.Metric), Day: rules.Day(r.Day), Level: rules.Level(r.Level),
			Since: rules.Day(r.Since), Changed: rules.Day(r.Changed), Observed: rules.Level(r.Observed), Fresh: r.Fresh,
			Announced: rules.Level(r.Announced), NotifiedOn: rules.Day(r.NotifiedOn), Root: r.Root}
		if r.Value != nil {
			s.Value, s.Valid = *r.Value, true
		}
		out[s.Metric] = s
	}
	return out, nil
}

// Evaluation is the outcome of one shop's daily evaluation, saved at once:
// the new alert states (always with MetricData's, as rules.AlertPolicy.Step
// makes them), the notifications to deliver and the run done.
type Evaluation struct {
	ShopID string
	Day    rules.Day
	States []rules.AlertState
	Outbox []OutboxMessage
	Run    string    // when set, the run (ShopID, Run, Day) is marked done
	At     time.Time // when the evaluation ran
}

// SaveEvaluation writes ev in one transaction: the states replace those of
// the same date, and outbox messages whose key is already there are left
// alone, so that saving an evaluation again posts nothing twice. It returns
// how many outbox messages were new.
func (db *Alerts) SaveEvaluation(ctx context.Context, ev Evaluation) (added int, err error) {
	ref, err := db.shop(ev.ShopID)
	if err != nil {
		return 0, err
	}
	err = db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		if len(ev.States) > 0 {
			rows := make([]alertStateRow, len(ev.States))
			for i, s := range ev.States {
				rows[i] = alertStateRow{Shop: ref.key, Metric: string(s.Metric), Day: int64(ev.Day), Level: string(s.Level),
					Since: int64(s.Since), Changed: int64(s.Changed), Observed: string(s.Observed), Fresh: s.Fresh,
					Announced: string(s.Announced), NotifiedOn: int64(s.NotifiedOn), Root: s.Root, UpdatedAt: ev.At.UnixMilli()}
				if s.Valid {
					rows[i].Value = &s.Value
				}
			}
			err := tx.Clauses(upsert([]string{"shop", "metric", "day"}, "level", "since", "changed", "observed", "fresh",
				"announced", "notified_on", "root", "value", "updated_at")).Create(&rows).Error
			if err != nil {
				return err
			}
			if err := clearAcks(tx, ref.key, ev.States); err != nil {
				return err
			}
		}
		n, err := enqueue(tx, db.conn, ev.Outbox, ev.At)
		if err != nil {
			return err
		}
		added = n
		if ev.Run != "" {
			return markRun(tx, ref.key, ev.Run, ev.Day, ev.At)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: save evaluation %s %s: %w", ev.ShopID, ev.Day, err)
	}
	return added, nil
}

func markRun(tx *gorm.DB, shop int64, kind string, day rules.Day, at time.Time) error {
	return tx.Clauses(upsert([]string{"shop", "kind", "day"}, "done_at")).
		Create(&runRow{Shop: shop, Kind: kind, Day: int64(day), DoneAt: at.UnixMilli()}).Error
}

// MarkRun records that the run kind of the shop (AdminShopID: of all shops)
// for day is done.
func (db *Alerts) MarkRun(ctx context.Context, shopID, kind string, day rules.Day, at time.Time) error {
	key, err := db.shopKey(shopID)
	if err != nil {
		return err
	}
	if err := markRun(db.orm(ctx), key, kind, day, at); err != nil {
		return fmt.Errorf("store: mark run %s %s %s: %w", shopID, kind, day, err)
	}
	return nil
}

// RunDone reports whether the run kind of the shop for day is done.
func (db *Alerts) RunDone(ctx context.Context, shopID, kind string, day rules.Day) (bool, error) {
	key, err := db.shopKey(shopID)
	if err != nil {
		return false, err
	}
	var n int64
	err = db.orm(ctx).Model(&runRow{}).Where("shop = ? AND kind = ? AND day = ?", key, kind, int64(day)).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: run %s %s %s: %w", shopID, kind, day, err)
	}
	return n > 0, nil
}

// LastRuns returns, per shop id (AdminShopID for all shops), the latest date
// whose run kind is done.
func (db *Alerts) LastRuns(ctx context.Context, kind string) (map[string]rules.Day, error) {
	var rows []struct {
		Shop int64
		Day  int64
	}
	err := db.orm(ctx).Model(&runRow{}).Select("shop, MAX(day) AS day").Where("kind = ?", kind).Group("shop").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: runs %s: %w", kind, err)
	}
	idx, err := db.ensureAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: runs %s: %w", kind, err)
	}
	out := make(map[string]rules.Day)
	for _, r := range rows {
		if r.Shop != 0 {
			if _, ok := idx.byKey[r.Shop]; !ok {
				continue // a shop no longer in the config
			}
		}
		out[db.shopIDOf(r.Shop)] = rules.Day(r.Day)
	}
	return out, nil
}

// LastDataDay returns the latest local date, on or before day, with any
// record of the shop: an order created or delivered, a review, a return or
// a buyer chat. ok is false when there is none.
// Raw SQL on the records' tables, like the rest of Records (metrics.go).
func (db *Records) LastDataDay(ctx context.Context, shopID string, day rules.Day) (last rules.Day, ok bool, err error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return 0, false, err
	}
	for _, kind := range rules.Kinds {
		var d sql.NullInt64 // the kind's newest date on or before day (freshness.go)
		if err := db.scanRow(ctx, kindQueries[kind][0], []any{ref.key, int64(day)}, &d); err != nil {
			return 0, false, fmt.Errorf("store: last data %s: %w", shopID, err)
		}
		if d.Valid && (!ok || rules.Day(d.Int64) > last) {
			last, ok = rules.Day(d.Int64), true
		}
		if ok && last == day {
			break // nothing can be later
		}
	}
	return last, ok, nil
}

// LevelCount is how many shops' metrics hold a level, for /metrics.
type LevelCount struct {
	Metric rules.Metric
	Level  rules.Level
	Count  int
}

// AlertLevels counts the alert levels held after each shop's latest
// evaluation, by metric ("data": warn is stale).
func (db *Alerts) AlertLevels(ctx context.Context) ([]LevelCount, error) {
	var out []LevelCount
	err := db.orm(ctx).Raw(`SELECT a.metric AS metric, a.level AS level, COUNT(*) AS count FROM alert_states a
JOIN (SELECT shop, metric, MAX(day) AS day FROM alert_states GROUP BY shop, metric) l
	ON a.shop = l.shop AND a.metric = l.metric AND a.day = l.day
GROUP BY a.metric, a.level ORDER BY a.metric, a.level`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: alert levels: %w", err)
	}
	return out, nil
}

// RecordCounts counts the stored records by kind (orders, reviews,
// returns, chats), for /metrics.
func (db *Records) RecordCounts(ctx context.Context) (map[Kind]int64, error) {
	out := make(map[Kind]int64, 4)
	for kind, q := range map[Kind]string{
		Orders:  `SELECT COALESCE(SUM(created), 0) FROM shop_days`,
		Reviews: `SELECT COUNT(*) FROM reviews`,
		Returns: `SELECT COUNT(*) FROM returns`,
		Chats:   `SELECT COUNT(*) FROM chat_messages`,
	} {
		var n int64
		if err := db.sql.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: count %s: %w", kind, err)
		}
		out[kind] = n
	}
	return out, nil
}

// Prune removes what the monitor no longer needs: alert states of dates
// before statesBefore (a shop's history restarts if it has not been
// evaluated since), and delivered or failed outbox messages, with their
// attempts, written before outboxBefore, except the messages of episodes
// still open (a resolve updates the first; an unacknowledged critical
// alert is reminded of once), and the acknowledgements of closed episodes. It returns how many rows
// it removed.
func (db *Alerts) Prune(ctx context.Context, statesBefore rules.Day, outboxBefore time.Time) (int64, error) {
	var n int64
	err := db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		openRoots := tx.Session(&gorm.Session{NewDB: true}).Model(&alertStateRow{}).Select("root").Where("root <> ''")
		done := func() *gorm.DB {
			return tx.Session(&gorm.Session{NewDB: true}).Where("status IN ? AND created_at < ? AND msg_key NOT IN (?) AND thread_key NOT IN (?)",
				[]string{string(OutboxSent), string(OutboxFailed)}, outboxBefore.UnixMilli(), openRoots, openRoots)
		}
		for _, del := range []*gorm.DB{
			tx.Where("day < ?", int64(statesBefore)).Delete(&alertStateRow{}),
			tx.Where("outbox_id IN (?)", done().Model(&outboxRow{}).Select("id")).Delete(&attemptRow{}),
			done().Delete(&outboxRow{}),
			tx.Where("root NOT IN (?)", openRoots).Delete(&ackRow{}),
			tx.Where("done_at < ?", outboxBefore.UnixMilli()).Delete(&runRow{}),
		} {
			if del.Error != nil {
				return del.Error
			}
			n += del.RowsAffected
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	return n, nil
}
