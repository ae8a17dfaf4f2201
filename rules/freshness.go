package rules

import (
	"slices"
	"time"
)

// Freshness per record kind. Reviews have no API and arrive only as CSV
// exports: when they stop while orders keep coming, NRR falls as old
// negative reviews leave the window and an alert would resolve on data
// that is not there. So each metric is judged on the kinds it is computed
// from: a metric whose inputs are stale or were never imported shows as
// stale or no data, never as ok, and holds its alert.

// Record kinds, as the store and the CSV import name them.
const (
	KindOrders  = "orders"
	KindReviews = "reviews"
	KindReturns = "returns"
	KindChats   = "chats"
)

// Kinds lists the record kinds in the order they are reported.
var Kinds = []string{KindOrders, KindReviews, KindReturns, KindChats}

// Levels of a metric whose inputs do not allow judging it. They do not
// alert (Severity -1): an alert holds, neither raised nor resolved.
const (
	LevelStale  Level = "stale"   // an input kind has stopped arriving
	LevelNoData Level = "no_data" // an input kind was never imported
)

// Freshness is the state of one record kind of a shop on a date.
type Freshness string

// Freshness states.
const (
	Fresh  Freshness = "fresh"
	Stale  Freshness = "stale"
	NoData Freshness = "no_data"
)

// Input is what a shop's records of one kind say about a date.
type Input struct {
	Kind  string
	Has   bool // the shop has a record of the kind on or before the date
	Last  Day  // the newest record's local date, on or before the date (when Has)
	First Day  // orders: the oldest record's local date (when Has)
	// Recent counts the records of the kind in the RateDays dates to Last:
	// its usual rate, which says how overdue the next one is.
	Recent int
	// Imported is when an import last brought records of the kind for the
	// shop (zero: none recorded), for display.
	Imported time.Time
	State    Freshness // as judged by AlertPolicy.Judge
}

// DaysSince is how many dates separate day from the input's newest record.
func (in Input) DaysSince(day Day) int { return int(day - in.Last) }

// RateDays is the span, to a kind's newest record, over which its usual
// rate is counted.
const RateDays = 30

// OverdueRecords is how many records of a kind would have been expected,
// at its usual rate, before its silence makes it stale. It keeps sparse
// kinds (returns of a small shop) from going stale on a quiet week: at
// one return a day that is 8 days, at 3 reviews a day 3 days (never less
// than the policy's StaleDays).
const OverdueRecords = 8

// Judge is the freshness of in on day: no data when the shop never had a
// record of the kind; stale when none arrived for StaleDays dates or more
// and, at the kind's usual rate, at least OverdueRecords are overdue.
func (p AlertPolicy) Judge(in Input, day Day) Freshness {
	switch {
	case !in.Has:
		return NoData
	case p.StaleDays <= 0:
		return Fresh
	}
	gap := in.DaysSince(day)
	if gap < p.StaleDays {
		return Fresh
	}
	if float64(in.Recent)*float64(gap)/RateDays >= OverdueRecords {
		return Stale
	}
	return Fresh
}

// InputKinds are the record kinds a metric is computed from.
func (m Metric) InputKinds() []string {
	switch m {
	case NRR, NRRProduct, NRRService:
		return []string{KindOrders, KindReviews}
	case SFRR:
		return []string{KindOrders, KindReturns}
	case ChatResponseRate, ChatAvgResponseHours:
		return []string{KindChats}
	}
	return nil
}

// ApplyInputs judges inputs, the shop's record kinds on the report's date,
// records them in r, and marks each metric whose inputs are stale or
// missing: the kinds at fault go to Gaps and, unless the metric has too
// little volume to be judged anyway, its Level becomes LevelStale or
// LevelNoData (no data wins) and the level of its figures moves to
// Computed.
func (p AlertPolicy) ApplyInputs(r *Report, inputs []Input) {
	r.Inputs = make([]Input, len(inputs))
	for i, in := range inputs {
		in.State = p.Judge(in, r.Date)
		r.Inputs[i] = in
	}
	for m, res := range r.Results {
		var gaps []Input
		level := res.Level
		for _, in := range r.Inputs {
			if in.State == Fresh || !slices.Contains(m.InputKinds(), in.Kind) {
				continue
			}
			gaps = append(gaps, in)
			switch {
			case in.State == NoData:
				level = LevelNoData
			case level != LevelNoData:
				level = LevelStale
			}
		}
		if gaps == nil {
			continue
		}
		res.Gaps = gaps
		if res.Level != LevelInsufficient { // too little volume says enough already
			res.Computed, res.Level = res.Level, level
		}
		r.Results[m] = res
	}
}

// KindMetric is the pseudo metric of a record kind's freshness, whose
// notices say that the kind stopped arriving ("data_reviews"). Its level
// is warn while the kind is stale or missing and the shop's data as a
// whole is not (MetricData speaks for that), ok otherwise.
func KindMetric(kind string) Metric { return Metric("data_" + kind) }

// DataKind is the record kind of a KindMetric; ok is false for others.
func (m Metric) DataKind() (kind string, ok bool) {
	for _, k := range Kinds {
		if m == KindMetric(k) {
			return k, true
		}
	}
	return "", false
}

// missing reports whether the report's kind, never imported, is news: once
// the shop has had orders for RateDays dates and a metric with thresholds
// has the volume to be judged but for kind's records (1,613 delivered
// orders and no review), not while the shop's history is just starting.
func (r Report) missing(kind string) bool {
	established := false
	for _, in := range r.Inputs {
		if in.Kind == KindOrders {
			established = in.Has && in.First <= r.Date-RateDays+1
		}
	}
	if !established {
		return false
	}
	for _, res := range r.Results {
		if res.Thresholds == nil || res.Computed.Severity() < 0 {
			continue
		}
		for _, in := range res.Gaps {
			if in.Kind == kind {
				return true
			}
		}
	}
	return false
}
