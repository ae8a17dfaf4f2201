package monitor

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"golang.org/x/sync/errgroup"
)

// Digest shapes.
const (
	digestWeeks     = 8  // the chart's span
	digestLevelDays = 30 // the span of LevelDays
	digestTop       = 3  // products and causes listed
	overviewWorkers = 4
)

// DigestKey is the outbox key of a shop's weekly digest for the week
// ending day; its chart's key adds "/chart".
func DigestKey(shopID string, day rules.Day) string {
	return rules.NotificationKey(shopID, "digest", day, "weekly")
}

// OverviewKey is the outbox key of the all-shops digest for the week
// ending day.
func OverviewKey(day rules.Day) string { return rules.NotificationKey("*", "overview", day, "weekly") }

// Digest writes the weekly digest of the shop for the week ending day (and
// its chart) to the outbox, and marks the run done. It returns how many
// messages were new: 0 when the digest was already written.
func (m *Monitor) Digest(ctx context.Context, shopID string, day rules.Day, now time.Time) (int, error) {
	shops, err := m.shops([]string{shopID})
	if err != nil {
		return 0, err
	}
	m.runMu.Lock()
	defer m.runMu.Unlock()
	return m.digest(ctx, shops[0], day, now)
}

func (m *Monitor) digest(ctx context.Context, s *rules.Shop, day rules.Day, now time.Time) (int, error) {
	start := m.clock.Now()
	channel := m.channelOf(s)
	if channel == "" {
		return 0, fmt.Errorf("monitor: digest %s: the shop has no channel and there is no admin_channel", s.ID)
	}
	d, err := BuildDigest(ctx, m.db, s, day, now)
	if err != nil {
		return 0, fmt.Errorf("monitor: digest %s %s: %w", s.ID, day, err)
	}
	key := DigestKey(s.ID, day)
	msg := Message{Kind: KindDigest, Key: key, Channel: channel, ShopID: s.ID, ShopName: s.Name, Digest: d}
	payload, err := json.Marshal(msg)
	if err != nil {
		return 0, err
	}
	msg.Kind, msg.Key = KindDigestChart, key+"/chart"
	chart, err := json.Marshal(msg)
	if err != nil {
		return 0, err
	}
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	added, err := m.db.Enqueue(ctx, now,
		store.OutboxMessage{Key: key, ShopID: s.ID, Channel: channel, Kind: KindDigest, Payload: payload},
		store.OutboxMessage{Key: key + "/chart", ShopID: s.ID, Channel: channel, Kind: KindDigestChart, ThreadKey: key, Payload: chart})
	if err != nil {
		return 0, err
	}
	if err := m.db.MarkRun(ctx, s.ID, RunDigest, day, now); err != nil {
		return added, err
	}
	m.metrics.run(RunDigest, m.clock.Since(start))
	if added > 0 {
		m.wake()
	}
	return added, nil
}

// DigestSource is what a digest reads: the reports, the products and
// causes behind them, and the mutes in force.
type DigestSource interface {
	ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error)
	BreakdownWindow(ctx context.Context, shopID, metric string, day rules.Day, days, top int) (*store.Breakdown, error)
	Feedback(ctx context.Context, shopID string, day rules.Day) (*store.Feedback, error)
	Mutes(ctx context.Context, shopID string, now time.Time) ([]store.Mute, error)
}

