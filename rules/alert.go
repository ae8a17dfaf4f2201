package rules

import (
	"fmt"
	"strings"
	"time"
)

// The alert state machine of SPEC section 4. It is a pure function of the
// state after the previous evaluated date and what the next date's
// evaluation found: the monitor loads the one, computes the other and
// stores what Step returns. Time is the evaluated date; whether a metric is
// muted is decided by the caller at the instant of the run.

// AlertPolicy says how levels become notifications.
type AlertPolicy struct {
	// Hysteresis is how far past the warn threshold, as a fraction of it,
	// a metric must recover before its alert resolves (default 0.1). For a
	// lower-is-worse rate (chat_response_rate) the margin applies to its
	// complement, the share of late replies: warn 95% and 10% resolve at
	// 95.5% or more.
	Hysteresis float64
	// RepeatEvery is the number of days between reminders while a metric
	// stays at warn or critical (default 7); 0 sends none.
	RepeatEvery int
	// StaleDays is the number of days without any new record after which a
	// shop's data is stale (default 2); 0 never treats data as stale.
	StaleDays int
	// RemindAfter is how long after it was posted a critical alert that
	// nobody acknowledged is announced again, once (default 24h); 0 never.
	RemindAfter time.Duration
}

// DefaultAlertPolicy is the policy of a config without an alerts block.
func DefaultAlertPolicy() AlertPolicy {
	return AlertPolicy{Hysteresis: 0.1, RepeatEvery: 7, StaleDays: 2, RemindAfter: 24 * time.Hour}
}

// Validate reports a policy that cannot work.
func (p AlertPolicy) Validate() error {
	switch {
	case p.Hysteresis < 0 || p.Hysteresis >= 1:
		return fmt.Errorf("hysteresis %g: want 0 to under 100%%", p.Hysteresis)
	case p.RepeatEvery < 0:
		return fmt.Errorf("repeat_every %d: want 0 (never) or more days", p.RepeatEvery)
	case p.StaleDays < 0:
		return fmt.Errorf("stale_days %d: want 0 (never) or more days", p.StaleDays)
	case p.RemindAfter < 0:
		return fmt.Errorf("remind_after %s: want 0 (never) or a duration like 24h", p.RemindAfter)
	}
	return nil
}

// MetricData is the pseudo metric of a shop's data freshness: its level is
// warn while the shop's data is stale, ok otherwise.
const MetricData Metric = "data"

// Transition names what a notification announces.
type Transition string

// Transitions. A move to a worse level is named after the new level.
const (
	TransitionWarn      Transition = "warn"      // to warn, from ok
	TransitionCritical  Transition = "critical"  // to critical, from ok or warn
	TransitionImproving Transition = "improving" // from critical to warn (past the hysteresis margin)
	TransitionResolved  Transition = "resolved"  // back to ok (past the hysteresis margin), or data fresh again
	TransitionReminder  Transition = "reminder"  // still at warn or critical after RepeatEvery days
	TransitionStale     Transition = "stale"     // no new records for StaleDays days
)

// AlertState is what the monitor keeps about one metric of one shop (or
// its MetricData) after evaluating a date.
type AlertState struct {
	Metric Metric
	Day    Day   // the evaluated date
	Level  Level // the held level: ok, warn or critical
	// Since is the date the current (or last) alert episode first opened:
	// its first move from ok to warn or critical. It holds through
	// worsening and improving, so that durations count from the opening.
	// For MetricData it is the first date at Level.
	Since Day
	// Changed is the first date at Level: the last level change.
	Changed Day
	// Observed is the date's own level, which may be insufficient_data: it
	// differs from Level while an alert holds (no fresh data, too little
	// volume, or inside the hysteresis margin).
	Observed Level
	Fresh    bool // the date had fresh data; stale dates hold every level
	// Value is the date's value of the metric, when Valid (not for MetricData).
	Value float64
	Valid bool
	// Announced is the level the channel was last told about. It follows
	// Level, except while the metric is muted or the data is stale.
	Announced  Level
	NotifiedOn Day    // the date of the last notification posted
	Root       string // key of the notification that opened the current episode; "" when none is open
}

