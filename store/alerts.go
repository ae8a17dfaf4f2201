package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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
	if s, ok := db.byKey[key]; ok {
		return s.ID
	}
	return AdminShopID
}

// The alert states of a shop's latest evaluated date before a date: every
// evaluation saves the state of each metric it tracks, and always that of
// MetricData, so that date is MetricData's latest, found with one seek on
// the primary key however long the history.
const (
	qLastStateDay = `SELECT MAX(day) FROM alert_states WHERE shop = ? AND metric = 'data' AND day < ?`
	qStatesOfDay  = `SELECT metric, day, level, since, changed, observed, fresh, announced, notified_on, root, value
FROM alert_states WHERE shop = ? AND day = ?`
)

// AlertStates returns the shop's alert states as they were after the latest
// date evaluated before day, by metric. A metric never evaluated is absent.
func (db *Alerts) AlertStates(ctx context.Context, shopID string, before rules.Day) (map[rules.Metric]rules.AlertState, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	stmt, err := db.prepared(ctx, qLastStateDay)
	if err != nil {
		return nil, fmt.Errorf("store: alert states %s: %w", shopID, err)
	}
	var last sql.NullInt64
	if err := stmt.QueryRowContext(ctx, ref.key, int64(before)).Scan(&last); err != nil {
		return nil, fmt.Errorf("store: alert states %s: %w", shopID, err)
	}
	out := make(map[rules.Metric]rules.AlertState)
	if !last.Valid {
		return out, nil
	}
	rows, err := db.query(ctx, qStatesOfDay, ref.key, last.Int64)
	if err != nil {
		return nil, fmt.Errorf("store: alert states %s: %w", shopID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s rules.AlertState
		var fresh int
		var value sql.NullFloat64
		if err := rows.Scan(&s.Metric, &s.Day, &s.Level, &s.Since, &s.Changed, &s.Observed, &fresh, &s.Announced, &s.NotifiedOn, &s.Root, &value); err != nil {
			return nil, fmt.Errorf("store: alert states %s: %w", shopID, err)
		}
		s.Fresh, s.Value, s.Valid = fresh != 0, value.Float64, value.Valid
		out[s.Metric] = s
	}
	return out, rows.Err()
}

const qSaveState = `INSERT INTO alert_states
	(shop, metric, day, level, since, changed, observed, fresh, announced, notified_on, root, value, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop, metric, day) DO UPDATE SET level = excluded.level, since = excluded.since, changed = excluded.changed,
	observed = excluded.observed, fresh = excluded.fresh, announced = excluded.announced,
	notified_on = excluded.notified_on, root = excluded.root, value = excluded.value, updated_at = excluded.updated_at`

// txStmt is the prepared statement of query (prepared once per database)
// for use in tx.
func (db *conn) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	s, err := db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, s), nil
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
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if len(ev.States) > 0 {
			stmt, err := db.txStmt(ctx, tx, qSaveState)
			if err != nil {
				return err
			}
			for _, s := range ev.States {
				var value any
				if s.Valid {
					value = s.Value
				}
				if _, err := stmt.ExecContext(ctx, ref.key, string(s.Metric), int64(ev.Day), string(s.Level), int64(s.Since), int64(s.Changed),
					string(s.Observed), boolInt(s.Fresh), string(s.Announced), int64(s.NotifiedOn), s.Root, value, ev.At.UnixMilli()); err != nil {
					return err
				}
			}
			if err := clearAcks(ctx, tx, ref.key, ev.States); err != nil {
				return err
			}
		}
		n, err := enqueue(ctx, tx, db.conn, ev.Outbox, ev.At)
		if err != nil {
			return err
		}
		added = n
		if ev.Run != "" {
			return markRun(ctx, tx, ref.key, ev.Run, ev.Day, ev.At)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: save evaluation %s %s: %w", ev.ShopID, ev.Day, err)
	}
	return added, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func markRun(ctx context.Context, tx *sql.Tx, shop int64, kind string, day rules.Day, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO monitor_runs (shop, kind, day, done_at) VALUES (?, ?, ?, ?)
ON CONFLICT (shop, kind, day) DO UPDATE SET done_at = excluded.done_at`, shop, kind, int64(day), at.UnixMilli())
	return err
}

// MarkRun records that the run kind of the shop (AdminShopID: of all shops)
// for day is done.
func (db *Alerts) MarkRun(ctx context.Context, shopID, kind string, day rules.Day, at time.Time) error {
	key, err := db.shopKey(shopID)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error { return markRun(ctx, tx, key, kind, day, at) })
}

// RunDone reports whether the run kind of the shop for day is done.
func (db *Alerts) RunDone(ctx context.Context, shopID, kind string, day rules.Day) (bool, error) {
	key, err := db.shopKey(shopID)
	if err != nil {
		return false, err
	}
	var n int
	err = db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM monitor_runs WHERE shop = ? AND kind = ? AND day = ?`, key, kind, int64(day)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: run %s %s %s: %w", shopID, kind, day, err)
	}
	return n > 0, nil
}