// BuildDigest gathers a shop's digest for the week ending day, with the
// mutes that hold at now: the one builder of the weekly digest the monitor
// posts and of the digest the bot answers with.
func BuildDigest(ctx context.Context, db DigestSource, s *rules.Shop, day rules.Day, now time.Time) (*Digest, error) {
	first := day - rules.Day(7*digestWeeks-1)
	days := make([]rules.Day, 0, 7*digestWeeks)
	for d := first; d <= day; d++ {
		days = append(days, d)
	}
	series, err := db.ReportDays(ctx, s.ID, days...)
	if err != nil {
		return nil, err
	}
	cur, before := series[len(series)-1], series[len(series)-8]
	d := &Digest{Day: day, First: first, WindowDays: s.Profile.WindowDays, LevelDays: map[rules.Metric]map[rules.Level]int{}, Inputs: cur.Inputs}
	for _, metric := range rules.Metrics {
		c, ok := cur.Results[metric]
		if !ok {
			continue
		}
		d.Current = append(d.Current, c)
		d.Before = append(d.Before, before.Results[metric])
		if c.Thresholds == nil {
			continue
		}
		sr := Series{Metric: metric, Thresholds: c.Thresholds}
		counts := map[rules.Level]int{}
		for i, r := range series {
			res := r.Results[metric]
			var v *float64
			if res.Valid {
				x := res.Value
				v = &x
			}
			sr.Values = append(sr.Values, v)
			sr.Levels = append(sr.Levels, res.Level)
			if i >= len(series)-digestLevelDays {
				counts[res.Level]++
			}
		}
		d.Series = append(d.Series, sr)
		d.LevelDays[metric] = counts
	}
	for _, metric := range []rules.Metric{rules.NRR, rules.SFRR} {
		b, err := db.BreakdownWindow(ctx, s.ID, string(metric), day, 0, digestTop)
		if err != nil {
			return nil, err
		}
		d.Products = append(d.Products, products(b.Products, metric)...)
	}
	fb, err := db.Feedback(ctx, s.ID, day)
	if err != nil {
		return nil, err
	}
	d.Tally = fb.Tally().Top(digestTop)
	slices.SortStableFunc(d.Products, func(a, b store.ProductCount) int { return cmp.Compare(b.Count, a.Count) })
	if d.Muted, err = db.Mutes(ctx, s.ID, now); err != nil {
		return nil, err
	}
	return d, nil
}

// Overview writes the all-shops digest for the week ending day to the
// admin channel, one line per shop, worst first, and marks the run done.
func (m *Monitor) Overview(ctx context.Context, day rules.Day, now time.Time) (int, error) {
	m.runMu.Lock()
	defer m.runMu.Unlock()
	return m.overview(ctx, day, now)
}

func (m *Monitor) overview(ctx context.Context, day rules.Day, now time.Time) (int, error) {
	start := m.clock.Now()
	if m.cfg.AdminChannel == "" {
		return 0, nil
	}
	o, err := BuildOverview(ctx, m.db, m.cfg.Alerts, m.cfg.Shops(), day, m.log)
	if err != nil {
		return 0, err
	}
	key := OverviewKey(day)
	payload, err := json.Marshal(Message{Kind: KindOverview, Key: key, Channel: m.cfg.AdminChannel, Overview: o})
	if err != nil {
		return 0, err
	}
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	added, err := m.db.Enqueue(ctx, now, store.OutboxMessage{Key: key, ShopID: store.AdminShopID, Channel: m.cfg.AdminChannel, Kind: KindOverview, Payload: payload})
	if err != nil {
		return 0, err
	}
	if err := m.db.MarkRun(ctx, store.AdminShopID, RunOverview, day, now); err != nil {
		return added, err
	}
	m.metrics.run(RunOverview, m.clock.Since(start))
	if added > 0 {
		m.wake()
	}
	return added, nil
}

// OverviewSource is what the overview reads.
type OverviewSource interface {
	Report(ctx context.Context, shopID string, day rules.Day) (rules.Report, error)
	LastDataDay(ctx context.Context, shopID string, day rules.Day) (rules.Day, bool, error)
}

