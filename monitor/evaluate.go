package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// Run kinds: what a scheduled run does, keyed by shop and business date in
// the store so that no run happens twice.
const (
	RunDaily    = "daily"    // a shop's evaluation of a date
	RunDigest   = "digest"   // a shop's weekly digest, for the week ending the date
	RunOverview = "overview" // the all-shops digest (shop store.AdminShopID)
	RunSweep    = "sweep"    // the hourly sweep (store.AdminShopID; the date is the hour, in hours since 1970)
	RunPrune    = "prune"    // the daily clean-up of old states and messages (store.AdminShopID; a UTC date)
)

// Summary is what one evaluation run did.
type Summary struct {
	Day      rules.Day
	Shops    int // shops evaluated
	Failed   int // shops whose evaluation failed (see Errors)
	Added    int // new outbox messages
	Repeated int // notifications already in the outbox from an earlier run
	// Notifications counts the notifications decided, by transition,
	// whether new or repeated.
	Notifications map[rules.Transition]int
	Errors        []error // the first few failures
	Duration      time.Duration
}

// maxSummaryErrors is how many failures a Summary keeps.
const maxSummaryErrors = 5

// Evaluate runs the daily job for day over the shops with the given ids
// (all when none): it computes each shop's metrics, advances its alert
// states and writes the notifications to the outbox, each shop in one
// transaction with its run marked done. now is the instant of the run: it
// decides which mutes hold. Delivery is the Deliverer's (it is woken).
//
// Evaluating a date again gives the same notifications, whose keys are
// already in the outbox: nothing is posted twice. Evaluating a range of
// dates in order replays the alert history.
func (m *Monitor) Evaluate(ctx context.Context, day rules.Day, shopIDs []string, now time.Time) (Summary, error) {
	shops, err := m.shops(shopIDs)
	if err != nil {
		return Summary{}, err
	}
	m.runMu.Lock()
	defer m.runMu.Unlock()
	// Turns an import killed in another process left stale are rebuilt
	// first (store/chats.go), when the store can.
	if s, ok := m.db.(turnSettler); ok {
		if err := s.SettleTurns(ctx); err != nil {
			return Summary{}, fmt.Errorf("evaluate: %w", err)
		}
	}
	return m.evaluate(ctx, day, shops, now), ctx.Err()
}

// turnSettler is a store that rebuilds the chat turns a killed import left
// stale (*store.DB).
type turnSettler interface {
	SettleTurns(ctx context.Context) error
}

var _ turnSettler = (*store.DB)(nil)

// shopResult is one shop's evaluation.
type shopResult struct {
	added int
	notes []rules.Notification
	err   error
}