// Notification is one message the monitor posts.
type Notification struct {
	ShopID     string
	Metric     Metric
	Day        Day
	Transition Transition
	From, To   Level  // the level announced before and the one announced now
	Since      Day    // the date the alert episode first opened (MetricData: the first date at To)
	Changed    Day    // the first date at To: the last level change
	Root       string // key of the episode's first message, which a follow-up threads under and resolved updates; "" for the first
	Result     Result // the metric on Day (zero for MetricData)
	LastData   Day    // MetricData, KindMetric: the last date with records (of the kind) (0 with HasData false)
	HasData    bool   // MetricData, KindMetric: the shop has records (of the kind) at all
}

// Key identifies the notification: posting it twice is a duplicate.
func (n Notification) Key() string { return NotificationKey(n.ShopID, n.Metric, n.Day, n.Transition) }

// NotificationKey is the key of the notification (shop, metric, date,
// transition): "7495001/nrr/2026-11-20/critical".
func NotificationKey(shopID string, m Metric, d Day, t Transition) string {
	return shopID + "/" + string(m) + "/" + d.String() + "/" + string(t)
}

// ParseNotificationKey splits a key made by NotificationKey.
func ParseNotificationKey(key string) (shopID string, m Metric, d Day, t Transition, err error) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return "", "", 0, "", fmt.Errorf("notification key %q: want SHOP/METRIC/DATE/TRANSITION", key)
	}
	rest, t := key[:i], Transition(key[i+1:])
	i = strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", "", 0, "", fmt.Errorf("notification key %q: want SHOP/METRIC/DATE/TRANSITION", key)
	}
	rest, date := rest[:i], rest[i+1:]
	i = strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", "", 0, "", fmt.Errorf("notification key %q: want SHOP/METRIC/DATE/TRANSITION", key)
	}
	if d, err = ParseDay(date); err != nil {
		return "", "", 0, "", fmt.Errorf("notification key %q: %w", key, err)
	}
	return rest[:i], Metric(rest[i+1:]), d, t, nil
}

// Observation is what the evaluation of one date found for a shop.
type Observation struct {
	ShopID string
	Day    Day
	Report Report // the shop's metrics for Day
	// LastData is the latest local date, on or before Day, with any record
	// of the shop; HasData is false when there is none.
	LastData Day
	HasData  bool
	// Muted reports whether notifications about m are held back at the
	// instant of the run (nil: nothing is muted). Muted metrics are still
	// evaluated; what they missed is announced when the mute ends.
	Muted func(m Metric) bool
}

// Stale reports whether the observation's data is stale under p.
func (p AlertPolicy) Stale(o Observation) bool {
	if p.StaleDays <= 0 {
		return false
	}
	return !o.HasData || o.LastData <= o.Day-Day(p.StaleDays)
}

