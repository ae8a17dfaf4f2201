package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_acks (shop, metric, root, by_user, channel, at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (shop, metric, root) DO NOTHING`, ref.key, string(a.Metric), a.Root, a.By, a.Channel, a.At.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		first = n == 1
		held, err = scanAck(tx.QueryRowContext(ctx, `SELECT by_user, channel, at FROM alert_acks WHERE shop = ? AND metric = ? AND root = ?`,
			ref.key, string(a.Metric), a.Root), a)
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
	a, err := scanAck(db.sql.QueryRowContext(ctx, `SELECT by_user, channel, at FROM alert_acks WHERE shop = ? AND metric = ? AND root = ?`,
		ref.key, string(m), root), Ack{ShopID: shopID, Metric: m, Root: root})
	if errors.Is(err, sql.ErrNoRows) {
		return Ack{}, fmt.Errorf("acknowledgement of %s: %w", root, ErrNotFound)
	}
	if err != nil {
		return Ack{}, fmt.Errorf("store: acknowledgement %s: %w", root, err)
	}
	return a, nil
}

func scanAck(row *sql.Row, a Ack) (Ack, error) {
	var at int64
	if err := row.Scan(&a.By, &a.Channel, &at); err != nil {
		return Ack{}, err
	}
	a.At = time.UnixMilli(at)
	return a, nil
}

// clearAcks removes, in tx, the acknowledgements of the shop's metrics
// that belong to no open episode after the saved states: a resolve ends
// the episode, and the next one starts unacknowledged.
func clearAcks(ctx context.Context, tx *sql.Tx, shop int64, states []rules.AlertState) error {
	for _, s := range states {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_acks WHERE shop = ? AND metric = ? AND root <> ?`,
			shop, string(s.Metric), s.Root); err != nil {
			return err
		}
	}
	return nil
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
		msgs, err := db.outboxWhere(ctx, `(msg_key = ? OR thread_key = ?) AND kind = 'alert' AND status = 'sent' ORDER BY id DESC`, s.Root, s.Root)
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