func (m *Monitor) evaluate(ctx context.Context, day rules.Day, shops []*rules.Shop, now time.Time) Summary {
	start := m.clock.Now()
	sum := Summary{Day: day, Notifications: map[rules.Transition]int{}}
	results := make([]shopResult, len(shops))
	// A shop's failure is in its result: the others go on. When ctx ends,
	// the shops not started yet are left out.
	var g errgroup.Group
	g.SetLimit(m.o.Workers)
	for i, shop := range shops {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			added, notes, err := m.evaluateShop(ctx, shop, day, now)
			results[i] = shopResult{added, notes, err}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return no error
	for i, r := range results {
		switch {
		case r.err == nil && r.notes == nil:
			continue // not reached: the context ended
		case r.err != nil:
			sum.Failed++
			m.metrics.evaluation(false)
			if len(sum.Errors) < maxSummaryErrors {
				sum.Errors = append(sum.Errors, r.err)
			}
			m.log.Error("evaluation failed", "shop", shops[i].ID, "day", day, "err", r.err)
			continue
		}
		sum.Shops++
		m.metrics.evaluation(true)
		sum.Added += r.added
		sum.Repeated += len(r.notes) - r.added
		for _, n := range r.notes {
			sum.Notifications[n.Transition]++
			m.metrics.notification(string(n.Transition))
		}
	}
	sum.Duration = m.clock.Since(start)
	m.metrics.run(RunDaily, sum.Duration)
	if sum.Added > 0 {
		m.wake()
	}
	m.log.Info("evaluated", "day", day, "shops", sum.Shops, "failed", sum.Failed, "new_messages", sum.Added, "duration", sum.Duration)
	if m.o.OnEvaluated != nil && sum.Shops > 0 {
		m.o.OnEvaluated(sum)
	}
	return sum
}

// evaluateShop evaluates one shop for day and saves the outcome.
func (m *Monitor) evaluateShop(ctx context.Context, s *rules.Shop, day rules.Day, now time.Time) (int, []rules.Notification, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	// The date, a week before (the trend of an alert) and the chat hours
	// (a chat alert's explanation), from one read.
	daily, err := m.db.Daily(ctx, s.ID, day)
	if err != nil {
		return 0, nil, err
	}
	rep := daily.Report
	last, has, err := m.db.LastDataDay(ctx, s.ID, day)
	if err != nil {
		return 0, nil, err
	}
	prev, err := m.db.AlertStates(ctx, s.ID, day)
	if err != nil {
		return 0, nil, err
	}
	mutes, err := m.db.Mutes(ctx, s.ID, now)
	if err != nil {
		return 0, nil, err
	}
	obs := rules.Observation{ShopID: s.ID, Day: day, Report: rep, LastData: last, HasData: has,
		Muted: func(metric rules.Metric) bool {
			for _, mu := range mutes {
				if holds(mu, metric, now) {
					return true
				}
			}
			return false
		}}
	states, notes := m.cfg.Alerts.Step(prev, obs)
	msgs, err := m.alertMessages(ctx, s, day, daily, notes)
	if err != nil {
		return 0, nil, err
	}
	m.writeMu.Lock()
	added, err := m.db.SaveEvaluation(ctx, store.Evaluation{ShopID: s.ID, Day: day, States: states, Outbox: msgs, Run: RunDaily, At: now})
	m.writeMu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	if notes == nil {
		notes = []rules.Notification{}
	}
	return added, notes, nil
}

// holds reports whether mu holds back notifications about metric at now: a
// mute applies from when it was set until it ends (so that a replay of
// earlier dates is not muted by a mute set since).
func holds(mu store.Mute, metric rules.Metric, now time.Time) bool {
	return mu.Covers(metric, now) && !now.Before(mu.At)
}

// alertTop is how many products, causes and hours an alert lists.
const alertTop = 3

// alertMessages makes the outbox messages of a shop's notifications, with
// the trend and what lies behind them.
func (m *Monitor) alertMessages(ctx context.Context, s *rules.Shop, day rules.Day, daily *store.Daily, notes []rules.Notification) ([]store.OutboxMessage, error) {
	if len(notes) == 0 {
		return nil, nil
	}
	channel := m.channelOf(s)
	if channel == "" {
		m.log.Warn("no channel for the shop's alerts (no channel, no admin_channel)", "shop", s.ID, "notifications", len(notes))
		return nil, nil
	}
	keys := make([]string, len(notes))
	for i, n := range notes {
		keys[i] = n.Key()
	}
	queued, err := m.db.OutboxHas(ctx, keys)
	if err != nil {
		return nil, err
	}
	var why *store.Explanation
	var tally rules.Tally
	out := make([]store.OutboxMessage, 0, len(notes))
	for _, n := range notes {
		if queued[n.Key()] {
			continue // an earlier run of the date wrote it: nothing to explain again
		}
		a := &Alert{Metric: n.Metric, Day: n.Day, Transition: n.Transition, From: n.From, To: n.To, Since: n.Since, Changed: n.Changed, Root: n.Root,
			LastData: n.LastData, HasData: n.HasData, RepeatDays: m.cfg.Alerts.RepeatEvery}
		if _, kind := n.Metric.DataKind(); n.Metric != rules.MetricData && !kind {
			a.Figure = n.Result
			if th := n.Result.Thresholds; th != nil {
				a.ClearAt = m.cfg.Alerts.ClearAt(n.Metric, *th)
			}
			if n.Transition != rules.TransitionResolved {
				if r, ok := daily.WeekAgo.Results[n.Metric]; ok {
					a.WeekAgo = &r
				}
				if why == nil {
					var err error
					if why, err = m.db.Explain(ctx, s.ID, day, 0); err != nil {
						return nil, err
					}
					tally = store.NewTally(daily.Report, why.Causes[rules.NRR], why.Causes[rules.SFRR])
				}
				a.Tally = tally.For(n.Metric, alertTop)
				if n.Metric == rules.ChatResponseRate {
					a.Hours = daily.ChatHours[:min(alertTop, len(daily.ChatHours))]
				} else {
					list := why.Products[n.Metric]
					a.Products = products(list[:min(alertTop, len(list))], n.Metric)
				}
			}
		}
		payload, err := json.Marshal(Message{Kind: KindAlert, Key: n.Key(), Channel: channel, ShopID: s.ID, ShopName: s.Name, Alert: a})
		if err != nil {
			return nil, err
		}
		out = append(out, store.OutboxMessage{Key: n.Key(), ShopID: s.ID, Channel: channel, Kind: KindAlert, ThreadKey: n.Root, Payload: payload})
	}
	return out, nil
}

// products are list with their metric set, for messages that list several
// metrics' products together.
func products(list []store.ProductCount, m rules.Metric) []store.ProductCount {
	out := slices.Clone(list)
	for i := range out {
		out[i].Metric = m
	}
	return out
}