// Step advances a shop's alert states, prev (by metric, as after the
// previous evaluated date; missing metrics start at ok), to the
// observation's date. It returns the new states, MetricData first, then
// the KindMetric of each of the report's Inputs, then the metrics with
// thresholds in report order, and the notifications to post, in the same
// order. A metric whose inputs are stale or missing (LevelStale,
// LevelNoData) holds like one with insufficient data.
//
// While the data is stale every metric holds: its level, its announcement
// and its reminders wait for fresh data, and only the stale alert itself
// goes out (once).
func (p AlertPolicy) Step(prev map[Metric]AlertState, o Observation) ([]AlertState, []Notification) {
	muted := func(m Metric) bool { return o.Muted != nil && o.Muted(m) }
	stale := p.Stale(o)
	var states []AlertState
	var out []Notification

	// Data freshness: of the shop as a whole, then of each record kind
	// while the whole is fresh (a kind's episode holds while it is not).
	data, n := p.stepData(start(prev, MetricData), o, stale, false, o.LastData, o.HasData, muted(MetricData))
	states = append(states, data)
	if n != nil {
		out = append(out, *n)
	}
	for _, in := range o.Report.Inputs {
		m := KindMetric(in.Kind)
		bad := in.State == Stale || in.State == NoData && o.Report.missing(in.Kind)
		s, n := p.stepData(start(prev, m), o, bad, stale, in.Last, in.Has, muted(m))
		states = append(states, s)
		if n != nil {
			out = append(out, *n)
		}
	}

	for _, m := range Metrics {
		res, ok := o.Report.Results[m]
		_, seen := prev[m]
		if (!ok || res.Thresholds == nil) && !seen {
			continue // informational: no alerts
		}
		s, n := p.stepMetric(start(prev, m), res, o, stale, muted(m))
		states = append(states, s)
		if n != nil {
			out = append(out, *n)
		}
	}
	return states, out
}

// stepData advances the pseudo metric of prev (MetricData or a
// KindMetric): warn while bad, ok otherwise; hold freezes it. Its first
// move to warn posts a stale notice, its return to ok a resolved one.
func (p AlertPolicy) stepData(prev AlertState, o Observation, bad, hold bool, last Day, has, muted bool) (AlertState, *Notification) {
	next := prev
	next.Day, next.Fresh = o.Day, !bad
	next.Observed = LevelOK
	if bad {
		next.Observed = LevelWarn
	}
	if hold {
		return next, nil
	}
	next.Level = next.Observed
	if next.Level != prev.Level {
		next.Since, next.Changed = o.Day, o.Day
	}
	if muted {
		return next, nil
	}
	var t Transition
	switch {
	case next.Level == LevelWarn && next.Announced != LevelWarn:
		t = TransitionStale
	case next.Level == LevelOK && next.Announced == LevelWarn:
		t = TransitionResolved
	default:
		return next, nil
	}
	n := Notification{ShopID: o.ShopID, Metric: prev.Metric, Day: o.Day, Transition: t, From: next.Announced, To: next.Level,
		Since: next.Since, Changed: next.Changed, Root: next.Root, LastData: last, HasData: has}
	return announce(next, n), &n
}

// start is the state a metric starts from: its previous one, or ok.
func start(prev map[Metric]AlertState, m Metric) AlertState {
	s, ok := prev[m]
	if !ok {
		return AlertState{Metric: m, Level: LevelOK, Observed: LevelOK, Announced: LevelOK}
	}
	if s.Level == "" {
		s.Level = LevelOK
	}
	if s.Announced == "" {
		s.Announced = LevelOK
	}
	return s
}

// stepMetric advances one metric. hold freezes it (stale data).
func (p AlertPolicy) stepMetric(prev AlertState, res Result, o Observation, hold, muted bool) (AlertState, *Notification) {
	next := prev
	next.Day, next.Fresh = o.Day, !hold
	next.Observed, next.Value, next.Valid = res.Level, res.Value, res.Valid
	if next.Observed == "" {
		next.Observed = LevelNone
	}
	if hold {
		return next, nil
	}
	next.Level = p.held(prev.Level, res)
	if next.Level != prev.Level {
		next.Changed = o.Day
	}
	// An episode opens at the first move from ok to warn or critical; a
	// level that went back to ok while muted, unannounced, does not end
	// the episode the channel knows about (Root).
	if next.Level.Severity() > 0 && prev.Level.Severity() <= 0 && prev.Root == "" {
		next.Since = o.Day
	}
	if muted {
		return next, nil
	}
	var t Transition
	switch {
	case next.Level.Severity() > next.Announced.Severity():
		t = TransitionWarn
		if next.Level == LevelCritical {
			t = TransitionCritical
		}
	case next.Level == LevelWarn && next.Announced == LevelCritical:
		t = TransitionImproving
	case next.Level == LevelOK && next.Announced.Severity() > 0:
		t = TransitionResolved
	case next.Level.Severity() > 0 && p.RepeatEvery > 0 && next.Observed.Severity() > 0 &&
		o.Day-next.NotifiedOn >= Day(p.RepeatEvery):
		// A reminder while the metric is past its threshold; not while it
		// holds inside the hysteresis margin or on too little volume.
		t = TransitionReminder
	}
	if t == "" {
		return next, nil
	}
	n := Notification{ShopID: o.ShopID, Metric: prev.Metric, Day: o.Day, Transition: t, From: next.Announced, To: next.Level,
		Since: next.Since, Changed: next.Changed, Root: next.Root, Result: res}
	return announce(next, n), &n
}

