package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// KindAckReminder is the message that re-announces a critical alert nobody
// acknowledged within alerts.remind_after, once, in its thread.
const KindAckReminder = "ack_reminder"

var errNoAlert = errors.New("monitor: alert message without an alert")

// ackReminderSuffix ends an acknowledgement reminder's key, which is the
// critical alert's with its transition replaced: one reminder per critical
// alert, whatever the number of sweeps, restarts or processes.
const ackReminderSuffix = "/unacknowledged"

// ackReminderKey is the key of the reminder of the critical alert key.
func ackReminderKey(criticalKey string) string {
	return strings.TrimSuffix(criticalKey, "/"+string(rules.TransitionCritical)) + ackReminderSuffix
}

// ackReminders makes, for the hourly sweep at now, the reminders of the
// critical alerts sent at least RemindAfter ago whose episode is still
// open at critical, unacknowledged and not muted. The outbox keeps each
// once (by key); a reminder already written is not made again.
func (m *Monitor) ackReminders(ctx context.Context, now time.Time) ([]store.OutboxMessage, error) {
	after := m.cfg.Alerts.RemindAfter
	if after <= 0 {
		return nil, nil
	}
	var out []store.OutboxMessage
	for _, s := range m.cfg.Shops() {
		channel := m.channelOf(s)
		if channel == "" {
			continue
		}
		open, err := m.db.UnacknowledgedCritical(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		var due []store.CriticalAlert
		keys := make([]string, 0, len(open))
		for _, c := range open {
			if !c.Message.SentAt.IsZero() && now.Sub(c.Message.SentAt) >= after {
				due = append(due, c)
				keys = append(keys, ackReminderKey(c.Message.Key))
			}
		}
		if len(due) == 0 {
			continue
		}
		has, err := m.db.OutboxHas(ctx, keys)
		if err != nil {
			return nil, err
		}
		mutes, err := m.db.Mutes(ctx, s.ID, now)
		if err != nil {
			return nil, err
		}
		for _, c := range due {
			key := ackReminderKey(c.Message.Key)
			if has[key] || mutedAt(mutes, c.State.Metric, now) {
				continue
			}
			msg, err := ackReminder(s, channel, key, c, now)
			if err != nil {
				m.log.Warn("no acknowledgement reminder: unreadable critical alert", "shop", s.ID, "key", c.Message.Key, "err", err)
				continue
			}
			out = append(out, msg)
		}
	}
	return out, nil
}

// mutedAt reports whether a mute holds back notifications about metric at now.
func mutedAt(mutes []store.Mute, metric rules.Metric, now time.Time) bool {
	for _, mu := range mutes {
		if holds(mu, metric, now) {
			return true
		}
	}
	return false
}

// ackReminder is the reminder of the unacknowledged critical alert c: the
// alert as posted, brought to the latest evaluation (its date, and the
// episode's opening, which the text counts from), threaded under the
// episode's first message.
func ackReminder(s *rules.Shop, channel, key string, c store.CriticalAlert, now time.Time) (store.OutboxMessage, error) {
	orig, err := DecodeMessage(c.Message.Payload)
	if err != nil {
		return store.OutboxMessage{}, err
	}
	if orig.Alert == nil {
		return store.OutboxMessage{}, errNoAlert
	}
	a := *orig.Alert
	a.Day, a.Since, a.Changed, a.Root = c.State.Day, c.State.Since, c.State.Changed, c.State.Root
	a.To = rules.LevelCritical
	a.Waited = now.Sub(c.Message.SentAt).Truncate(time.Hour)
	payload, err := json.Marshal(Message{Kind: KindAckReminder, Key: key, Channel: channel, ShopID: s.ID, ShopName: s.Name, Alert: &a})
	if err != nil {
		return store.OutboxMessage{}, err
	}
	return store.OutboxMessage{Key: key, ShopID: s.ID, Channel: channel, Kind: KindAckReminder, ThreadKey: c.State.Root, Payload: payload}, nil
}