// BuildOverview gathers the all-shops digest of shops for the week ending
// day, worst first: the one builder of the overview the monitor posts and
// of the all-shops answer of /shopwatch digest. A shop whose report fails
// gets a line with Err (logged), not an error.
func BuildOverview(ctx context.Context, db OverviewSource, alerts rules.AlertPolicy, shops []*rules.Shop, day rules.Day, log *slog.Logger) (*Overview, error) {
	lines := make([]ShopLine, len(shops))
	var g errgroup.Group
	g.SetLimit(overviewWorkers)
	for i := range lines {
		g.Go(func() error {
			lines[i] = shopLine(ctx, db, alerts, shops[i], day, log)
			return nil
		})
	}
	_ = g.Wait() // shopLine records its errors in its line
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(lines, func(a, b ShopLine) int {
		return cmp.Or(cmp.Compare(b.Worst.Severity(), a.Worst.Severity()), cmp.Compare(b.Critical, a.Critical),
			cmp.Compare(b.Warn, a.Warn), cmp.Compare(b2i(b.Stale), b2i(a.Stale)), cmp.Compare(b2i(b.Err != ""), b2i(a.Err != "")))
	})
	return &Overview{Day: day, Shops: lines}, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// shopLine is one shop's line of the overview.
func shopLine(ctx context.Context, db OverviewSource, alerts rules.AlertPolicy, s *rules.Shop, day rules.Day, log *slog.Logger) ShopLine {
	l := ShopLine{ShopID: s.ID, Name: s.Name, Day: day, Worst: rules.LevelInsufficient}
	r, err := db.Report(ctx, s.ID, day)
	if err != nil {
		l.Err = err.Error()
		log.Error("overview: report failed", "shop", s.ID, "err", err)
		return l
	}
	worst := -1
	var unjudged rules.Level
	for _, metric := range rules.Metrics {
		res, ok := r.Results[metric]
		if !ok || res.Thresholds == nil {
			continue
		}
		if sev := res.Level.Severity(); sev > worst {
			worst, l.Worst = sev, res.Level
		}
		switch res.Level {
		case rules.LevelCritical:
			l.Critical++
		case rules.LevelWarn:
			l.Warn++
		case rules.LevelStale, rules.LevelNoData:
			unjudged = res.Level
		default:
			continue
		}
		l.Figures = append(l.Figures, res)
	}
	if unjudged != "" && worst <= 0 {
		l.Worst = unjudged // never "all within thresholds" while a metric cannot be judged
	}
	if last, has, err := db.LastDataDay(ctx, s.ID, day); err == nil {
		l.Stale = alerts.Stale(rules.Observation{Day: day, LastData: last, HasData: has})
	}
	return l
}

// sweepSlot is the key of an hourly sweep: hours since 1970.
func sweepSlot(t time.Time) rules.Day { return rules.Day(t.Unix() / 3600) }

// Sweep looks, for every shop, for buyer chats still without a reply whose
// response deadline falls between SweepLead and SweepLead + 1 hour after
// the hour of now, and posts them to the shop's channel (unless its chat
// alerts are muted); announces TikTok syncs that fail, or work again
// (syncMessages); and reminds once of each critical alert nobody
// acknowledged within alerts.remind_after (ackReminders). Each hour is
// swept once.
func (m *Monitor) Sweep(ctx context.Context, now time.Time) (int, error) {
	m.runMu.Lock()
	defer m.runMu.Unlock()
	return m.sweep(ctx, now)
}

func (m *Monitor) sweep(ctx context.Context, now time.Time) (int, error) {
	start := m.clock.Now()
	hour := now.Truncate(time.Hour)
	slot := sweepSlot(hour)
	if done, err := m.db.RunDone(ctx, store.AdminShopID, RunSweep, slot); err != nil || done {
		return 0, err
	}
	from, to := hour.Add(m.o.SweepLead), hour.Add(m.o.SweepLead+time.Hour)
	var msgs []store.OutboxMessage
	for _, s := range m.cfg.Shops() {
		chats, err := m.db.Unanswered(ctx, s.ID, from, to)
		if err != nil {
			return 0, err
		}
		chats = slices.DeleteFunc(chats, func(c store.WaitingChat) bool { return !c.Deadline.After(now) })
		if len(chats) == 0 || m.channelOf(s) == "" {
			continue
		}
		mutes, err := m.db.Mutes(ctx, s.ID, now)
		if err != nil {
			return 0, err
		}
		muted := false
		for _, mu := range mutes {
			muted = muted || holds(mu, rules.ChatResponseRate, now)
		}
		if muted {
			continue
		}
		key := fmt.Sprintf("%s/chat_waiting/%s", s.ID, hour.UTC().Format("2006-01-02T15Z"))
		payload, err := json.Marshal(Message{Kind: KindNudge, Key: key, Channel: m.channelOf(s), ShopID: s.ID, ShopName: s.Name,
			Nudge: &Nudge{Chats: chats, TargetHours: s.Profile.ChatTargetHours, Within: chats[len(chats)-1].Deadline.Sub(now).Hours()}})
		if err != nil {
			return 0, err
		}
		msgs = append(msgs, store.OutboxMessage{Key: key, ShopID: s.ID, Channel: m.channelOf(s), Kind: KindNudge, Payload: payload})
	}
	syncMsgs, err := m.syncMessages(ctx, now)
	if err != nil {
		return 0, err
	}
	msgs = append(msgs, syncMsgs...)
	reminders, err := m.ackReminders(ctx, now)
	if err != nil {
		return 0, err
	}
	msgs = append(msgs, reminders...)
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	added, err := m.db.Enqueue(ctx, now, msgs...)
	if err != nil {
		return 0, err
	}
	if err := m.db.MarkRun(ctx, store.AdminShopID, RunSweep, slot, now); err != nil {
		return added, err
	}
	m.metrics.run(RunSweep, m.clock.Since(start))
	if added > 0 {
		m.wake()
	}
	return added, nil
}