// announce records n as posted in s.
func announce(s AlertState, n Notification) AlertState {
	s.Announced, s.NotifiedOn = n.To, n.Day
	switch {
	case n.Transition == TransitionResolved:
		s.Root = ""
	case s.Root == "":
		s.Root = n.Key()
	}
	return s
}

// held is the level a metric holds after a date whose result is res.
// Insufficient data never moves it; a worse level moves it at once. From
// critical it moves down only past the hysteresis margin of the critical
// threshold (so that a value hovering around it does not flap between
// critical and warn), and to ok only past the margin of the warn one.
func (p AlertPolicy) held(prev Level, res Result) Level {
	obs := res.Level
	switch {
	case obs.Severity() < 0 || !res.Valid:
		return prev // insufficient data (or none): no alert, no resolve
	case obs.Severity() >= prev.Severity():
		return obs
	case prev == LevelCritical && !p.ClearOfCritical(res):
		return LevelCritical // within the critical margin: holds
	case obs == LevelWarn:
		return LevelWarn // critical → warn
	case p.Clear(res):
		return LevelOK
	}
	return LevelWarn // within the margin: the alert holds, at most at warn
}

// clearEpsilon absorbs floating-point noise in Clear's comparison, so that
// 36/10000 is clear of 0.4% less 10%.
const clearEpsilon = 1e-12

// Clear reports whether res is better than its warn threshold by the
// hysteresis margin: the value at which an alert resolves.
func (p AlertPolicy) Clear(res Result) bool {
	if !res.Valid || res.Thresholds == nil {
		return false
	}
	return res.Metric.Better(res.Value, p.ClearAt(res.Metric, *res.Thresholds), clearEpsilon)
}

// ClearOfCritical reports whether res is better than its critical
// threshold by the hysteresis margin: the value at which a critical alert
// improves to warn.
func (p AlertPolicy) ClearOfCritical(res Result) bool {
	if !res.Valid || res.Thresholds == nil {
		return false
	}
	return res.Metric.Better(res.Value, p.marginOf(res.Metric, res.Thresholds.Critical), clearEpsilon)
}

// ImprovesAt is the value at or past which a critical metric with
// thresholds th improves to warn.
func (p AlertPolicy) ImprovesAt(m Metric, th Thresholds) float64 {
	return p.marginOf(m, th.Critical)
}

// marginOf is threshold moved to the good side by the hysteresis margin.
func (p AlertPolicy) marginOf(m Metric, threshold float64) float64 {
	if m.LowerIsWorse() {
		return 1 - (1-threshold)*(1-p.Hysteresis)
	}
	return threshold * (1 - p.Hysteresis)
}

// ClearAt is the value at or past which a metric with thresholds th is
// clear of its warn threshold by the hysteresis margin.
func (p AlertPolicy) ClearAt(m Metric, th Thresholds) float64 {
	return p.marginOf(m, th.Warn)
}

// Better reports whether value is at or on the good side of bound, within
// eps.
func (m Metric) Better(value, bound, eps float64) bool {
	if m.LowerIsWorse() {
		return value >= bound-eps
	}
	return value <= bound+eps
}
