package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

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
	err = db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("until_at <= ?", m.At.UnixMilli()).Delete(&muteRow{}).Error; err != nil {
			return err
		}
		err := tx.Clauses(upsert([]string{"shop", "metric"}, "until_at", "created_at", "created_by", "channel")).
			Create(&muteRow{Shop: ref.key, Metric: m.Metric, UntilAt: m.Until.UnixMilli(), CreatedAt: m.At.UnixMilli(), CreatedBy: m.By, Channel: m.Channel}).Error
		if err != nil {
			return err
		}
		return touchShopsTx(tx, ref.key)
	})
	if err != nil {
		return fmt.Errorf("store: mute %s: %w", m.ShopID, err)
	}
	return nil
}

// Unmute removes the shop's mute of metric (a metric name or MuteAll), or
// every mute of the shop when metric is "". It returns how many active
// mutes (at now) it removed.
func (db *Alerts) Unmute(ctx context.Context, shopID, metric string, now time.Time) (int, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return 0, err
	}
	if metric != "" {
		if err := validMuteMetric(metric); err != nil {
			return 0, fmt.Errorf("store: unmute: %w", err)
		}
	}
	var n int64
	err = db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("shop = ? AND until_at > ?", ref.key, now.UnixMilli())
		if metric != "" {
			q = q.Where("metric = ?", metric)
		}
		res := q.Delete(&muteRow{})
		if n = res.RowsAffected; res.Error != nil || n == 0 {
			return res.Error
		}
		return touchShopsTx(tx, ref.key)
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
	var out []Mute
	err = db.eachRow(ctx, qMutes, []any{ref.key, now.UnixMilli()}, func(rows *sql.Rows) error {
		m := Mute{ShopID: shopID}
		var until, at int64
		if err := rows.Scan(&m.Metric, &until, &at, &m.By, &m.Channel); err != nil {
			return err
		}
		m.Until, m.At = time.UnixMilli(until), time.UnixMilli(at)
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: mutes %s: %w", shopID, err)
	}
	return out, nil
}

// qMutes reads a shop's mutes in force (plain SQL, as the slash commands'
// other reads), those of every metric first.
const qMutes = `SELECT metric, until_at, created_at, created_by, channel FROM mutes WHERE shop = ? AND until_at > ? ORDER BY metric <> 'all', metric`

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
