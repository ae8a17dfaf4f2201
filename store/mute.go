package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// MuteAll is the Mute.Metric that mutes every metric of a shop.
const MuteAll = "all"

// Mute silences a shop's alerts for one metric, or all of them, until a time
// (SPEC section 4: muted metrics are evaluated but not posted).
type Mute struct {
	ShopID  string
	Metric  string // a rules.Metric name, or MuteAll
	Until   time.Time
	At      time.Time // when the mute was set
	By      string    // who set it (a Slack user id)
	Channel string    // where it was set
}

// Covers reports whether the mute applies to metric m at instant t.
func (m Mute) Covers(metric rules.Metric, t time.Time) bool {
	return (m.Metric == MuteAll || m.Metric == string(metric)) && t.Before(m.Until)
}

func validMuteMetric(name string) error {
	if name == MuteAll {
		return nil
	}
	_, err := rules.ParseMetric(name)
	return err
}

// SetMute adds or replaces the mute of m.ShopID and m.Metric. Mutes that
// have already ended are removed on the way.
func (db *Alerts) SetMute(ctx context.Context, m Mute) error {
	ref, err := db.shop(m.ShopID)
	if err != nil {
		return err
	}
	if err := validMuteMetric(m.Metric); err != nil {
		return fmt.Errorf("store: mute: %w", err)
	}
	if !m.Until.After(m.At) {
		return errors.New("store: mute: Until must be after At")
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mutes WHERE until_at <= ?`, m.At.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mutes (shop, metric, until_at, created_at, created_by, channel) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (shop, metric) DO UPDATE SET until_at = excluded.until_at, created_at = excluded.created_at,
	created_by = excluded.created_by, channel = excluded.channel`,
			ref.key, m.Metric, m.Until.UnixMilli(), m.At.UnixMilli(), m.By, m.Channel)
		if err != nil {
			return err
		}
		return touchShops(ctx, tx, []int64{ref.key})
	})
}

// Unmute removes the shop's mute of metric (a metric name or MuteAll), or
// every mute of the shop when metric is "". It returns how many active
// mutes (at now) it removed.
func (db *Alerts) Unmute(ctx context.Context, shopID, metric string, now time.Time) (int, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return 0, err
	}
	q, args := `DELETE FROM mutes WHERE shop = ? AND until_at > ?`, []any{ref.key, now.UnixMilli()}
	if metric != "" {
		if err := validMuteMetric(metric); err != nil {
			return 0, fmt.Errorf("store: unmute: %w", err)
		}
		q += ` AND metric = ?`
		args = append(args, metric)
	}
	var n int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return touchShops(ctx, tx, []int64{ref.key})
	})
	if err != nil {
		return 0, fmt.Errorf("store: unmute %s: %w", shopID, err)
	}
	return int(n), nil
}

// Mutes returns the shop's mutes that hold at now, "all" first, then by
// metric name.
func (db *Alerts) Mutes(ctx context.Context, shopID string, now time.Time) ([]Mute, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT metric, until_at, created_at, created_by, channel FROM mutes
WHERE shop = ? AND until_at > ? ORDER BY metric <> 'all', metric`, ref.key, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: mutes %s: %w", shopID, err)
	}
	defer rows.Close()
	var out []Mute
	for rows.Next() {
		m := Mute{ShopID: shopID}
		var until, at int64
		if err := rows.Scan(&m.Metric, &until, &at, &m.By, &m.Channel); err != nil {
			return nil, fmt.Errorf("store: mutes %s: %w", shopID, err)
		}
		m.Until, m.At = time.UnixMilli(until), time.UnixMilli(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Muted reports whether the shop's metric is muted at now, and until when
// (the latest end among the mutes that cover it).
func (db *Alerts) Muted(ctx context.Context, shopID string, metric rules.Metric, now time.Time) (bool, time.Time, error) {
	mutes, err := db.Mutes(ctx, shopID, now)
	if err != nil {
		return false, time.Time{}, err
	}
	var until time.Time
	for _, m := range mutes {
		if m.Covers(metric, now) && m.Until.After(until) {
			until = m.Until
		}
	}
	return !until.IsZero(), until, nil
}
