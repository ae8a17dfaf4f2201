package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shopwatch/shopwatch/rules"
)

// Acknowledgements of alert episodes (migration 9). An episode is a shop's
// metric from its first move to warn or critical to its resolve, named by
// the key of its first message (rules.AlertState.Root).

// Ack records that someone took charge of an alert episode.
type Ack struct {
	ShopID  string
	Metric  rules.Metric
	Root    string    // the key of the episode's first message
	By      string    // who acknowledged it (a Slack user id)
	Channel string    // where
	At      time.Time // when
}

// Acknowledge records a.By's acknowledgement of the episode a.Root, unless
// the episode is acknowledged already. It returns the acknowledgement that
// holds (the first) and whether it is a.
func (db *Alerts) Acknowledge(ctx context.Context, a Ack) (held Ack, first bool, err error) {
	ref, err := db.shop(a.ShopID)
	if err != nil {
		return Ack{}, false, err
	}
	if _, err := rules.ParseMetric(string(a.Metric)); err != nil {
		return Ack{}, false, fmt.Errorf("store: acknowledge: %w", err)
	}
	if a.Root == "" || a.By == "" {
		return Ack{}, false, errors.New("store: acknowledge: the episode and who acknowledges it are required")
	}
	err = db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(ignoreDup).Create(&ackRow{Shop: ref.key, Metric: string(a.Metric), Root: a.Root, ByUser: a.By, Channel: a.Channel, At: a.At.UnixMilli()})
		if res.Error != nil {
			return res.Error
		}
		first = res.RowsAffected == 1
		var err error
		held, err = takeAck(tx, ref.key, a)
		return err
	})
	if err != nil {
		return Ack{}, false, fmt.Errorf("store: acknowledge %s %s: %w", a.ShopID, a.Metric, err)
	}
	return held, first, nil
}

// Acknowledged returns the acknowledgement of the shop's episode root of
// metric m, or ErrNotFound.
func (db *Alerts) Acknowledged(ctx context.Context, shopID string, m rules.Metric, root string) (Ack, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return Ack{}, err
	}
	a, err := takeAck(db.orm(ctx), ref.key, Ack{ShopID: shopID, Metric: m, Root: root})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Ack{}, fmt.Errorf("acknowledgement of %s: %w", root, ErrNotFound)
	}
	if err != nil {
		return Ack{}, fmt.Errorf("store: acknowledgement %s: %w", root, err)
	}
	return a, nil
}

// takeAck is the stored acknowledgement of a's shop (key), metric and
// episode, or gorm.ErrRecordNotFound.
func takeAck(g *gorm.DB, key int64, a Ack) (Ack, error) {
	var r ackRow
	if err := g.Where("shop = ? AND metric = ? AND root = ?", key, string(a.Metric), a.Root).Take(&r).Error; err != nil {
		return Ack{}, err
	}
	a.By, a.Channel, a.At = r.ByUser, r.Channel, time.UnixMilli(r.At)
	return a, nil
}

// clearAcks removes, in tx, the acknowledgements of the shop's metrics
// that belong to no open episode after the saved states: a resolve ends
// the episode, and the next one starts unacknowledged.
func clearAcks(tx *gorm.DB, shop int64, states []rules.AlertState) error {
	if len(states) == 0 {
		return nil
	}
	stale := make([]clause.Expression, len(states))
	for i, s := range states {
		stale[i] = clause.Expr{SQL: "(metric = ? AND root <> ?)", Vars: []any{string(s.Metric), s.Root}}
	}
	return tx.Where("shop = ?", shop).Where(clause.Or(stale...)).Delete(&ackRow{}).Error
}

// CriticalAlert is a critical alert nobody acknowledged, in an episode
// still open at critical after the shop's latest evaluation.
type CriticalAlert struct {
	State   rules.AlertState // the metric after the latest evaluation
	Message OutboxMessage    // the latest critical alert of the episode, as sent
}

// UnacknowledgedCritical returns the shop's metrics whose latest state is
// critical, announced as such, in an episode nobody acknowledged, with the
// episode's latest critical alert that was sent.
func (db *Alerts) UnacknowledgedCritical(ctx context.Context, shopID string) ([]CriticalAlert, error) {
	states, err := db.AlertStates(ctx, shopID, rules.Day(1<<30))
	if err != nil {
		return nil, err
	}
	var out []CriticalAlert
	for _, s := range states {
		if s.Level != rules.LevelCritical || s.Announced != rules.LevelCritical || s.Root == "" {
			continue
		}
		if _, err := db.Acknowledged(ctx, shopID, s.Metric, s.Root); err == nil {
			continue
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		msgs, err := db.outboxFind(db.orm(ctx).Where("(msg_key = ? OR thread_key = ?) AND kind = ? AND status = ?",
			s.Root, s.Root, "alert", string(OutboxSent)).Order("id DESC"))
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if strings.HasSuffix(m.Key, "/"+string(rules.TransitionCritical)) {
				out = append(out, CriticalAlert{State: s, Message: m})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b CriticalAlert) int { return strings.Compare(a.Message.Key, b.Message.Key) })
	return out, nil
}