// LastRuns returns, per shop id (AdminShopID for all shops), the latest date
// whose run kind is done.
func (db *Alerts) LastRuns(ctx context.Context, kind string) (map[string]rules.Day, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT shop, MAX(day) FROM monitor_runs WHERE kind = ? GROUP BY shop`, kind)
	if err != nil {
		return nil, fmt.Errorf("store: runs %s: %w", kind, err)
	}
	defer rows.Close()
	out := make(map[string]rules.Day)
	for rows.Next() {
		var key int64
		var d rules.Day
		if err := rows.Scan(&key, &d); err != nil {
			return nil, fmt.Errorf("store: runs %s: %w", kind, err)
		}
		if key != 0 {
			if _, ok := db.byKey[key]; !ok {
				continue // a shop no longer in the config
			}
		}
		out[db.shopIDOf(key)] = d
	}
	return out, rows.Err()
}

// LastDataDay returns the latest local date, on or before day, with any
// record of the shop: an order created or delivered, a review, a return or
// a buyer chat. ok is false when there is none.
func (db *Records) LastDataDay(ctx context.Context, shopID string, day rules.Day) (last rules.Day, ok bool, err error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return 0, false, err
	}
	for _, q := range []string{
		`SELECT MAX(day) FROM shop_days WHERE shop = ? AND day <= ? AND (created > 0 OR delivered > 0)`,
		`SELECT MAX(created_day) FROM reviews WHERE shop = ? AND created_day <= ?`,
		`SELECT MAX(created_day) FROM returns WHERE shop = ? AND created_day <= ?`,
		`SELECT MAX(start_day) FROM chat_turns WHERE shop = ? AND start_day <= ?`,
	} {
		stmt, err := db.prepared(ctx, q)
		if err != nil {
			return 0, false, fmt.Errorf("store: last data %s: %w", shopID, err)
		}
		var d sql.NullInt64
		if err := stmt.QueryRowContext(ctx, ref.key, int64(day)).Scan(&d); err != nil {
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
	rows, err := db.sql.QueryContext(ctx, `SELECT a.metric, a.level, COUNT(*) FROM alert_states a
JOIN (SELECT shop, metric, MAX(day) AS day FROM alert_states GROUP BY shop, metric) l
	ON a.shop = l.shop AND a.metric = l.metric AND a.day = l.day
GROUP BY a.metric, a.level ORDER BY a.metric, a.level`)
	if err != nil {
		return nil, fmt.Errorf("store: alert levels: %w", err)
	}
	defer rows.Close()
	var out []LevelCount
	for rows.Next() {
		var c LevelCount
		if err := rows.Scan(&c.Metric, &c.Level, &c.Count); err != nil {
			return nil, fmt.Errorf("store: alert levels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
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
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM alert_states WHERE day < ?`, []any{int64(statesBefore)}},
			{`DELETE FROM delivery_attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE status IN ('sent', 'failed') AND created_at < ?
	AND msg_key NOT IN (SELECT root FROM alert_states WHERE root <> '')
	AND thread_key NOT IN (SELECT root FROM alert_states WHERE root <> ''))`, []any{outboxBefore.UnixMilli()}},
			{`DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created_at < ?
	AND msg_key NOT IN (SELECT root FROM alert_states WHERE root <> '')
	AND thread_key NOT IN (SELECT root FROM alert_states WHERE root <> '')`, []any{outboxBefore.UnixMilli()}},
			{`DELETE FROM alert_acks WHERE root NOT IN (SELECT root FROM alert_states WHERE root <> '')`, nil},
			{`DELETE FROM monitor_runs WHERE done_at < ?`, []any{outboxBefore.UnixMilli()}},
		} {
			res, err := tx.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	return n, nil
}
